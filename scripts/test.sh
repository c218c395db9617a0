#!/usr/bin/env bash
# Installs what the build and the tests need, builds, and runs the whole test suite with
# ctest (unit tests, the Caddy adapter fixture corpus, end-to-end tests against the real
# binary and the real peers: caddy, curl ...).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
# -j 3 on two cores: most of an e2e test's time is waiting (on pebble's retries, timeouts,
# peers starting), so more than two at once keep the cores busy (session 18, the same tree:
# 1,202 s at -j 2 under other work, 462-467 s at -j 4 alone; -j 4 alone also showed two
# load-bound flakes in two runs, so CI keeps one slot of headroom). Chromium and the 2 GiB
# stream take two slots each.
ctest --test-dir build --output-on-failure -j 3 --timeout 600
