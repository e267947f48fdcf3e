#!/usr/bin/env bash
# Installs the Debian packages Gazette needs (only the missing ones), then
# configures and builds with meson. Used by ./run.sh and ./test.sh.
#   scripts/setup.sh          build dependencies only
#   scripts/setup.sh --tests  also what the test suites need
set -euo pipefail
cd "$(dirname "$0")/.."

build_pkgs=(gcc pkg-config meson ninja-build python3 libmicrohttpd-dev
            libsqlite3-dev libjansson-dev libcmark-dev libsodium-dev
            libcurl4-openssl-dev libdeflate-dev libinih-dev
            libxml2-dev tzdata)
test_pkgs=(libcmocka-dev chromium default-jre-headless python3-aiosmtpd
           wrk nginx varnish openssl systemd curl
           libnginx-mod-http-cache-purge)

want=("${build_pkgs[@]}")
if [[ "${1:-}" == "--tests" ]]; then
  want+=("${test_pkgs[@]}")
  # Node.js: any already installed version will do (Debian's is 18).
  command -v node >/dev/null || want+=(nodejs)
  command -v npm >/dev/null || want+=(npm)
fi

missing=()
for p in "${want[@]}"; do
  # A package counts as present when dpkg has it installed, or (for the
  # web server) when another flavour provides the same command: nginx with
  # TLS and HTTP/2 (tests/http/test_production.py), as Debian 12's has.
  if [[ "$p" == nginx ]] && nginx -V 2>&1 | grep -q http_v2_module; then continue; fi
  if [[ "$p" == default-jre-headless ]] && command -v java >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [[ ! -f build/build.ninja ]]; then
  meson setup build --buildtype=debugoptimized
fi
ninja -C build
