#!/usr/bin/env python3
"""End-to-end: a proxied WebSocket on a server with an access log and metrics.

The tunnel goes to the lean relay (the exchange and its session are freed once the 101 is
out); the relay keeps the facts the access log and the metrics need and records the
exchange when the tunnel ends, as the exchange would have itself.
Checks, with one Caddyfile run by Gatehouse and by Debian's caddy 2.6.2 (the oracle):
- byte-exact echo both ways (frames of 5 B to 70 KB, a 1 MB burst), bytes sent right behind
  the request head, half-close (the client shuts its side, the upstream answers "bye");
- while the tunnel is open: no access entry yet, the request counted in flight;
- once it ends: one entry with status 101, size 0, the tunnel's whole duration, the request
  and the 101's fields; requests_total counts it and nothing is in flight;
- the entry against caddy's for the same session: same keys and values, except the known
  differences: `request>client_ip` and `bytes_read` (newer Caddy's fields, see
  log_formats_vs_caddy_test.py), `status` (caddy 2.6.2 records no 1xx status and logs 0;
  Caddy PR 5049 restores 101), the Server field's value, ports, durations and timestamps.
Usage: proxy_websocket_record_test.py <path-to-gatehouse>
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import proxy_upstreams as pu  # noqa: E402
from caddy_peer import CaddyPeer  # noqa: E402

FAILURES = []
HOLD = 1.2  # seconds the tunnel stays open: the entry's duration covers it


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def caddyfile(port, log_path, dial, metrics_port=None):
    # Metrics are scraped from a server of their own, so a scrape is not counted in the
    # proxy site's own series.
    # (No host there: its handler is counted as "metrics", apart from the site's subroute.)
    scrape = "http://:%d {\n\tbind 127.0.0.1\n\tmetrics /metrics\n}\n" % metrics_port if metrics_port else ""
    return ("{\n\tadmin off\n\tauto_https off\n\tservers {\n\t\tmetrics\n\t}\n}\n"
            "http://127.0.0.1:%d {\n\tlog {\n\t\toutput file %s\n\t}\n"
            "\treverse_proxy %s\n}\n%s" % (port, log_path, dial, scrape))


def read_entries(path, want, timeout=10):
    """The WebSocket's entries (not /metrics'), whole lines only (the log thread writes
    asynchronously), bounded in time."""
    deadline = time.time() + timeout
    lines = []
    while time.time() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                lines = [line for line in f if line.endswith("\n") and '"uri":"/ws' in line]
            if len(lines) >= want:
                break
        time.sleep(0.05)
    return [json.loads(line) for line in lines]


def metric(port, name, code=None):
    """The site's sample of `name` (for status `code` when given) at /metrics: its
    reverse_proxy runs in the subroute a site address makes, which is what caddy 2.6.2
    instruments (not the handlers inside)."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        text = r.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and 'handler="subroute"' in line:
            if code is None or 'code="%s"' % code in line:
                total += float(line.rsplit(" ", 1)[1])
    return total


def handshake(port, extra=b""):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /ws?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
              b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              b"User-Agent: e2e-record\r\n\r\n" + extra)
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = s.recv(65536)
        if not data:
            break
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    return s, head.decode("latin-1"), rest


def session(port, caddy, during=None):
    """One WebSocket through the proxy: echoes, holds it HOLD s, ends it (half-close first,
    but not on caddy 2.6.2, which ends both sides at a client's half-close and drops bytes
    sent right behind the request head). `during` runs while it is open."""
    first = pu.ws_frame(b"sent with the head")
    s, head, rest = handshake(port, b"" if caddy else first)
    check(head.startswith("HTTP/1.1 101"), "101 head: %r" % head[:40])
    if not caddy:
        check(rest + pu.read_exact(s, len(first) - len(rest)) == first, "bytes behind the head echoed")
    for size in (5, 200, 70000):
        f = pu.ws_frame(os.urandom(size))
        s.sendall(f)
        check(pu.read_exact(s, len(f)) == f, "frame of %d bytes echoed byte-exact" % size)
    burst = b"".join(pu.ws_frame(os.urandom(1000)) for _ in range(1000))
    t = threading.Thread(target=s.sendall, args=(burst,))
    t.start()
    echoed = pu.read_exact(s, len(burst), timeout=30)
    t.join()
    check(echoed == burst, "1 MB burst echoed byte-exact (%d of %d)" % (len(echoed), len(burst)))
    if during:
        during()
    time.sleep(HOLD)
    if not caddy:
        s.shutdown(socket.SHUT_WR)
        check(pu.read_exact(s, 100, timeout=5) == b"bye", "half-close: the upstream still answers")
    s.close()


def gatehouse_entry(binary, up, tmp):
    port = pu.unused_port()
    mport = pu.unused_port()
    log_path = os.path.join(tmp, "gatehouse.log")
    path = os.path.join(tmp, "Caddyfile")
    with open(path, "w") as f:
        f.write(caddyfile(port, log_path, up.dial, mport))
    proc = subprocess.Popen([binary, "run", "--config", path, "--adapter", "caddyfile", "--workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)

        def open_tunnel_state():
            time.sleep(0.2)
            check(read_entries(log_path, 1, timeout=0.3) == [], "no access entry while the tunnel is open")
            check(metric(mport, "caddy_http_requests_in_flight") == 1, "the tunnel counts in flight")
            check(metric(mport, "caddy_http_requests_total") == 0, "not yet in requests_total")

        session(port, False, open_tunnel_state)
        entries = read_entries(log_path, 1)
        time.sleep(0.2)
        check(metric(mport, "caddy_http_requests_total") == 1, "requests_total counts the tunnel at its end")
        check(metric(mport, "caddy_http_request_duration_seconds_count", 101) == 1,
              "its duration is observed under code 101")
        check(metric(mport, "caddy_http_request_duration_seconds_sum", 101) >= HOLD,
              "and covers the whole tunnel")
        check(metric(mport, "caddy_http_requests_in_flight") == 0, "nothing in flight after it")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            FAILURES.append("gatehouse did not stop")
    return entries


def caddy_entry(up, tmp):
    port = pu.unused_port()
    log_path = os.path.join(tmp, "caddy-access.log")
    peer = CaddyPeer(caddyfile(port, log_path, up.dial), [port])
    try:
        session(port, True)
        # caddy 2.6.2 writes this entry with its default logger (stderr) rather than the
        # site's: both are read.
        deadline = time.time() + 10
        while time.time() < deadline:
            lines = [line for line in peer.read_log().splitlines(True)
                     if line.endswith("\n") and '"logger":"http.log.access' in line and '"uri":"/ws' in line]
            found = read_entries(log_path, 1, timeout=0.1) + [json.loads(line) for line in lines]
            if found:
                return found
            time.sleep(0.1)
        return []
    finally:
        peer.stop()


def comparable(entry):
    e = json.loads(json.dumps(entry))
    for key in ("ts", "duration", "bytes_read", "status"):
        e.pop(key, None)
    e["request"].pop("remote_port", None)
    e["request"].pop("client_ip", None)
    e["logger"] = "http.log.access"
    e["resp_headers"].pop("Server", None)
    return e


def main():
    binary = sys.argv[1]
    up = pu.Upstream()
    tmp = tempfile.mkdtemp(prefix="gh-wsrec-")
    try:
        entries = gatehouse_entry(binary, up, tmp)
        check(len(entries) == 1, "one access entry for the tunnel: %d" % len(entries))
        if entries:
            e = entries[0]
            check(e["status"] == 101 and e["size"] == 0, "status 101, size 0: %s %s" % (e["status"], e["size"]))
            check(HOLD <= e["duration"] < HOLD + 10, "duration covers the whole tunnel: %.3f s" % e["duration"])
            req = e["request"]
            check(req["uri"] == "/ws?x=1" and req["method"] == "GET" and req["proto"] == "HTTP/1.1",
                  "request fields: %r" % req)
            check(req["headers"].get("User-Agent") == ["e2e-record"] and req["headers"].get("Upgrade") == ["websocket"],
                  "request headers: %r" % req["headers"])
            check(e["resp_headers"].get("Sec-Websocket-Accept") == ["s3pPLMBiTxaQ9kYGzzhZRbK+xOo="] and
                  e["resp_headers"].get("Upgrade") == ["websocket"], "101 fields: %r" % e["resp_headers"])
        if shutil.which("caddy") is None:
            print("caddy not installed: comparison skipped")
        else:
            theirs = caddy_entry(up, tmp)
            check(len(theirs) == 1, "caddy wrote one entry: %d" % len(theirs))
            if entries and theirs:
                check(theirs[0]["status"] == 0 and theirs[0]["size"] == 0, "caddy 2.6.2: status 0, size 0")
                check(HOLD <= theirs[0]["duration"], "caddy's duration covers the tunnel too")
                ours, its = comparable(entries[0]), comparable(theirs[0])
                check(ours == its, "entry equal to caddy's but for the known differences:\n  %s\n  %s"
                      % (json.dumps(ours, sort_keys=True), json.dumps(its, sort_keys=True)))
    finally:
        up.close()
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("all ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
