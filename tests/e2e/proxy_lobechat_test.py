#!/usr/bin/env python3
"""End-to-end: the seed config examples/lobechat.Caddyfile, adapted by gatehouse itself,
in front of a real upstream started here (standing in for LobeChat on 127.0.0.1:3210).

The site address becomes http://127.0.0.1 (TLS is not part of this test), the upstream
address the test upstream's, and the listener 127.0.0.1:0. Checks /healthz, header_up
(Host, X-Real-IP, X-Forwarded-*), an upload, an SSE token stream through `encode`
(gzip: each event before the upstream sends the next) and a WebSocket echo through the @websocket route.
Usage: proxy_lobechat_test.py <path-to-gatehouse>
"""
import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import proxy_upstreams as pu  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


def adapted_config(binary, up):
    with open(os.path.join(REPO, "examples", "lobechat.Caddyfile")) as f:
        text = f.read()
    check("chat.example.com {" in text and "127.0.0.1:3210" in text, "seed config has its site and upstream")
    text = text.replace("chat.example.com {", "http://127.0.0.1 {").replace("127.0.0.1:3210", up.dial)
    with tempfile.NamedTemporaryFile("w", suffix=".Caddyfile", delete=False) as f:
        f.write(text)
        path = f.name
    out = subprocess.run([binary, "adapt", "--config", path], capture_output=True, text=True, timeout=30)
    os.unlink(path)
    if out.returncode != 0:
        raise SystemExit("adapt failed: " + out.stderr)
    cfg = json.loads(out.stdout)
    for srv in cfg["apps"]["http"]["servers"].values():
        srv["listen"] = ["127.0.0.1:0"]
        srv["automatic_https"] = {"disable": True}  # plain HTTP on a test port
    cfg["admin"] = {"disabled": True}
    return cfg


def test_plain(addr):
    c = http.client.HTTPConnection(addr[0], addr[1], timeout=10)
    c.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
    r = c.getresponse()
    check(r.status == 200 and r.read() == b"ok", "/healthz answered by the site itself")
    payload = os.urandom(3 * 1024 * 1024)
    c.request("POST", "/echo/api/chat", body=payload, headers={"Host": "127.0.0.1", "X-Forwarded-For": "9.9.9.9"})
    r = c.getresponse()
    seen = json.loads(r.read())
    c.close()
    up = {k.lower(): v for k, v in seen["headers"]}
    check(seen["sha256"] == hashlib.sha256(payload).hexdigest(), "upload forwarded intact")
    check(up.get("host") == "127.0.0.1", "header_up Host {host}: %r" % up.get("host"))
    check(up.get("x-real-ip") == "127.0.0.1", "header_up X-Real-IP {remote_host}: %r" % up.get("x-real-ip"))
    check(up.get("x-forwarded-for") == "127.0.0.1", "X-Forwarded-For: %r" % up.get("x-forwarded-for"))
    check(up.get("x-forwarded-proto") == "http", "X-Forwarded-Proto {scheme}")


def test_sse(addr, up):
    up.sse_sent.clear()
    s = socket.create_connection(addr, timeout=10)
    s.sendall(b"GET /sse?n=8&gap=0.4 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
              b"Accept-Encoding: gzip\r\n\r\n")
    r = pu.ChunkReader(s)
    head = r.head()
    check("Content-Encoding: gzip" in head, "SSE through encode is compressed: %r" % head)
    dec = zlib.decompressobj(16 + zlib.MAX_WBITS)
    arrivals = {}
    for piece, when in r.chunks():
        for line in dec.decompress(piece).decode().split("\n"):
            if line.startswith("data: {"):
                arrivals[int(json.loads(line[6:])["choices"][0]["delta"]["content"][3:])] = when
    s.close()
    sent = dict(up.sse_sent)
    lags = [arrivals[i] - sent[i] for i in arrivals if i in sent]
    check(len(arrivals) == 8, "8 events arrived (%d)" % len(arrivals))
    worst = max(lags) if lags else 99
    print("lobechat SSE through encode gzip: worst per-event lag %.1f ms" % (worst * 1000), flush=True)
    held = pu.held_events(sent, arrivals)
    check(not held, "each event arrived before the next was sent (worst lag %.0f ms, held: %s)" % (worst * 1000, held))


def test_websocket(addr):
    s = socket.create_connection(addr, timeout=10)
    s.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
              b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              b"Accept-Encoding: gzip\r\n\r\n")
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = s.recv(4096)
        if not data:
            break
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    check(head.startswith(b"HTTP/1.1 101"), "WebSocket upgrade through the seed config: %r" % head[:40])
    check(b"Content-Encoding" not in head, "no encoding on a 101")
    f = pu.ws_frame(b"hello lobe")
    s.sendall(f)
    check(rest + pu.read_exact(s, len(f) - len(rest)) == f, "WebSocket frame echoed")
    s.close()


def main():
    binary = sys.argv[1]
    up = pu.Upstream()
    proc, servers, drain = pu.start_gatehouse(binary, adapted_config(binary, up))
    try:
        addr = pu.addr_of(servers, next(iter(servers)))
        test_plain(addr)
        test_sse(addr, up)
        test_websocket(addr)
    finally:
        pu.stop_gatehouse(proc, drain, FAILURES)
        up.close()
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
