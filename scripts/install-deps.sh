#!/usr/bin/env bash
# Installs the system packages the tests need, from Debian's repositories,
# when they are missing: Chromium (browser tests), poppler-utils (pdftotext,
# to read generated PDFs), openssl (signed test documents) and libnss3-tools
# (certutil and pk12util: the client certificates of the certificate-login
# browser tests go into Chromium's NSS database). PostgreSQL's
# server binaries are a prerequisite of the machine (README).
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v pk12util >/dev/null 2>&1 || need+=(libnss3-tools)
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
[[ ${#need[@]} -eq 0 ]] && exit 0

echo "installing test dependencies: ${need[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
  else
    echo "install-deps: missing ${need[*]} and no root to install them; run: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y --no-install-recommends "${need[@]}" >/tmp/esenzioni-apt.log 2>&1; then
  $sudo apt-get update >>/tmp/esenzioni-apt.log 2>&1 || true
  if ! $sudo apt-get install -y --no-install-recommends "${need[@]}" >>/tmp/esenzioni-apt.log 2>&1; then
    echo "install-deps: apt-get install ${need[*]} failed; see /tmp/esenzioni-apt.log" >&2
    tail -20 /tmp/esenzioni-apt.log >&2
    exit 1
  fi
fi
