#!/usr/bin/env bash
# Installs every Debian package that Gatehouse's build, tests and benchmarks need.
# Idempotent: when everything is present it only checks and returns.
#
# usage: scripts/install-deps.sh [--build-only | --bench]
#   (none)        build and test packages
#   --build-only  only what the build needs
#   --bench       also the peers bench/ compares against (nginx, HAProxy, h2o) and the load
#                 generators (wrk, h2load); optional: no test needs them
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config git
  libuv1-dev node-llhttp libssl-dev libcurl4-openssl-dev nlohmann-json3-dev
  libzstd-dev zlib1g-dev catch2 libnghttp2-dev libre2-dev libcrypt-dev libldns-dev
)
test_pkgs=(caddy curl nghttp2-client python3 clang clang-format libclang-rt-14-dev pebble openssl bind9 bind9-dnsutils
  slowhttptest iproute2
  zsh fish  # e2e completion_command_vs_caddy: the generated zsh/fish completion scripts loaded in the real shells
  php-fpm  # php8.2-fpm: the fastcgi tests start their own master (never the system service)
  chromium chromium-driver fonts-liberation)  # the browser_* e2e tests (headless Chromium, chromedriver)
bench_pkgs=(nginx haproxy h2o wrk nghttp2-client openssl util-linux valgrind)

want=("${build_pkgs[@]}")
case "${1:-}" in
  --build-only) ;;
  --bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  "") want+=("${test_pkgs[@]}") ;;
  *) echo "usage: $0 [--build-only | --bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
