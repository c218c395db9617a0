#!/usr/bin/env python3
"""CONNECT and Upgrade requests that no tunnel answers, against caddy 2.6.2.

Go's server treats both like any other request: the body follows its framing
(Content-Length or chunked, also for CONNECT), the handler answers, and the connection stays
HTTP, so a request pipelined behind is served on it. Each case sends raw bytes (a first
request, then a GET on the same connection) to caddy and to gatehouse with the same
Caddyfile and compares every response (status line, fields but Date/Server, body) and
whether the connection is still open afterwards.
Usage: connect_upgrade_vs_caddy_test.py <path-to-gatehouse>
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
from caddy_peer import CaddyPeer  # noqa: E402
from harness import check, finish, free_port, wait_port  # noqa: E402

CADDYFILE = """{
	admin off
	auto_https off
	default_bind 127.0.0.1
}
:%d {
	respond /echo "method={method} path={path} uri={uri} host={host}"
	respond /empty 200
	respond /nocontent 204
	respond "catch {method} {path} uri={uri} host={host}"
}
"""

NEXT = b"GET /echo HTTP/1.1\r\nHost: example.test\r\n\r\n"

CASES = [
    ("CONNECT authority-form", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n" + NEXT),
    ("CONNECT origin-form", b"CONNECT /x HTTP/1.1\r\nHost: example.test\r\n\r\n" + NEXT),
    ("CONNECT empty answer", b"CONNECT /empty HTTP/1.1\r\nHost: example.test\r\n\r\n" + NEXT),
    ("CONNECT 204", b"CONNECT /nocontent HTTP/1.1\r\nHost: example.test\r\n\r\n" + NEXT),
    ("CONNECT Content-Length body",
     b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nContent-Length: 3\r\n\r\nabc" + NEXT),
    ("CONNECT chunked body",
     b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"3\r\nabc\r\n0\r\n\r\n" + NEXT),
    ("CONNECT Connection: close",
     b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nConnection: close\r\n\r\n" + NEXT),
    ("CONNECT HTTP/1.0", b"CONNECT example.com:443 HTTP/1.0\r\nHost: example.com:443\r\n\r\n"),
    ("CONNECT authority with a path", b"CONNECT example.com:443/a/b?z=1 HTTP/1.1\r\n\r\n" + NEXT),
    ("CONNECT IPv6 authority, no Host field", b"CONNECT [::1]:443 HTTP/1.1\r\n\r\n" + NEXT),
    ("Upgrade answered 200",
     b"GET /x HTTP/1.1\r\nHost: example.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n" + NEXT),
    ("Upgrade with a body",
     b"POST /x HTTP/1.1\r\nHost: example.test\r\nConnection: Upgrade\r\nUpgrade: foo\r\nContent-Length: 2\r\n\r\nab"
     + NEXT),
]


def parse_responses(data):
    """[(status line, sorted fields without Date/Server, body)] of Content-Length framed answers."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            out.append(("<partial>", [], data))
            break
        lines = head.decode("latin1").split("\r\n")
        fields = []
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            if name not in ("date", "server"):
                fields.append((name, value))
        status = lines[0]
        code = int(status.split()[1])
        if code == 204 or code == 304:
            length = 0
        out.append((status, sorted(fields), rest[:length]))
        data = rest[length:]
    return out


def exchange(port, payload):
    """(responses, "open" | "closed") for payload sent on one connection."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(payload)
    data = b""
    state = "open"
    deadline = time.time() + 5
    want = payload.count(b" HTTP/1.")
    s.settimeout(0.5)
    while time.time() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            if len(parse_responses(data)) >= want:
                break
            continue
        if not chunk:
            state = "closed"
            break
        data += chunk
    s.close()
    return parse_responses(data), state


def main():
    binary = sys.argv[1]
    if shutil.which("caddy") is None:
        print("caddy not installed")
        return 77
    caddy_port, gh_port = free_port(), free_port()
    peer = CaddyPeer(CADDYFILE % caddy_port, [caddy_port], name="connect")
    tmp = tempfile.mkdtemp(prefix="gh-connect-")
    path = os.path.join(tmp, "Caddyfile")
    with open(path, "w") as f:
        f.write(CADDYFILE % gh_port)
    log = open(os.path.join(tmp, "gatehouse.log"), "w")
    gh = subprocess.Popen([binary, "run", "--config", path, "--adapter", "caddyfile", "--workers", "1"],
                          stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        check(wait_port(gh_port, gh), "gatehouse listens")
        for name, payload in CASES:
            want = exchange(caddy_port, payload)
            got = exchange(gh_port, payload)
            same = want == got
            check(same, "%s: same answers and connection state as caddy" % name)
            if not same:
                print("  caddy:     %r\n  gatehouse: %r" % (want, got))
    finally:
        peer.stop()
        if gh.poll() is None:
            gh.terminate()
            try:
                gh.wait(10)
            except subprocess.TimeoutExpired:
                gh.kill()
                gh.wait(5)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
