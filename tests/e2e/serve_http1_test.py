#!/usr/bin/env python3
"""End-to-end: `gatehouse run` on a JSON config over HTTP/1.1.

Starts the real binary on 127.0.0.1 port 0, reads the bound addresses from its startup
line, drives it with raw sockets and http.client, then stops it with SIGTERM.
Usage: serve_http1_test.py <path-to-gatehouse>
"""
import http.client
import json
import os
import socket
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from harness import FAILURES, addr_of, check, finish, start, stop  # noqa: E402

def raw(addr, data, timeout=5.0, read_until_close=True):
    """Sends bytes, returns everything read until the server closes (or timeout)."""
    host, port = addr
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
            if not read_until_close and b"\r\n\r\n" in out:
                break
        return out
    finally:
        s.close()


def get(addr, path, host="a.test", method="GET", headers=None):
    c = http.client.HTTPConnection(addr[0], addr[1], timeout=5)
    h = {"Host": host}
    h.update(headers or {})
    c.request(method, path, headers=h)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def make_site(tmp):
    root = os.path.join(tmp, "site")
    os.makedirs(os.path.join(root, "sub"))
    os.makedirs(os.path.join(root, ".git"))
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write("<h1>home</h1>\n")
    with open(os.path.join(root, "a.txt"), "w") as f:
        f.write("0123456789")
    with open(os.path.join(root, "sub", "index.html"), "w") as f:
        f.write("sub index")
    with open(os.path.join(root, ".git", "config"), "w") as f:
        f.write("hidden")
    with open(os.path.join(root, "big.bin"), "wb") as f:
        f.write(os.urandom(3 * 1024 * 1024 + 17))
    with open(os.path.join(tmp, "secret.txt"), "w") as f:
        f.write("TOP SECRET")
    os.symlink(os.path.join(tmp, "secret.txt"), os.path.join(root, "escape.txt"))
    os.symlink(os.path.join(root, "a.txt"), os.path.join(root, "inside.txt"))
    return root


def config(root):
    return {
        "admin": {"disabled": True},
        "apps": {"http": {"servers": {
            "srv0": {
                "listen": ["127.0.0.1:0"],
                "max_header_bytes": 8192,
                "automatic_https": {"skip": ["a.test", "b.test", "*.wild.test"]},
                "routes": [
                    {"match": [{"host": ["a.test"]}], "terminal": True, "handle": [{"handler": "subroute", "routes": [
                        {"match": [{"path": ["/healthz"]}], "handle": [{"handler": "static_response", "body": "ok"}]},
                        {"match": [{"path": ["/echo/*"]}], "handle": [
                            {"handler": "headers", "response": {"set": {"X-Echo": ["{http.request.method}"]}}},
                            {"handler": "static_response",
                             "body": "{http.request.method} {http.request.uri} {http.request.header.X-In}"}]},
                        {"match": [{"path_regexp": {"name": "u", "pattern": "^/users/(\\d+)$"}}],
                         "handle": [{"handler": "static_response", "body": "user {http.regexp.u.1}"}]},
                        {"handle": [{"handler": "file_server", "root": root, "hide": [".git"]}]},
                    ]}]},
                    {"match": [{"host": ["b.test"]}], "handle": [
                        {"handler": "static_response", "status_code": 201, "body": "b site"}]},
                    {"match": [{"host": ["*.wild.test"]}], "handle": [
                        {"handler": "static_response", "body": "wild {http.request.host}"}]},
                ],
            },
            "srv1": {
                "listen": ["127.0.0.1:0"],
                "routes": [{"handle": [{"handler": "static_response", "body": "second server"}]}],
            },
        }}},
    }


def run_checks(a, b):
    # respond + host routing
    st, h, body = get(a, "/healthz")
    check(st == 200 and body == b"ok", "respond /healthz")
    check(h.get("server") == "Gatehouse", "Server header")
    check(h.get("content-type") == "text/plain; charset=utf-8", "respond content type")
    st, _, body = get(a, "/x", host="b.test")
    check(st == 201 and body == b"b site", "host b.test -> 201")
    st, _, body = get(a, "/", host="x.wild.test:1234")
    check(body == b"wild x.wild.test", "wildcard host with port")
    st, h, body = get(a, "/", host="unknown.test")
    check(st == 200 and body == b"" and h.get("content-length") == "0", "no route -> empty 200")
    st, _, body = get(b, "/anything", host="whatever")
    check(body == b"second server", "second server")
    st, h, body = get(a, "/echo/x?q=1", headers={"X-In": "hello"})
    check(body == b"GET /echo/x?q=1 hello" and h.get("x-echo") == "GET", "placeholders + headers: %r" % body)
    st, _, body = get(a, "/users/42")
    check(body == b"user 42", "path_regexp capture")
    st, _, body = get(a, "/ECHO/Y")
    check(body.startswith(b"GET /ECHO/Y"), "path matching is case-insensitive")

    # file_server
    st, h, body = get(a, "/")
    check(st == 200 and body == b"<h1>home</h1>\n", "index.html")
    check(h.get("content-type") == "text/html; charset=utf-8", "html content type")
    etag, lastmod = h.get("etag"), h.get("last-modified")
    check(etag is not None and lastmod is not None, "etag and last-modified")
    check(h.get("accept-ranges") == "bytes", "accept-ranges")
    st, h, body = get(a, "/", headers={"If-None-Match": etag})
    check(st == 304 and body == b"" and "content-length" not in h, "If-None-Match -> 304")
    st, h, body = get(a, "/", headers={"If-Modified-Since": lastmod})
    check(st == 304, "If-Modified-Since -> 304")
    st, h, body = get(a, "/a.txt", headers={"Range": "bytes=2-5"})
    check(st == 206 and body == b"2345" and h.get("content-range") == "bytes 2-5/10", "Range 2-5")
    st, h, body = get(a, "/a.txt", headers={"Range": "bytes=-3"})
    check(st == 206 and body == b"789", "suffix range")
    st, h, body = get(a, "/a.txt", headers={"Range": "bytes=50-"})
    check(st == 416 and h.get("content-range") == "bytes */10", "unsatisfiable range -> 416")
    st, h, body = get(a, "/a.txt", method="HEAD")
    check(st == 200 and h.get("content-length") == "10" and body == b"", "HEAD file")
    st, h, body = get(a, "/a.txt", method="POST")
    check(st == 405 and h.get("allow") == "GET, HEAD", "POST file -> 405")
    st, _, body = get(a, "/missing.txt")
    check(st == 404 and body == b"", "missing -> 404")
    st, h, _ = get(a, "/sub")
    check(st == 308 and h.get("location") == "/sub/", "dir without slash -> 308")
    st, h, _ = get(a, "/a.txt/")
    check(st == 404, "file with slash -> 404 (caddy 2.6.2: the slashed name fails its lookup)")
    st, _, body = get(a, "/sub/")
    check(body == b"sub index", "sub index")
    st, _, body = get(a, "/big.bin")
    check(st == 200 and len(body) == 3 * 1024 * 1024 + 17, "large file streamed (%d bytes)" % len(body))
    st, _, body = get(a, "/.git/config")
    check(st == 404, "hidden file -> 404")
    st, _, body = get(a, "/inside.txt")
    check(st == 200 and body == b"0123456789", "symlink inside root served")
    st, _, body = get(a, "/escape.txt")
    check(st == 404 and b"SECRET" not in body, "symlink out of root refused")
    for attempt in [b"/../secret.txt", b"/%2e%2e/secret.txt", b"/sub/../../secret.txt", b"/..%2fsecret.txt",
                    b"/%2e%2e%2fsecret.txt"]:
        out = raw(a, b"GET " + attempt + b" HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
        check(b"SECRET" not in out and (b" 404 " in out or b" 400 " in out), "traversal %r: %r" % (attempt, out[:40]))

    # keep-alive + pipelining
    req = b"GET /healthz HTTP/1.1\r\nHost: a.test\r\n\r\n"
    out = raw(a, req * 3 + b"GET /a.txt HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n", timeout=5)
    check(out.count(b"HTTP/1.1 200 OK") == 4 and out.endswith(b"0123456789"), "pipelining: %r" % out[-60:])
    c = http.client.HTTPConnection(a[0], a[1], timeout=5)
    for _ in range(5):
        c.request("GET", "/healthz", headers={"Host": "a.test"})
        r = c.getresponse()
        check(r.read() == b"ok", "keep-alive reuse")
    c.close()

    # HEAD on a responder
    st, h, body = get(a, "/healthz", method="HEAD")
    check(st == 200 and h.get("content-length") == "2" and body == b"", "HEAD respond")

    # malformed -> 400, oversized -> 431
    out = raw(a, b"GET / HTTP/1.1\r\nHost: a.test\r\nBad Header\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 400 Bad Request"), "malformed -> 400: %r" % out[:40])
    out = raw(a, b"GET / HTTP/1.1\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 400") and b"missing required Host header" in out, "missing host -> 400")
    out = raw(a, b"GET / HTTP/1.1\r\nHost: a.test\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 431 Request Header Fields Too Large"), "oversized -> 431: %r" % out[:40])

    # chunked body, Expect: 100-continue
    out = raw(a, b"POST /healthz HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"3\r\nabc\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
    check(out.count(b"200 OK") == 2, "chunked request body then next request")
    out = raw(a, b"PUT /healthz HTTP/1.1\r\nHost: a.test\r\nContent-Length: 2\r\nExpect: 100-continue\r\n"
                 b"Connection: close\r\n\r\n", timeout=3)
    # as Go: the 100 goes out when a handler reads the body; `respond` never does
    check(out.startswith(b"HTTP/1.1 200 OK") and b"100 Continue" not in out, "100-continue: %r" % out[:50])

    # slow client: a request trickled byte by byte still works
    s = socket.create_connection(a, timeout=5)
    for ch in b"GET /healthz HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n":
        s.send(bytes([ch]))
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    check(data.startswith(b"HTTP/1.1 200 OK") and data.endswith(b"ok"), "slow client")


def main():
    if len(sys.argv) < 2:
        print("usage: serve_http1_test.py <gatehouse>")
        return 2
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        root = make_site(tmp)
        cfg_path = os.path.join(tmp, "config.json")
        with open(cfg_path, "w") as f:
            json.dump(config(root), f)
        proc, servers, drain, _ = start(binary, cfg_path)
        try:
            run_checks(addr_of(servers["srv0"][0]), addr_of(servers["srv1"][0]))
        finally:
            stop(proc, drain)
            if FAILURES:
                print("--- server stderr ---\n" + drain.text(), flush=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
