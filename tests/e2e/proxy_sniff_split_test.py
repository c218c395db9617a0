#!/usr/bin/env python3
"""End-to-end: the Content-Type sniffed for a proxied body whose upstream sends no type,
when the upstream writes its head, pauses, then writes the body in short pieces; through
gatehouse and through Debian's caddy 2.6.2 running the same Caddyfile, compared answer by
answer (status, Content-Type, body), for a plain GET and for a WebSocket upgrade the
upstream refuses (no 101), over HTTP/1.1 and h2c.

What caddy 2.6.2 does, and so what is checked:
- a body of known length: Caddy copies it with no flush, so Go's server sniffs the bytes
  its response buffer holds when the head goes out: the body's first 512 bytes however the
  upstream split them ("<ht" then "ml>..." is text/html; a binary byte at offset 400 makes
  it application/octet-stream even when the first read held 300 text bytes; one at 520
  does not);
- a chunked body: Caddy flushes the head at once (flushInterval -1), so nothing is sniffed
  when the body comes after a pause (also when the first read holds only chunk framing).
  When head and body come in one read, caddy 2.6.2 races its flush timer against the
  first body write and now and then sniffs a type (about 1 request in 300): not compared.
Exits 77 when caddy or curl is not installed.
Usage: proxy_sniff_split_test.py <gatehouse>
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check  # noqa: E402
from caddy_peer import h2c_proxy_caddyfile, serving  # noqa: E402
from proxy_upstreams import KeepAliveUpstream  # noqa: E402

PAUSE = 0.15
TEXT300 = b"a" * 300
BIN_AT_400 = TEXT300 + b"b" * 100 + b"\x01" + b"c" * 199
BIN_AT_520 = TEXT300 + b"b" * 220 + b"\x01" + b"c" * 79


def cl_head(status, length):
    return b"HTTP/1.1 %s\r\nContent-Length: %d\r\n\r\n" % (status, length)


CHUNKED_HEAD = b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n"

# path: the pieces the upstream writes, a pause after each but the last
ROUTES = {
    "/html-split": [cl_head(b"400 Bad Request", 14), b"<ht", b"ml><b>x</b>"],
    "/html-head-with-3": [cl_head(b"400 Bad Request", 14) + b"<ht", b"ml><b>x</b>"],
    "/ok-html-split": [cl_head(b"200 OK", 14), b"<ht", b"ml><b>x</b>"],
    "/binary-at-400": [cl_head(b"400 Bad Request", 600), BIN_AT_400[:300], BIN_AT_400[300:]],
    "/binary-at-520": [cl_head(b"400 Bad Request", 600), BIN_AT_520[:300], BIN_AT_520[300:]],
    "/text-split": [cl_head(b"400 Bad Request", 8), b"bad", b" more"],
    "/chunked-split": [CHUNKED_HEAD, b"3\r\nbad\r\n", b"5\r\n more\r\n0\r\n\r\n"],
    "/chunked-framing-first": [CHUNKED_HEAD, b"3\r\n", b"bad\r\n0\r\n\r\n"],
    "/chunked-html-split": [CHUNKED_HEAD, b"3\r\n<ht\r\n", b"b\r\nml><b>x</b>\r\n0\r\n\r\n"],
}

# path: (Content-Type both must answer, body)
EXPECTED = {
    "/html-split": ("text/html; charset=utf-8", b"<html><b>x</b>"),
    "/html-head-with-3": ("text/html; charset=utf-8", b"<html><b>x</b>"),
    "/ok-html-split": ("text/html; charset=utf-8", b"<html><b>x</b>"),
    "/binary-at-400": ("application/octet-stream", BIN_AT_400),
    "/binary-at-520": ("text/plain; charset=utf-8", BIN_AT_520),
    "/text-split": ("text/plain; charset=utf-8", b"bad more"),
    "/chunked-split": (None, b"bad more"),
    "/chunked-framing-first": (None, b"bad"),
    "/chunked-html-split": (None, b"<html><b>x</b>"),
}


class SplitUpstream(KeepAliveUpstream):
    """Answers each request on a kept-alive connection with its route's pieces, pausing
    PAUSE seconds between them (so each arrives in a read of its own)."""

    def __init__(self):
        super().__init__("split", timeout=15)

    def respond(self, conn, head):
        path = head.split(b" ")[1].decode()
        pieces = ROUTES.get(path, [cl_head(b"404 Not Found", 0)])
        for i, piece in enumerate(pieces):
            if i:
                time.sleep(PAUSE)
            conn.sendall(piece)
        return True


def h1_get(port, path, upgrade):
    """(status, Content-Type or None, body) of one HTTP/1.1 exchange (bounded reads)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    fields = "Host: 127.0.0.1\r\n"
    if upgrade:
        fields += ("Connection: Upgrade\r\nUpgrade: websocket\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
    s.sendall(("GET %s HTTP/1.1\r\n%s\r\n" % (path, fields)).encode())
    data = b""
    deadline = time.time() + 10
    while b"\r\n\r\n" not in data and time.time() < deadline:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    body = b""
    if "content-length" in fields:
        want = int(fields["content-length"])
        while len(rest) < want and time.time() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        body = rest[:want]
    elif "chunked" in fields.get("transfer-encoding", ""):
        while not rest.endswith(b"0\r\n\r\n") and time.time() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        for _ in range(1000):  # bounded: chunks
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0] or b"0", 16)
            if size == 0:
                break
            body += rest[:size]
            rest = rest[size + 2:]
    s.close()
    return int(lines[0].split(" ")[1]), fields.get("content-type"), body


def h2_get(port, path):
    """(status, Content-Type or None, body) over h2c with prior knowledge (curl)."""
    with tempfile.TemporaryDirectory(prefix="gh-sniff-") as d:
        head_path, body_path = os.path.join(d, "head"), os.path.join(d, "body")
        subprocess.run(["curl", "-s", "--max-time", "10", "--http2-prior-knowledge", "-D", head_path,
                        "-o", body_path, "http://127.0.0.1:%d%s" % (port, path)], check=False)
        with open(head_path, "rb") as f:
            lines = f.read().decode("latin-1").split("\r\n")
        with open(body_path, "rb") as f:
            body = f.read()
    ctype = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-type":
            ctype = value.strip()
    return int(lines[0].split(" ")[1]), ctype, body


def exchange(port):
    out = []
    for path in ROUTES:
        out.append(("h1", path, h1_get(port, path, False)))
        out.append(("h1 upgrade", path, h1_get(port, path, True)))
        out.append(("h2c", path, h2_get(port, path)))
    return out


def run(who, binary):
    up = SplitUpstream()
    port = harness.free_port()
    try:
        with serving(who, binary, h2c_proxy_caddyfile(port, "127.0.0.1:%d" % up.port), [port]):
            return exchange(port)
    finally:
        up.close()


def main():
    binary = sys.argv[1]
    if shutil.which("caddy") is None or shutil.which("curl") is None:
        print("caddy or curl not installed")
        return 77
    ours, theirs = run("gatehouse", binary), run("caddy", binary)
    check(len(ours) == len(theirs), "same number of exchanges")
    for (client, path, got), (_, _, want) in zip(ours, theirs):
        name = "%s %s" % (client, path)
        check(got == want, "%s: as caddy's\n  gatehouse %s\n  caddy     %s" % (name, got[:2], want[:2]))
        # The facts themselves, so that a change in both cannot pass unseen.
        ctype, body = EXPECTED[path]
        check(got[1] == ctype and got[2] == body, "%s: Content-Type %s, the whole body (got %s)"
              % (name, ctype, got[1]))
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
