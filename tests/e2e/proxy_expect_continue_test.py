#!/usr/bin/env python3
"""End-to-end: reverse_proxy `transport http { expect_continue_timeout D }` (Go's
Transport.ExpectContinueTimeout) with a scripted HTTP/1.1 upstream.

- The upstream answers 100 after 300 ms (timeout 2s): the body reaches it after its 100,
  not before; the client sees one 100 (the upstream's, forwarded), not gatehouse's own too.
- The upstream stays silent (timeout 500ms): the body arrives about 0.5 s after the head.
- The upstream answers 417 at once: the client gets the 417, the body never reaches the
  upstream, and that upstream connection is closed rather than reused.
- Without the timeout the body is sent at once, Expect or not.
Usage: proxy_expect_continue_test.py <path-to-gatehouse>
"""
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from harness import FAILURES, check  # noqa: E402
import proxy_upstreams as pu  # noqa: E402
import tcp_servers  # noqa: E402

BODY = b"x" * 1000


class Scripted:
    """One request per connection; what it does depends on the path. Records, per path, the
    delay between the request head and the first body byte, and the head itself."""

    def __init__(self):
        self.sock = tcp_servers.listen(backlog=16)
        self.dial = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.seen = {}
        self.lock = threading.Lock()
        tcp_servers.serve(self.sock, self._serve, timeout=10)

    def _serve(self, conn):
        buf = tcp_servers.read_head(conn)
        if buf is None:
            return
        head_at = time.monotonic()
        head, rest = buf.split(b"\r\n\r\n", 1)
        path = head.split(b" ", 2)[1].decode()
        rec = {"head": head.decode("latin-1"), "body": rest, "body_at": head_at if rest else None}
        with self.lock:
            self.seen[path] = rec
        if path == "/reject":
            conn.sendall(b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 4\r\n\r\nnope")  # keep-alive
            self._read_body(conn, rec, head_at + 1.0)  # nothing should come
            return
        if path == "/late":
            time.sleep(0.3)
            rec["continue_at"] = time.monotonic()
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        self._read_body(conn, rec, head_at + 5.0)
        rec["delay"] = rec["body_at"] - head_at if rec["body_at"] else None
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(rec["body"]) +
                     rec["body"])

    @staticmethod
    def _read_body(conn, rec, until):
        while len(rec["body"]) < len(BODY) and time.monotonic() < until:
            conn.settimeout(max(0.01, until - time.monotonic()))
            try:
                data = conn.recv(65536)
            except socket.timeout:
                return
            if not data:
                rec["eof"] = True
                return
            if rec["body_at"] is None:
                rec["body_at"] = time.monotonic()
            rec["body"] += data


def request(addr, path):
    """POSTs BODY with Expect: 100-continue (all at once); returns the whole raw answer."""
    s = socket.create_connection(addr, timeout=10)
    s.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: %d\r\n"
              b"Connection: close\r\n\r\n" % (path.encode(), len(BODY)) + BODY)
    out = b""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        data = s.recv(65536)
        if not data:
            break
        out += data
    s.close()
    return out


def route(path, dial, timeout):
    transport = {"protocol": "http"}
    if timeout:
        transport["expect_continue_timeout"] = timeout
    return {"match": [{"path": [path]}],
            "handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": dial}], "transport": transport}]}


def main():
    binary = sys.argv[1]
    up = Scripted()
    routes = [route("/late", up.dial, "2s"), route("/silent", up.dial, "500ms"),
              route("/reject", up.dial, "2s"), route("/nowait", up.dial, None)]
    cfg = {"admin": {"disabled": True},
           "apps": {"http": {"servers": {"srv0": {"listen": ["127.0.0.1:0"], "routes": routes}}}}}
    proc, servers, drain = pu.start_gatehouse(binary, cfg)
    try:
        addr = pu.addr_of(servers)

        out = request(addr, "/late")
        rec = up.seen.get("/late", {})
        check(b" 200 " in out and out.endswith(BODY), "late 100: 200 with the body echoed")
        check(out.count(b"100 Continue") == 1, "late 100: the client sees one 100 (the upstream's, forwarded; the session's own stays unsent)")
        check("expect: 100-continue" in rec.get("head", "").lower(), "late 100: Expect forwarded upstream")
        check(rec.get("body_at") is not None and rec["body_at"] >= rec.get("continue_at", 1e18),
              "late 100: the body arrived after the upstream's 100")
        print("late 100: body %.3f s after the head" % (rec.get("delay") or -1))
        # below the 2s timeout: the 100 let it go (bounds leave room for a loaded machine)
        check(rec.get("delay") is not None and 0.28 <= rec["delay"] < 1.9,
              "late 100: body ~0.3 s after the head: %s" % rec.get("delay"))

        out = request(addr, "/silent")
        rec = up.seen.get("/silent", {})
        check(b" 200 " in out and out.endswith(BODY), "silent upstream: 200 with the body echoed")
        print("silent upstream: body %.3f s after the head" % (rec.get("delay") or -1))
        check(rec.get("delay") is not None and 0.45 <= rec["delay"] < 3.0,
              "silent upstream: body after the 500ms timeout: %s" % rec.get("delay"))

        t0 = time.monotonic()
        out = request(addr, "/reject")
        took = time.monotonic() - t0
        time.sleep(1.1)  # the upstream watches for body bytes for 1 s
        rec = up.seen.get("/reject", {})
        check(b" 417 " in out and out.endswith(b"nope"), "early 417: forwarded to the client: %r" % out[-80:])
        print("early 417: answered in %.3f s" % took)
        check(took < 1.9, "early 417: answered at once, not after the 2s timeout: %.3f s" % took)
        check(rec.get("body") == b"", "early 417: no body bytes reached the upstream: %d" % len(rec.get("body", b"")))
        check(rec.get("eof") is True, "early 417: the upstream connection is closed, not pooled (its body was never sent)")

        out = request(addr, "/nowait")
        rec = up.seen.get("/nowait", {})
        check(b" 200 " in out and out.endswith(BODY), "no timeout: 200 with the body echoed")
        check(rec.get("delay") is not None and rec["delay"] < 0.45,
              "no timeout: body sent at once: %s" % rec.get("delay"))
    finally:
        pu.stop_gatehouse(proc, drain, FAILURES)
        up.sock.close()
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        sys.exit(1)
    print("proxy_expect_continue_test: all checks passed")


if __name__ == "__main__":
    main()
