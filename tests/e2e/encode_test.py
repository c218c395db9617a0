#!/usr/bin/env python3
"""End-to-end: the `encode` handler (gzip, zstd) on buffered and streamed bodies.

Starts the real binary on 127.0.0.1 port 0 with a JSON config, reads the bound address from
its startup log, and checks the compressed responses with http.client and raw sockets.
zstd bodies are checked only when the `zstandard` Python module is available.
Usage: encode_test.py <path-to-gatehouse>
"""
import gzip
import http.client
import json
import os
import socket
import sys
import tempfile
import zlib

sys.dont_write_bytecode = True
from harness import FAILURES, addr_of, check, finish, start, stop  # noqa: E402


def get(addr, path, method="GET", headers=None, version11=True):
    c = http.client.HTTPConnection(addr[0], addr[1], timeout=5)
    if not version11:
        c._http_vsn = 10
        c._http_vsn_str = "HTTP/1.0"
    h = {"Host": "a.test"}
    h.update(headers or {})
    c.request(method, path, headers=h)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def raw(addr, data, timeout=5.0):
    s = socket.create_connection(addr, timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
        return out
    finally:
        s.close()


TEXT = "".join("line %d of a compressible text file\n" % i for i in range(20000))


def config(root):
    return {
        "admin": {"disabled": True},
        "apps": {"http": {"servers": {"srv0": {
            "listen": ["127.0.0.1:0"],
            "automatic_https": {"skip": ["a.test"]},
            "routes": [{"handle": [
                {"handler": "encode", "encodings": {"gzip": {}, "zstd": {}}, "prefer": ["zstd", "gzip"]},
                {"handler": "subroute", "routes": [
                    {"match": [{"path": ["/small"]}],
                     "handle": [{"handler": "static_response", "body": "short"}]},
                    {"match": [{"path": ["/text"]}],
                     "handle": [{"handler": "static_response", "headers": {"Content-Type": ["text/plain"]},
                                 "body": TEXT[:5000]}]},
                    {"handle": [{"handler": "file_server", "root": root}]},
                ]},
            ]}],
        }}}},
    }


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "site")
        os.makedirs(root)
        with open(os.path.join(root, "big.txt"), "w") as f:
            f.write(TEXT)  # > 64 KiB: streamed through the thread pool
        with open(os.path.join(root, "page.html"), "w") as f:
            f.write(TEXT[:3000])  # small: read inline
        with open(os.path.join(root, "img.png"), "wb") as f:
            f.write(os.urandom(4096))
        cfg_path = os.path.join(tmp, "config.json")
        with open(cfg_path, "w") as f:
            json.dump(config(root), f)
        proc, servers, drain, _ = start(binary, cfg_path, workers=1)
        try:
            run(addr_of(next(iter(servers.values()))[0]))
        finally:
            stop(proc, drain)
    return finish()


def run(addr):
    gz = {"Accept-Encoding": "gzip"}

    # Buffered body from static_response.
    st, h, body = get(addr, "/text", headers=gz)
    check(st == 200 and h.get("content-encoding") == "gzip", "static text gzip: %s %s" % (st, h))
    check(h.get("vary") == "Accept-Encoding", "Vary on compressed response: %s" % h)
    check(gzip.decompress(body).decode() == TEXT[:5000], "static text round-trips")

    # No Accept-Encoding: untouched.
    st, h, body = get(addr, "/text")
    check("content-encoding" not in h and body.decode() == TEXT[:5000], "identity without Accept-Encoding")

    # Below minimum_length.
    st, h, body = get(addr, "/small", headers=gz)
    check("content-encoding" not in h and body == b"short", "short body left alone: %s" % h)

    # Streamed file: chunked, no Content-Length, no Accept-Ranges, ETag suffixed.
    st, h, body = get(addr, "/big.txt", headers=gz)
    check(st == 200 and h.get("content-encoding") == "gzip", "big file gzip: %s" % h)
    check("content-length" not in h and h.get("transfer-encoding") == "chunked", "big file chunked: %s" % h)
    check("accept-ranges" not in h, "Accept-Ranges removed: %s" % h)
    check(h.get("etag", "").endswith('-gzip"'), "ETag suffixed: %s" % h)
    check(h.get("vary") == "Accept-Encoding", "Vary not duplicated: %s" % h)
    check(gzip.decompress(body).decode() == TEXT, "big file round-trips")
    etag = h.get("etag", "")

    # The suffixed ETag still validates: 304 with Vary.
    st, h, body = get(addr, "/big.txt", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    check(st == 304 and "accept-encoding" in h.get("vary", "").lower(), "If-None-Match with our ETag: %s %s" % (st, h))

    # Small file read inline.
    st, h, body = get(addr, "/page.html", headers=gz)
    check(h.get("content-encoding") == "gzip" and gzip.decompress(body).decode() == TEXT[:3000],
          "small file gzip: %s" % h)

    # Binary types are not compressed.
    st, h, body = get(addr, "/img.png", headers=gz)
    check("content-encoding" not in h and len(body) == 4096, "png left alone: %s" % h)

    # HEAD gets the head of the encoded response (caddy 2.6.2's encoder, closed with a
    # Content-Length over minimum_length): no length, no Accept-Ranges. Range is not compressed.
    st, h, body = get(addr, "/big.txt", method="HEAD", headers=gz)
    check(st == 200 and h.get("content-encoding") == "gzip" and "content-length" not in h
          and "accept-ranges" not in h and body == b"", "HEAD has the encoded head: %s" % h)
    st, h, body = get(addr, "/big.txt", headers={"Accept-Encoding": "gzip", "Range": "bytes=0-999"})
    check(st == 206 and "content-encoding" not in h and body.decode() == TEXT[:1000], "Range untouched: %s" % h)

    # q-values: zstd refused, gzip chosen; prefer picks zstd on a tie.
    st, h, body = get(addr, "/big.txt", headers={"Accept-Encoding": "zstd;q=0, gzip"})
    check(h.get("content-encoding") == "gzip", "q=0 refuses zstd: %s" % h)
    st, h, body = get(addr, "/big.txt", headers={"Accept-Encoding": "gzip, zstd"})
    check(h.get("content-encoding") == "zstd", "prefer picks zstd: %s" % h)
    try:
        import zstandard  # noqa: F401
        check(zstandard.ZstdDecompressor().decompressobj().decompress(body).decode() == TEXT, "zstd round-trips")
    except ImportError:
        check(body[:4] == b"\x28\xb5\x2f\xfd", "zstd frame magic")

    # HTTP/1.0: no chunked framing; the body ends with the connection.
    resp = raw(addr, b"GET /big.txt HTTP/1.0\r\nHost: a.test\r\nAccept-Encoding: gzip\r\n\r\n")
    head, _, body = resp.partition(b"\r\n\r\n")
    # (as Go's server: an HTTP/1.0 answer closes by default, so no Connection field says so)
    check(b"Transfer-Encoding" not in head and b"Content-Length" not in head and b"Connection" not in head
          and head.startswith(b"HTTP/1.0 200"), "HTTP/1.0 framing: %r" % head)
    check(zlib.decompress(body, 16 + zlib.MAX_WBITS).decode() == TEXT, "HTTP/1.0 body round-trips")

    # Keep-alive survives a chunked compressed response.
    c = http.client.HTTPConnection(addr[0], addr[1], timeout=5)
    for _ in range(3):
        c.request("GET", "/big.txt", headers={"Host": "a.test", "Accept-Encoding": "gzip"})
        r = c.getresponse()
        check(gzip.decompress(r.read()).decode() == TEXT, "keep-alive round-trip")
    c.close()


if __name__ == "__main__":
    sys.exit(main())
