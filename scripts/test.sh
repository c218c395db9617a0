#!/usr/bin/env bash
# Installs what the build and the tests need, builds, and runs the whole test suite with
# ctest (unit tests, the Caddy adapter fixture corpus, end-to-end tests against the real
# binary and the real peers: caddy, curl ...).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
# -j 4 on two cores: most of an e2e test's time is waiting (on pebble's retries, timeouts,
# peers starting), so four at once keep the cores busy (session 18, under the same load:
# 1,202 s at -j 2, 681 s at -j 4); Chromium and the 2 GiB stream take two slots each.
ctest --test-dir build --output-on-failure -j 4 --timeout 600
