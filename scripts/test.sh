#!/usr/bin/env bash
# Installs what the build and the tests need, builds, and runs the whole test suite with
# ctest (unit tests, the Caddy adapter fixture corpus, end-to-end tests against the real
# binary and the real peers: caddy, curl ...).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j 2 --timeout 600
