#!/usr/bin/env python3
"""End-to-end: WebSocket (any Connection: Upgrade) through reverse_proxy.

The upstream started here answers the handshake with 101 and echoes raw bytes; the test
checks the 101 head, byte-exact echo of masked frames and of a large burst both ways,
bytes sent right behind the request head and behind the 101 head, and half-close in both directions (the client
shuts its sending side, the upstream answers "bye" and closes, the client sees EOF).
Also: an upgrade request to a route that does not tunnel is answered and closed, and
stream_timeout ends a tunnel. All of it twice: without and with an access log (either way
the tunnel goes to a TunnelRelay once the 101 is out; with a log the relay keeps what the
entry needs: proxy_websocket_record_test.py).
Usage: proxy_websocket_test.py <path-to-gatehouse>
"""
import os
import socket
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import proxy_upstreams as pu  # noqa: E402

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


def config(up, access_log=False):
    srv = {"listen": ["127.0.0.1:0"], "routes": [
            {"match": [{"path": ["/static"]}], "handle": [{"handler": "static_response", "body": "no tunnel"}]},
            {"match": [{"path": ["/short"]}], "handle": [{"handler": "rewrite", "uri": "/ws"},
                                                         {"handler": "reverse_proxy", "stream_timeout": "500ms",
                                                          "upstreams": [{"dial": up.dial}]}]},
            {"match": [{"header": {"Connection": ["*Upgrade*"], "Upgrade": ["websocket"]}}],
             "handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": up.dial}]}]},
        ]}
    if access_log:
        srv["logs"] = {}  # the relay records the exchange when the tunnel ends
    return {"admin": {"disabled": True}, "apps": {"http": {"servers": {"srv0": srv}}}}


def handshake(addr, path="/ws", extra=b""):
    s = socket.create_connection(addr, timeout=10)
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: chat.test\r\nConnection: keep-alive, Upgrade\r\n"
              b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n" + extra)
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = s.recv(65536)
        if not data:
            break
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    return s, head.decode("latin-1"), rest


def test_echo(addr):
    first = pu.ws_frame(b"sent with the head")
    s, head, rest = handshake(addr, extra=first)
    check(head.startswith("HTTP/1.1 101 Switching Protocols"), "101 head: %r" % head[:60])
    check("Upgrade: websocket" in head and "Connection: Upgrade" in head, "upgrade fields in the 101: %r" % head)
    check("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head, "Sec-WebSocket-Accept passed back")
    got = rest + pu.read_exact(s, len(first) - len(rest))
    check(got == first, "bytes sent right behind the head are echoed")
    for size in (5, 200, 70000):
        f = pu.ws_frame(os.urandom(size))
        s.sendall(f)
        check(pu.read_exact(s, len(f)) == f, "frame of %d bytes echoed byte-exact" % size)
    burst = b"".join(pu.ws_frame(os.urandom(1000)) for _ in range(3000))  # ~3 MB both ways
    import threading
    t = threading.Thread(target=s.sendall, args=(burst,))
    t.start()
    echoed = pu.read_exact(s, len(burst), timeout=30)
    t.join()
    check(echoed == burst, "3 MB burst echoed byte-exact (%d of %d)" % (len(echoed), len(burst)))
    # Half-close: the upstream sees EOF, says "bye" and closes its side.
    s.shutdown(socket.SHUT_WR)
    tail = pu.read_exact(s, 100, timeout=5)
    check(tail == b"bye", "after the client's half-close the upstream still answers: %r" % tail)
    s.close()


def test_upstream_greets(addr):
    """Bytes the upstream sends in the same segment as its 101 reach the client first."""
    greeting = b"greeting right behind the 101"
    s, head, rest = handshake(addr, path="/ws?greet=1")
    check(head.startswith("HTTP/1.1 101"), "101 head (greeting upstream): %r" % head[:60])
    got = rest + pu.read_exact(s, len(greeting) - len(rest), timeout=5)
    check(got == greeting, "the upstream's bytes behind its 101 are passed on: %r" % got)
    f = pu.ws_frame(b"after the greeting")
    s.sendall(f)
    check(pu.read_exact(s, len(f)) == f, "echo after the greeting")
    s.close()


def test_no_tunnel(addr):
    s, head, rest = handshake(addr, path="/static")
    check(head.startswith("HTTP/1.1 200"), "upgrade to a plain route is answered: %r" % head[:40])
    # As Go's server (caddy 2.6.2, tests/e2e/connect_upgrade_vs_caddy_test.py): an upgrade
    # nobody switched to leaves the connection HTTP; a request behind it is served.
    check("Connection: close" not in head, "and the connection stays open: %r" % head)
    body_len = 0
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            body_len = int(value)
    s.settimeout(10)
    data = rest
    while len(data) < body_len:
        data += s.recv(65536)
    s.sendall(b"GET /static HTTP/1.1\r\nHost: chat.test\r\n\r\n")
    nxt = b""
    while b"\r\n\r\n" not in nxt:
        chunk = s.recv(65536)
        if not chunk:
            break
        nxt += chunk
    check(nxt.startswith(b"HTTP/1.1 200"), "a request behind it on the same connection: %r" % nxt[:40])
    s.close()


def test_stream_timeout(addr):
    s, head, _ = handshake(addr, path="/short")
    check(head.startswith("HTTP/1.1 101"), "tunnel with stream_timeout opens: %r" % head[:40])
    t0 = time.time()
    s.settimeout(5)
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass
    took = time.time() - t0
    s.close()
    check(0.3 < took < 4.0, "stream_timeout 500ms closes the tunnel (after %.2f s; never: 5 s)" % took)


def main():
    binary = sys.argv[1]
    up = pu.Upstream()
    try:
        # A tunnel is handed to a TunnelRelay once the 101 is out; with an access log the
        # relay also keeps the exchange's recorded facts.
        for access_log in (False, True):
            proc, servers, drain = pu.start_gatehouse(binary, config(up, access_log))
            try:
                addr = pu.addr_of(servers)
                test_echo(addr)
                test_upstream_greets(addr)
                test_no_tunnel(addr)
                test_stream_timeout(addr)
            finally:
                pu.stop_gatehouse(proc, drain, FAILURES)
    finally:
        up.close()
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
