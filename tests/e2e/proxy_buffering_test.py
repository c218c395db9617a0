#!/usr/bin/env python3
"""End-to-end: reverse_proxy request_buffers / response_buffers and lb_retry_match replays.

- A chunked upload that fits request_buffers reaches a real upstream with a Content-Length
  (no Transfer-Encoding); one larger than the buffer stays chunked and arrives intact, with
  gatehouse's VmRSS under 64 MB while PROXY_BUF_MB (default 64) MB go up and come down.
- response_buffers holds the head until that many body bytes arrived (time to first byte
  follows the upstream's second write), but an event stream is not held.
- A POST whose body request_buffers held whole is sent again, whole, when lb_retry_match lets
  it be retried after an upstream hung up; without the buffer it is not retried (its body
  already went out and cannot be sent twice).
Usage: proxy_buffering_test.py <path-to-gatehouse>
"""
import hashlib
import json
import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from harness import FAILURES, check  # noqa: E402
import proxy_upstreams as pu  # noqa: E402
import tcp_servers  # noqa: E402
from sanitized import rss_within  # noqa: E402

MB = int(os.environ.get("PROXY_BUF_MB", "64"))
RSS_LIMIT_KIB = 64 * 1024


class Hangup:
    """Reads a request head, then closes the connection unanswered; counts the requests."""

    def __init__(self):
        self.sock = tcp_servers.listen(backlog=16)
        self.dial = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.requests = 0
        tcp_servers.serve(self.sock, self._serve, timeout=5)

    def _serve(self, conn):
        tcp_servers.read_head(conn)
        self.requests += 1


class TwoStep:
    """Answers 200 with a chunked plain-text (or event-stream) body: 10 bytes at once, more
    GAP s later, then the end. Records when it sent the second piece."""

    GAP = 1.0

    def __init__(self):
        self.second_at = []
        self.sock = tcp_servers.listen(backlog=16)
        self.dial = "127.0.0.1:%d" % self.sock.getsockname()[1]
        tcp_servers.serve(self.sock, self._serve, timeout=None)

    def _serve(self, conn):
        buf = tcp_servers.read_head(conn, limit=1 << 30)
        if buf is None:
            return
        ctype = b"text/event-stream" if b"/sse" in buf.split(b"\r\n", 1)[0] else b"text/plain"
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"a\r\ndata: 1\n\n\n\r\n")
        time.sleep(self.GAP)
        self.second_at.append(time.time())
        conn.sendall(b"a\r\ndata: 2\n\n\n\r\n0\r\n\r\n")
        time.sleep(0.2)


def proxy(dials, **extra):
    h = {"handler": "reverse_proxy", "upstreams": [{"dial": d} for d in dials]}
    h.update(extra)
    return h


def config(routes):
    return {"admin": {"disabled": True},
            "apps": {"http": {"servers": {"srv0": {"listen": ["127.0.0.1:0"], "routes": routes}}}}}


def route(prefix, handler):
    return {"match": [{"path": [prefix + "/*"]}],
            "handle": [{"handler": "rewrite", "strip_path_prefix": prefix}, handler]}


def exchange(addr, head, body_pieces=(), timeout=20):
    """Sends a request (body pieces written as given) and returns (status line, headers, body)."""
    s = socket.create_connection(addr, timeout=timeout)
    s.sendall(head)
    for piece in body_pieces:
        s.sendall(piece)
    data = b""
    while b"\r\n\r\n" not in data:
        got = s.recv(65536)
        if not got:
            break
        data += got
    head_bytes, _, rest = data.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    fields = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    n = int(fields.get("content-length", "0"))
    while len(rest) < n:
        got = s.recv(65536)
        if not got:
            break
        rest += got
    s.close()
    return lines[0], fields, rest


def chunked(pieces):
    for p in pieces:
        yield b"%x\r\n" % len(p) + p + b"\r\n"
    yield b"0\r\n\r\n"


def upstream_fields(echo):
    return {k.lower(): v for k, v in echo["headers"]}


def test_request_framing(addr):
    body = b"hello buffered world"
    status, _, out = exchange(addr, b"POST /rb/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
                              chunked([body[:5], body[5:]]))
    check(" 200 " in status, "small chunked upload: %s" % status)
    echo = json.loads(out)
    f = upstream_fields(echo)
    check(f.get("content-length") == str(len(body)) and "transfer-encoding" not in f,
          "a body within request_buffers reaches the upstream with a Content-Length: %r" % f)
    check(echo["sha256"] == hashlib.sha256(body).hexdigest(), "small upload intact")


def sample_rss(pid, stop, peak):
    while not stop.is_set():
        peak[0] = max(peak[0], pu.vm_rss_kib(pid))
        time.sleep(0.05)


def test_big_upload(addr, pid):
    piece = pu.PATTERN * 16  # 1 MiB
    want = hashlib.sha256()
    for _ in range(MB):
        want.update(piece)
    stop, peak = threading.Event(), [0]
    t = threading.Thread(target=sample_rss, args=(pid, stop, peak), daemon=True)
    t.start()
    status, _, out = exchange(addr, b"POST /rb/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
                              chunked(piece for _ in range(MB)), timeout=120)
    stop.set()
    t.join()
    check(" 200 " in status, "big chunked upload: %s" % status)
    echo = json.loads(out)
    f = upstream_fields(echo)
    check(f.get("transfer-encoding") == "chunked" and "content-length" not in f,
          "a body over request_buffers stays chunked: %r" % f)
    check(echo["length"] == MB << 20 and echo["sha256"] == want.hexdigest(), "big upload intact: %d" % echo["length"])
    check(rss_within(peak[0] < RSS_LIMIT_KIB), "RSS during a %d MB buffered upload: %d KiB" % (MB, peak[0]))
    print("upload %d MB through request_buffers 1MB: peak VmRSS %d KiB" % (MB, peak[0]), flush=True)


def test_big_download(addr, pid):
    stop, peak = threading.Event(), [0]
    t = threading.Thread(target=sample_rss, args=(pid, stop, peak), daemon=True)
    t.start()
    s = socket.create_connection(addr, timeout=60)
    s.sendall(b"GET /rsp/download?n=%d&chunked=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" % (MB << 20))
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    _, _, rest = data.partition(b"\r\n\r\n")
    total = len(rest)
    while True:
        got = s.recv(1 << 20)
        if not got:
            break
        total += len(got)
    s.close()
    stop.set()
    t.join()
    check(total > MB << 20, "download through response_buffers complete: %d bytes" % total)
    check(rss_within(peak[0] < RSS_LIMIT_KIB), "RSS during a %d MB buffered download: %d KiB" % (MB, peak[0]))
    print("download %d MB through response_buffers 1MB: peak VmRSS %d KiB" % (MB, peak[0]), flush=True)


def first_byte_after(addr, path, two):
    """Seconds from the request to the answer's first byte, and whether that byte came only
    once the upstream had sent its second piece (an order, whatever the machine's load)."""
    s = socket.create_connection(addr, timeout=10)
    t0 = time.time()
    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    s.recv(1)
    first_at = time.time()
    while s.recv(65536):
        pass
    s.close()
    second_at = two.second_at[-1] if two.second_at else 0.0
    return first_at - t0, first_at >= second_at


def test_held_head(addr, two):
    took, after = first_byte_after(addr, b"/hold/plain", two)
    check(after, "response_buffers holds the head until enough body arrived: %.2f s" % took)
    took, after = first_byte_after(addr, b"/hold/sse", two)
    check(not after, "an event stream is not held by response_buffers: %.2f s" % took)
    took, after = first_byte_after(addr, b"/nohold/plain", two)
    check(not after, "without response_buffers the head goes at once: %.2f s" % took)


def test_replay(addr, hang):
    body = os.urandom(3000)
    head = b"POST /replay/echo HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % len(body)
    before = hang.requests
    status, _, out = exchange(addr, head, [body])
    check(" 200 " in status, "a held POST is retried after a hang-up: %s" % status)
    if " 200 " in status:
        echo = json.loads(out)
        check(echo["sha256"] == hashlib.sha256(body).hexdigest() and echo["length"] == len(body),
              "the retried POST carries its whole body")
    check(hang.requests == before + 1, "the first attempt reached the hanging upstream")
    time.sleep(0.3)  # past fail_duration: the hanging upstream is first again
    status, _, _ = exchange(addr, head.replace(b"/replay/", b"/noreplay/"), [body])
    check(" 502 " in status, "a streamed POST body is not sent twice: %s" % status)


def main():
    binary = sys.argv[1]
    echo = pu.Upstream("echo")
    hang = Hangup()
    two = TwoStep()
    lb = {"selection_policy": {"policy": "first"}, "retries": 2, "try_interval": "10ms",
          "retry_match": [{"method": ["POST"]}]}
    passive = {"passive": {"fail_duration": "200ms"}}
    routes = [
        route("/rb", proxy([echo.dial], request_buffers=1 << 20)),
        route("/rsp", proxy([echo.dial], response_buffers=1 << 20)),
        route("/hold", proxy([two.dial], response_buffers=15)),
        route("/nohold", proxy([two.dial])),
        route("/replay", proxy([hang.dial, echo.dial], request_buffers=65536, load_balancing=lb,
                               health_checks=passive)),
        route("/noreplay", proxy([hang.dial, echo.dial], load_balancing=lb, health_checks=passive)),
    ]
    proc, servers, drain = pu.start_gatehouse(binary, config(routes))
    try:
        addr = pu.addr_of(servers)
        test_request_framing(addr)
        test_held_head(addr, two)
        test_replay(addr, hang)
        test_big_upload(addr, proc.pid)
        test_big_download(addr, proc.pid)
    finally:
        pu.stop_gatehouse(proc, drain, FAILURES)
        echo.close()
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        sys.exit(1)
    print("proxy_buffering_test: all checks passed")


if __name__ == "__main__":
    main()
