#!/usr/bin/env bash
# Installs what the build and the tests need, builds, and runs the whole test suite with
# ctest (unit tests, the Caddy adapter fixture corpus, end-to-end tests against the real
# binary and the real peers: caddy, curl ...).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
# -j 6 slots on two cores: a test that keeps a core busy takes 2 (tests/CMakeLists.txt), the
# ACME tests, which mostly wait on pebble and back-offs, take 1, Chromium and the 2 GiB stream 4.
# So at most three busy tests run at once, as `-j 3` did (session 18: 608 s; -j 4 showed
# load-bound flakes), while the waiting ones overlap more.
ctest --test-dir build --output-on-failure -j 6 --timeout 600
