#!/usr/bin/env bash
# Vendors the front-end assets the binary serves (no CDN at run time):
# Bootstrap Italia (CSS, SVG sprites, woff2 fonts, and a JavaScript bundle of
# only the components the pages use) and htmx, at the pinned versions below,
# from the npm registry. The result is committed under
# web/static/vendor; run this script only to change a version.
set -euo pipefail
BOOTSTRAP_ITALIA=2.18.3
HTMX=2.0.11
ESBUILD=v0.28.2 # Go module: github.com/evanw/esbuild

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/web/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "bootstrap-italia@$BOOTSTRAP_ITALIA" "htmx.org@$HTMX" >/dev/null
mkdir bi hx
tar xzf "bootstrap-italia-$BOOTSTRAP_ITALIA.tgz" -C bi
tar xzf "htmx.org-$HTMX.tgz" -C hx

rm -rf "$out"
mkdir -p "$out/bootstrap-italia/css" "$out/bootstrap-italia/js" "$out/bootstrap-italia/svg" "$out/bootstrap-italia/fonts" "$out/htmx"
d=bi/package/dist
cp "$d/css/bootstrap-italia.min.css" "$out/bootstrap-italia/css/"
# Not the 1 MB bundle (Popper, carousels, video player...): the pages use
# modals and tabs only, and the font loader. The fonts' folder comes from
# the script tag (data-fonts), whose URL carries the assets' version.
cat > entry.js <<'JS'
import Modal from './bi/package/dist/plugins/modal.js';
import Tab from './bi/package/dist/plugins/tab.js';
import loadFonts from './bi/package/dist/plugins/fonts-loader.js';
var me = document.currentScript;
loadFonts(me && me.getAttribute('data-fonts') || '/static/vendor/bootstrap-italia/fonts');
window.bootstrap = { Modal: Modal, Tab: Tab };
JS
(cd "$root" && go run "github.com/evanw/esbuild/cmd/esbuild@$ESBUILD" "$work/entry.js" \
  --bundle --minify --format=iife --legal-comments=eof --outfile="$out/bootstrap-italia/js/bootstrap-italia.components.min.js")
cp "$d/svg/sprites.svg" "$out/bootstrap-italia/svg/"
for family in Titillium_Web Roboto_Mono Lora; do
  mkdir -p "$out/bootstrap-italia/fonts/$family"
  cp "$d/fonts/$family/"*.woff2 "$out/bootstrap-italia/fonts/$family/"
  cp "$d/fonts/$family/"*.txt "$out/bootstrap-italia/fonts/$family/" 2>/dev/null || true
done
cp bi/package/LICENSE "$out/bootstrap-italia/LICENSE" 2>/dev/null || true
cp hx/package/dist/htmx.min.js "$out/htmx/"
cp hx/package/LICENSE "$out/htmx/LICENSE" 2>/dev/null || true
cat > "$out/VERSIONS" <<TXT
bootstrap-italia $BOOTSTRAP_ITALIA (npm, BSD-3-Clause; js/ holds only modal, tab and the font loader, bundled with esbuild $ESBUILD; fonts under OFL / Apache 2.0, licences beside them)
htmx.org $HTMX (npm, 0BSD)
TXT
echo "vendored into $out:"
du -sh "$out"
