#!/usr/bin/env bash
# Vendors the front-end assets the binary serves (no CDN at run time):
# Bootstrap Italia (CSS, JS bundle, SVG sprites, woff2 fonts) and htmx, at the
# pinned versions below, from the npm registry. The result is committed under
# web/static/vendor; run this script only to change a version.
set -euo pipefail
BOOTSTRAP_ITALIA=2.18.3
HTMX=2.0.11

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
cp "$d/js/bootstrap-italia.bundle.min.js" "$out/bootstrap-italia/js/"
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
bootstrap-italia $BOOTSTRAP_ITALIA (npm, BSD-3-Clause; fonts under OFL / Apache 2.0, licences beside them)
htmx.org $HTMX (npm, 0BSD)
TXT
echo "vendored into $out:"
du -sh "$out"
