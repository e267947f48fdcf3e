#!/usr/bin/env bash
# Set up (Debian packages, build), create data/gazette.db with demo content
# when it is absent, and serve Gazette at http://127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
build/gazette init --demo
exec build/gazette serve "$@"
