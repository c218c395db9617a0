#!/usr/bin/env python3
"""reverse_proxy `transport http { read_timeout; write_timeout }`, gatehouse against caddy 2.6.2.

Go's transport gives each read and write of the upstream connection its own deadline, and
caddy 2.6.2 shows it so (read_timeout 1s, write_timeout 1s here):
- an upstream that sends its head after 4 s: 504 after about 1 s;
- one that sends a body byte every 0.2 s for 1.8 s: the whole 200 (each read moves the deadline);
- one that sends half its body, then waits 4 s: the client gets the half and a broken response;
- one that never reads a 16 MB request body: 504 or 502 after about 1 s (both deadlines pass);
- a WebSocket whose upstream stays silent: closed after about 1 s (one kept busy by echoes lives on);
- without the options, the late head is answered 200.
Each server runs the same Caddyfile against its own scripted upstream. The upstream's waits
are long (4 s and more) next to the 1 s deadlines, so a time bound can tell "after the
deadline" from "after the upstream" with room for a loaded machine's scheduling delays.
Usage: proxy_io_timeouts_vs_caddy_test.py <path-to-gatehouse>   (exit 77 when caddy is missing)
"""
import shutil
import socket
import sys
import time

sys.dont_write_bytecode = True
from caddy_peer import serving  # noqa: E402
from harness import check, finish, free_port  # noqa: E402
from raw_http_upstream import RawHttpUpstream, request_line  # noqa: E402

UPSTREAM_WAIT = 4.0  # how long the late head and the body gap keep the proxy waiting
BOUND = 3.5  # a 1 s deadline's effect comes before this: before the upstream's wait ends
WS_WATCH = 5.0  # how long a WebSocket is watched for the proxy's close

CADDYFILE = """{
	admin off
	auto_https off
	default_bind 127.0.0.1
}
:%(front)d {
	reverse_proxy /plain/* 127.0.0.1:%(up)d
	reverse_proxy 127.0.0.1:%(up)d {
		transport http {
			read_timeout 1s
			write_timeout 1s
		}
	}
}
"""


class ScriptedUpstream(RawHttpUpstream):
    """Answers by path: /late, /steady, /gap, /noread, /ws (see the module text). A small
    receive buffer, so that /noread stops taking the request body soon."""

    def __init__(self):
        super().__init__(backlog=32, timeout=20, rcvbuf=65536)

    def answer(self, c, head, rest):
        _, path = request_line(head)
        path = path.split("/", 2)[-1] if path.startswith("/plain/") else path.lstrip("/")
        self._answer(c, path)

    @staticmethod
    def _answer(c, path):
        if path.startswith("late"):
            time.sleep(UPSTREAM_WAIT)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate")
        elif path.startswith("steady"):
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n")
            for _ in range(9):
                time.sleep(0.2)
                c.sendall(b"x")
        elif path.startswith("gap"):
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab")
            time.sleep(UPSTREAM_WAIT)
            c.sendall(b"cd")
        elif path.startswith("noread"):
            time.sleep(UPSTREAM_WAIT + 1)
        elif path.startswith("ws"):
            c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
            while True:
                d = c.recv(100)
                if not d:
                    return
                c.sendall(d)
        time.sleep(0.3)


def get(port, path, body=None):
    """(status, body bytes, complete, seconds) of one request on a fresh connection."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(10)
    t0 = time.time()
    head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n" % (
        "POST" if body else "GET", path, port)
    if body:
        head += "Content-Length: %d\r\n" % len(body)
    try:
        s.sendall((head + "\r\n").encode())
        if body:
            s.sendall(body)
    except OSError:
        pass  # a server that answered early may close while the body still goes
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except OSError:
        pass
    s.close()
    took = time.time() - t0
    if b"\r\n\r\n" not in data:
        return 0, b"", False, took
    head, rest = data.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ", 2)[1])
    length = None
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    return status, rest, length is None or len(rest) == length, took


def websocket(port, echo_every):
    """Seconds until the proxy closes a WebSocket (None: still open after WS_WATCH s); the
    client sends a byte every `echo_every` seconds (None: never)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n" % port).encode())
    s.settimeout(5)
    head = b""
    while b"\r\n\r\n" not in head:
        d = s.recv(1000)
        if not d:
            return -1.0
        head += d
    if not head.startswith(b"HTTP/1.1 101"):
        return -1.0
    t0 = time.time()
    s.settimeout(echo_every or WS_WATCH)
    try:
        while time.time() - t0 < WS_WATCH:
            if echo_every:
                s.sendall(b"p")
            try:
                if s.recv(100) == b"":
                    return time.time() - t0
            except socket.timeout:
                if not echo_every:
                    return None
            time.sleep(echo_every or 0)
    except OSError:
        return time.time() - t0
    finally:
        s.close()
    return None


def observe(front):
    out = {}
    st, body, complete, took = get(front, "/late")
    out["late"] = (st, took)
    out["plain late"] = get(front, "/plain/late")[:3]
    out["steady"] = get(front, "/steady")[:3]
    st, body, complete, took = get(front, "/gap")
    out["gap"] = (st, body, complete, took)
    st, _, _, took = get(front, "/noread", b"z" * (16 << 20))
    out["noread"] = (st, took)
    out["ws silent"] = websocket(front, None)
    out["ws busy"] = websocket(front, 0.2)
    return out


def main():
    binary = sys.argv[1]
    if shutil.which("caddy") is None:
        print("caddy not installed")
        return 77
    results = {}
    for who in ("caddy", "gatehouse"):
        up = ScriptedUpstream()
        front = free_port()
        try:
            with serving(who, binary, CADDYFILE % {"front": front, "up": up.port}, [front]):
                results[who] = observe(front)
        finally:
            up.close()
        print("%s: %r" % (who, results[who]))
    for who, r in results.items():
        check(r["late"][0] == 504 and 0.8 < r["late"][1] < BOUND, "%s: a late head is 504 after ~1 s (%.2f s)"
              % (who, r["late"][1]))
        check(r["plain late"] == (200, b"late", True), "%s: without read_timeout the late head is served" % who)
        check(r["steady"] == (200, b"x" * 9, True), "%s: a steady trickle is served whole" % who)
        check(r["gap"][0] == 200 and r["gap"][1] == b"ab" and not r["gap"][2] and r["gap"][3] < BOUND,
              "%s: a body gap breaks the response after ~1 s (%.2f s)" % (who, r["gap"][3]))
        # The read deadline (waiting for the head) and the write deadline pass together: caddy
        # answers 504 or 502 depending on which of its goroutines sees its error first.
        check(r["noread"][0] in (502, 504) and r["noread"][1] < BOUND,
              "%s: an upstream that reads nothing: 502 or 504 after ~1 s (%.2f s)" % (who, r["noread"][1]))
        check(r["ws silent"] is not None and 0.8 < r["ws silent"] < BOUND,
              "%s: a silent WebSocket upstream is closed after ~1 s (%s s)" % (who, r["ws silent"]))
        check(r["ws busy"] is None, "%s: a WebSocket kept busy stays open" % who)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
