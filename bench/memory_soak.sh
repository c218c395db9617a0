#!/bin/bash
# RSS and open descriptors of one gatehouse process across rounds of one kind of load, to
# see memory that grows (a leak, a queue, heap fragmentation) rather than plateaus.
# Loopback only; every round is bounded in time.
#
# usage: bench/memory_soak.sh [GATEHOUSE] [MODE] [ROUNDS]
#   MODE: proxy (wrk -c40 through reverse_proxy, access log to a file), gzip (wrk -c40, a
#   270 KB file through encode gzip), zstd (h2load over TLS, 50 streams of it through encode
#   zstd), reload (5 `gatehouse reload` a round); default proxy, 6 rounds.
set -eu
G=$(realpath "${1:-build/gatehouse}")
MODE=${2:-proxy}
ROUNDS=${3:-6}
for tool in wrk h2load curl; do command -v $tool > /dev/null || { echo "needs $tool"; exit 77; }; done
DIR=$(mktemp -d /tmp/gatehouse-soak.XXXXXX)
trap 'kill $PID 2>/dev/null; wait 2>/dev/null; rm -rf "$DIR"' EXIT
export HOME=$DIR/home XDG_DATA_HOME=$DIR/home/data XDG_CONFIG_HOME=$DIR/home/config
mkdir -p "$DIR/site" "$HOME"
head -c 200000 /dev/urandom | base64 > "$DIR/site/big.txt"
BASE=$((20000 + RANDOM % 20000))
cat > "$DIR/Caddyfile" <<CFG
{
	admin 127.0.0.1:$((BASE + 1))
	http_port $((BASE + 2))
	https_port $((BASE + 3))
	skip_install_trust
	local_certs
}
https://localhost:$((BASE + 3)), http://127.0.0.1:$((BASE + 4)) {
	encode zstd gzip
	root * $DIR/site
	handle /api/* {
		reverse_proxy 127.0.0.1:$((BASE + 5))
	}
	file_server
	log {
		output file $DIR/access.log
	}
}
http://127.0.0.1:$((BASE + 5)) {
	respond "upstream {uri}"
}
CFG
"$G" run --config "$DIR/Caddyfile" > "$DIR/run.log" 2>&1 &
PID=$!
sleep 2
stat() { echo "$1 rss=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)KiB fds=$(ls /proc/$PID/fd | wc -l)"; }
stat start
for r in $(seq 1 "$ROUNDS"); do
  case "$MODE" in
    proxy) timeout 20 wrk -t1 -c40 -d3s "http://127.0.0.1:$((BASE + 4))/api/x" > /dev/null ;;
    gzip) timeout 20 wrk -t1 -c40 -d3s -H 'Accept-Encoding: gzip' "http://127.0.0.1:$((BASE + 4))/big.txt" > /dev/null ;;
    zstd) timeout 30 h2load -n 400 -c 10 -m 5 -H 'accept-encoding: zstd' "https://localhost:$((BASE + 3))/big.txt" > /dev/null 2>&1 ;;
    reload) for i in 1 2 3 4 5; do timeout 10 "$G" reload --config "$DIR/Caddyfile" --address "127.0.0.1:$((BASE + 1))" > /dev/null 2>&1; done ;;
    *) echo "unknown mode $MODE"; exit 2 ;;
  esac
  stat "round$r"
done
grep -h 'queue full' "$DIR/run.log" | head -3 || true
