#!/usr/bin/env python3
"""End-to-end: interim (1xx) responses through reverse_proxy, as Caddy 2.6.2 forwards them.

A real upstream answers /hints with "103 Early Hints" (a Link field), then 200 after 0.2 s.
Checks, over HTTP/1.1 (raw socket) and HTTP/2 (nghttp, h2c prior knowledge): the client
gets the 103 with the Link field and the fields set before the proxy ran (`header`), before
the final 200 and its body; an HTTP/1.0 client gets the 103 too, in its own version (Go's
WriteHeader(1xx) does not look at it: measured against caddy 2.6.2); `Expect: 100-continue` gets
one "100 Continue" before the body is sent and the upstream sees the Expect field and the
whole body (caddy 2.6.2 answers the same three ways). 127.0.0.1 only.
Usage: proxy_interim_test.py <path-to-gatehouse>
"""
import json
import shutil
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import proxy_upstreams as pu  # noqa: E402

FAILURES = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def config(dial):
    return {"admin": {"disabled": True}, "apps": {"http": {"servers": {"srv0": {
        "listen": ["127.0.0.1:0"], "protocols": ["h1", "h2c"], "routes": [{"handle": [
            {"handler": "headers", "response": {"set": {"X-Site": ["yes"]}}},
            {"handler": "reverse_proxy", "upstreams": [{"dial": dial}]}]}]}}}}}


def raw(addr, data, until=b"hinted", limit=5.0):
    s = socket.create_connection(addr, timeout=limit)
    s.sendall(data)
    buf = b""
    end = time.time() + limit
    while until not in buf and time.time() < end:
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        if not d:
            break
        buf += d
    s.close()
    return buf


def main():
    binary = sys.argv[1]
    up = pu.Upstream("A")
    proc, servers, drain = pu.start_gatehouse(binary, config(up.dial))
    try:
        addr = pu.addr_of(servers)
        got = raw(addr, b"GET /hints HTTP/1.1\r\nHost: a\r\n\r\n")
        first, _, rest = got.partition(b"\r\n\r\n")
        check(first.startswith(b"HTTP/1.1 103 Early Hints\r\n") and b"\r\nLink: </style.css>; rel=preload; as=style"
              in first and b"\r\nX-Site: yes" in first, "HTTP/1.1: 103 with Link and the site's fields: %r" % first)
        check(rest.startswith(b"HTTP/1.1 200 OK\r\n") and rest.endswith(b"hinted"), "then the 200: %r" % rest[-80:])
        got = raw(addr, b"GET /hints HTTP/1.0\r\nHost: a\r\n\r\n")
        first, _, rest = got.partition(b"\r\n\r\n")
        check(first.startswith(b"HTTP/1.0 103 Early Hints\r\n") and b"\r\nLink: </style.css>" in first,
              "HTTP/1.0: the 103 in the client's version: %r" % got[:60])
        check(rest.startswith(b"HTTP/1.0 200 OK\r\n") and rest.endswith(b"hinted"), "then its 200: %r" % rest[:40])
        # Expect: 100-continue: the 100 comes before the body is sent.
        s = socket.create_connection(addr, timeout=5)
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        cont = s.recv(65536)
        check(cont == b"HTTP/1.1 100 Continue\r\n\r\n", "100 Continue before the body: %r" % cont)
        s.sendall(b"hello")
        buf = b""
        while b"}" not in buf:
            d = s.recv(65536)
            if not d:
                break
            buf += d
        s.close()
        body = json.loads(buf.partition(b"\r\n\r\n")[2] or b"{}")
        names = [k.lower() for k, _ in body.get("headers", [])]
        check(body.get("length") == 5 and "expect" in names and buf.count(b"100 Continue") == 0,
              "the upstream got the body and the Expect field; one 100 only: %r" % body)
        if shutil.which("nghttp"):
            out = subprocess.run(["nghttp", "-v", "http://%s:%d/hints" % addr], capture_output=True, text=True,
                                 timeout=20).stdout
            i103, i200 = out.find(":status: 103"), out.find(":status: 200")
            check(0 <= i103 < i200 and "link: </style.css>; rel=preload; as=style" in out[i103:i200]
                  and "x-site: yes" in out[i103:i200], "HTTP/2: a 103 HEADERS frame with link before the 200")
            check(out.rstrip().endswith("hinted") or "hinted" in out, "HTTP/2: the body follows")
        else:
            print("nghttp not installed: HTTP/2 part skipped")
    finally:
        pu.stop_gatehouse(proc, drain, FAILURES)
        up.close()
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("all ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
