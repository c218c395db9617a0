#!/usr/bin/env bash
# Installs the Debian packages Gatehouse needs (if missing) and builds it into build/.
# Usage: scripts/build.sh [extra cmake args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGATEHOUSE_WERROR=ON "$@" >/dev/null
cmake --build build -j "$(nproc)"
