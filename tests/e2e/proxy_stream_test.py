#!/usr/bin/env python3
"""End-to-end: reverse_proxy streaming against real upstreams started here.

SSE token streams pass each event through at once (plain and through `encode gzip`);
large uploads and downloads stream with bounded memory (gatehouse's VmRSS sampled from
/proc while PROXY_STREAM_MB, default 300, MB go each way); a client that leaves closes the
upstream connection within 1 s; an upstream that dies mid-body gives the client a broken
response, never a clean end.
Usage: proxy_stream_test.py <path-to-gatehouse>
"""
import hashlib
import http.client
import json
import os
import socket
import sys
import threading
import time
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import proxy_upstreams as pu  # noqa: E402
from sanitized import rss_within  # noqa: E402

FAILURES = []
MB = int(os.environ.get("PROXY_STREAM_MB", "300"))
RSS_LIMIT_KIB = 64 * 1024
expected_digest = None  # SHA-256 of MB MiB of the pattern, once worked out


def pattern_digest(n):
    global expected_digest
    if expected_digest is None:
        want = hashlib.sha256()
        for piece in pu.pattern_bytes(n):
            want.update(piece)
        expected_digest = want.hexdigest()
    return expected_digest


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


def config(up):
    rp = {"handler": "reverse_proxy", "upstreams": [{"dial": up.dial}],
          "transport": {"protocol": "http", "read_buffer_size": 1000000, "write_buffer_size": 1000000}}
    return {
        "admin": {"disabled": True},
        "apps": {"http": {"servers": {
            "srv0": {"listen": ["127.0.0.1:0"], "routes": [
                {"match": [{"path": ["/gz/*"]}], "handle": [
                    {"handler": "rewrite", "strip_path_prefix": "/gz"},
                    {"handler": "encode", "encodings": {"gzip": {}, "zstd": {}}, "prefer": ["zstd", "gzip"]},
                    rp]},
                {"handle": [rp]},
            ]},
        }}},
    }


def test_sse(addr, up, prefix, encoded):
    up.sse_sent.clear()
    s = socket.create_connection(addr, timeout=10)
    accept = b"Accept-Encoding: gzip\r\n" if encoded else b""
    s.sendall(b"GET " + prefix.encode() + b"/sse?n=6&gap=0.3 HTTP/1.1\r\nHost: a\r\nAccept: text/event-stream\r\n" +
              accept + b"\r\n")
    r = pu.ChunkReader(s)
    head = r.head()
    check("200 OK" in head, "%s SSE status: %r" % (prefix, head[:40]))
    head_at = time.time()
    if encoded:
        check("Content-Encoding: gzip" in head, "%s SSE is gzip-encoded: %r" % (prefix, head))
    dec = zlib.decompressobj(16 + zlib.MAX_WBITS)
    arrivals = {}
    for piece, when in r.chunks():
        text = (dec.decompress(piece) if encoded else piece).decode()
        for line in text.split("\n"):
            if line.startswith("data: {"):
                i = int(json.loads(line[6:])["choices"][0]["delta"]["content"][3:])
                arrivals[i] = when
    s.close()
    sent = dict(up.sse_sent)
    check(len(arrivals) == 6, "%s all 6 SSE events arrived (%d)" % (prefix, len(arrivals)))
    lags = [arrivals[i] - sent[i] for i in sorted(arrivals) if i in sent]
    worst = max(lags) if lags else 99
    print("%s SSE per-event lag: max %.1f ms" % (prefix or "plain", worst * 1000), flush=True)
    # the head leaves the upstream just before the first event: it came before the second
    check(1 in sent and head_at < sent[1], "%s SSE head arrives at once (before the second event was sent)" % prefix)
    held = pu.held_events(sent, arrivals)
    check(not held, "%s every SSE event arrived before the next was sent (worst lag %.0f ms, held: %s)"
          % (prefix, worst * 1000, held))


class RssSampler:
    def __init__(self, pid):
        self.pid = pid
        self.peak = 0
        self._stop = False
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop:
            self.peak = max(self.peak, pu.vm_rss_kib(self.pid))
            time.sleep(0.05)

    def stop(self):
        self._stop = True
        self._t.join()
        return self.peak


def test_upload(addr, pid):
    n = MB * 1024 * 1024
    digest = pattern_digest(n)
    rss = RssSampler(pid)
    t0 = time.time()
    c = http.client.HTTPConnection(addr[0], addr[1], timeout=120)
    c.request("POST", "/echo/upload", body=pu.pattern_bytes(n), headers={"Host": "a", "Content-Length": str(n)})
    r = c.getresponse()
    seen = json.loads(r.read())
    c.close()
    took = time.time() - t0
    peak = rss.stop()
    print("upload %d MB in %.1f s, gatehouse peak VmRSS %.1f MB" % (MB, took, peak / 1024), flush=True)
    check(seen["length"] == n and seen["sha256"] == digest, "upload body hash matches")
    check(rss_within(peak < RSS_LIMIT_KIB), "VmRSS stays under 64 MB during the upload (%d KiB)" % peak)


def test_download(addr, pid, chunked):
    n = MB * 1024 * 1024
    digest = pattern_digest(n)
    rss = RssSampler(pid)
    t0 = time.time()
    c = http.client.HTTPConnection(addr[0], addr[1], timeout=120)
    c.request("GET", "/download?n=%d%s" % (n, "&chunked=1" if chunked else ""), headers={"Host": "a"})
    r = c.getresponse()
    got = hashlib.sha256()
    total = 0
    while True:
        data = r.read(1 << 20)
        if not data:
            break
        got.update(data)
        total += len(data)
    c.close()
    took = time.time() - t0
    peak = rss.stop()
    kind = "chunked" if chunked else "content-length"
    print("download (%s) %d MB in %.1f s, gatehouse peak VmRSS %.1f MB" % (kind, MB, took, peak / 1024), flush=True)
    check(total == n and got.hexdigest() == digest, "%s download body hash matches" % kind)
    check(rss_within(peak < RSS_LIMIT_KIB), "VmRSS stays under 64 MB during the %s download (%d KiB)" % (kind, peak))


def test_client_leaves(addr, up):
    up.hold_closed.clear()
    up.hold_seen.clear()
    s = socket.create_connection(addr, timeout=5)
    s.sendall(b"GET /hold HTTP/1.1\r\nHost: a\r\n\r\n")
    deadline = time.time() + 5  # the request is proxied before the client leaves
    while not up.hold_seen and time.time() < deadline:
        time.sleep(0.02)
    check(bool(up.hold_seen), "the held request reached the upstream")
    t_close = time.time()
    s.close()
    deadline = time.time() + 5
    while not up.hold_closed and time.time() < deadline:
        time.sleep(0.02)
    check(bool(up.hold_closed), "upstream saw the proxied connection close")
    if up.hold_closed:
        lag = up.hold_closed[0] - t_close
        print("client left; upstream saw EOF after %.0f ms" % (lag * 1000), flush=True)
        check(lag < 3.0, "upstream EOF within 3 s of the client leaving, not at its 10 s timeout (%.2f s)" % lag)


def test_upstream_dies(addr):
    c = http.client.HTTPConnection(addr[0], addr[1], timeout=10)
    c.request("GET", "/die?n=1000", headers={"Host": "a"})
    r = c.getresponse()
    broke = False
    try:
        r.read()
    except http.client.IncompleteRead:
        broke = True
    c.close()
    check(broke, "Content-Length response cut short when the upstream dies")
    s = socket.create_connection(addr, timeout=10)
    s.sendall(b"GET /die?n=1000&chunked=1 HTTP/1.1\r\nHost: a\r\n\r\n")
    out = b""
    try:
        while True:
            data = s.recv(65536)
            if not data:
                break
            out += data
    except OSError:
        pass
    s.close()
    check(out.startswith(b"HTTP/1.1 200"), "chunked response started: %r" % out[:30])
    check(not out.endswith(b"0\r\n\r\n"), "chunked response not terminated when the upstream dies")


def main():
    binary = sys.argv[1]
    up = pu.Upstream()
    proc, servers, drain = pu.start_gatehouse(binary, config(up))
    try:
        addr = pu.addr_of(servers)
        test_sse(addr, up, "", False)
        test_sse(addr, up, "/gz", True)
        test_client_leaves(addr, up)
        test_upstream_dies(addr)
        test_upload(addr, proc.pid)
        test_download(addr, proc.pid, chunked=False)
        test_download(addr, proc.pid, chunked=True)
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
