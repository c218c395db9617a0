#!/usr/bin/env bash
# Benchmark (not a test): `gatehouse adapt` vs `caddy adapt` on generated Caddyfiles of N
# realistic sites, same machine, one run each. Prints seconds and the ratio.
#
# usage: bench/adapt_bench.sh [path/to/gatehouse] [sizes...]   (default sizes: 1000 2000 5000 20000)
# Caddy is skipped above 5000 sites (its adapter grows faster than linearly; minutes at 20000)
# unless CADDY_MAX is set higher.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
gh="${1:-$here/../build/gatehouse}"
shift || true
sizes=("${@:-1000 2000 5000 20000}")
caddy_max="${CADDY_MAX:-5000}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

seconds() {  # runs a command, prints wall seconds
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; echo "nan"; return; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

printf "%8s %12s %12s %8s\n" sites gatehouse_s caddy_s ratio
for n in ${sizes[*]}; do
  f="$tmp/Caddyfile.$n"
  python3 "$here/gen_caddyfile.py" "$n" > "$f"
  g=$(seconds "$gh" adapt --config "$f")
  if command -v caddy >/dev/null && [ "$n" -le "$caddy_max" ]; then
    c=$(seconds caddy adapt --config "$f" --adapter caddyfile)
    r=$(echo "$c / $g" | bc -l)
    printf "%8d %12.3f %12.3f %7.1fx\n" "$n" "$g" "$c" "$r"
  else
    printf "%8d %12.3f %12s %8s\n" "$n" "$g" "-" "-"
  fi
done
