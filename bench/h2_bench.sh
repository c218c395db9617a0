#!/usr/bin/env bash
# Benchmark (not a test): h2load against gatehouse and caddy over h2c with prior knowledge,
# same Caddyfile (a small `respond` and a 1 MiB file), same machine, one run each.
#
# usage: bench/h2_bench.sh [path/to/gatehouse] [requests]   (default 20000 requests, -c 4 -m 10)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
gh="${1:-$here/../build/gatehouse}"
n="${2:-20000}"
tmp="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
head -c 1048576 /dev/urandom > "$tmp/1m.bin"

caddyfile() {  # port
  cat <<EOF2
{
	admin off
	servers {
		protocols h1 h2 h2c
	}
}
http://127.0.0.1:$1 {
	respond /small "hello"
	file_server {
		root $tmp
	}
}
EOF2
}

port_free() { ! (echo > /dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
pick_port() { local p; for p in $(seq 20000 20100); do port_free "$p" && { echo "$p"; return; }; done; exit 1; }

run_one() {  # name binary
  local port
  port=$(pick_port)
  caddyfile "$port" > "$tmp/Caddyfile.$1"
  "$2" run --config "$tmp/Caddyfile.$1" --adapter caddyfile >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do port_free "$port" || break; sleep 0.1; done
  for path in /small /1m.bin; do
    local reqs=$n
    [ "$path" = /1m.bin ] && reqs=$((n / 20))
    local out
    out=$(h2load -n "$reqs" -c 4 -m 10 "http://127.0.0.1:$port$path" 2>&1)
    printf "%-10s %-8s %8s req/s  %s\n" "$1" "$path" \
      "$(sed -n 's/.*finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' <<<"$out")" \
      "$(grep -o 'status codes: [0-9]* 2xx' <<<"$out")"
  done
}

run_one gatehouse "$gh"
command -v caddy >/dev/null && run_one caddy caddy
