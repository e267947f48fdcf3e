#!/usr/bin/env bash
# Set up (Debian and npm packages, build), then run every test suite and
# end with the line "N passed, N failed[, N skipped]".
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh --tests
if [[ -f package-lock.json ]]; then
  # playwright-core and vnu-jar from the committed lockfile; no browser
  # download: the tests use Debian's /usr/bin/chromium.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
exec python3 tests/run_all.py "$@"
