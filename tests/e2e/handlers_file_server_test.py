#!/usr/bin/env python3
"""End-to-end with curl: file_server `browse` (JSON listing, sort, HTML page), `precompressed`
sidecars and multipart/byteranges answers, through the real binary.
Usage: handlers_file_server_test.py <path-to-gatehouse>
"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
from handlers_support import Server, adapt, check, finish  # noqa: E402


def curl(addr, path, *args):
    """Returns (status, headers dict lower-cased, body bytes) from curl -i."""
    out = subprocess.run(["curl", "-s", "-i", "--max-time", "10", "-H", "Host: example.test"] + list(args) +
                         ["http://%s:%d%s" % (addr[0], addr[1], path)], capture_output=True, timeout=30).stdout
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.setdefault(k.strip().lower(), []).append(v.strip())
    return status, headers, body


# 600 KB that no two offsets confuse: ranges larger than one pool read (256 KiB) each.
LARGE = b"".join(b"%08d" % i for i in range(75000))


def make_site(root):
    os.makedirs(os.path.join(root, "files", "sub"))
    with open(os.path.join(root, "files", "big.txt"), "w") as f:
        f.write("0123456789" * 100)
    with open(os.path.join(root, "files", "small.txt"), "w") as f:
        f.write("tiny")
    with open(os.path.join(root, "files", ".secret"), "w") as f:
        f.write("hidden")
    with open(os.path.join(root, "large.bin"), "wb") as f:
        f.write(LARGE)
    with open(os.path.join(root, "app.js"), "w") as f:
        f.write("console.log('plain');\n" * 10)
    with open(os.path.join(root, "app.js.gz"), "wb") as f:
        f.write(gzip.compress(b"console.log('plain');\n" * 10))


def run(binary, tmp):
    site = os.path.join(tmp, "site")
    make_site(site)
    caddyfile = """
:80 {
	root * %s
	file_server {
		browse
		hide .secret
		precompressed gzip
	}
}
""" % site
    srv = Server(binary, adapt(binary, caddyfile, tmp))
    try:
        st, hdr, body = curl(srv.addr, "/files/", "-H", "Accept: application/json")
        check(st == 200 and hdr.get("content-type") == ["application/json; charset=utf-8"], "JSON listing: %r" % hdr)
        items = json.loads(body) if st == 200 else []
        check([i["name"] for i in items] == ["sub/", "big.txt", "small.txt"], "names, dirs first, hidden left out: %r" % items)
        check(all(set(i) == {"name", "size", "url", "mod_time", "mode", "is_dir", "is_symlink"} for i in items),
              "Caddy's listing fields")
        st, hdr, body = curl(srv.addr, "/files/?sort=size&order=desc", "-H", "Accept: application/json")
        check([i["name"] for i in json.loads(body)] == ["big.txt", "small.txt", "sub/"], "size, descending")
        check(sorted(hdr.get("set-cookie", [])) == ["order=desc", "sort=size"], "sort remembered in cookies")
        st, hdr, body = curl(srv.addr, "/files/")
        check(st == 200 and b"<a href=\"./big.txt\">big.txt</a>" in body and b".secret" not in body,
              "HTML listing links the files")
        st, hdr, _ = curl(srv.addr, "/files")
        check(st == 308 and hdr.get("location") == ["/files/"], "trailing-slash redirect: %r %r" % (st, hdr))

        st, hdr, body = curl(srv.addr, "/app.js", "-H", "Accept-Encoding: gzip")
        check(st == 200 and hdr.get("content-encoding") == ["gzip"] and gzip.decompress(body).startswith(b"console"),
              "gzip sidecar served: %r" % hdr)
        st, hdr, body = curl(srv.addr, "/app.js", "--compressed")
        check(st == 200 and body.startswith(b"console"), "curl --compressed decodes the sidecar")
        st, hdr, body = curl(srv.addr, "/app.js")
        check("content-encoding" not in hdr and body.startswith(b"console"), "identity without Accept-Encoding")

        st, hdr, body = curl(srv.addr, "/files/big.txt", "-H", "Range: bytes=0-3,10-12")
        ctype = (hdr.get("content-type") or [""])[0]
        check(st == 206 and ctype.startswith("multipart/byteranges; boundary="), "multi-range: %r %r" % (st, hdr))
        boundary = ctype.split("boundary=")[-1].encode()
        parts = body.split(b"--" + boundary)
        check(len(parts) == 4 and parts[-1].strip() == b"--", "two parts and a closing delimiter: %r" % body[:300])
        if len(parts) == 4:
            check(b"Content-Range: bytes 0-3/1000" in parts[1] and parts[1].endswith(b"\r\n\r\n0123\r\n"),
                  "first part: %r" % parts[1])
            check(b"Content-Range: bytes 10-12/1000" in parts[2] and parts[2].endswith(b"012\r\n"),
                  "second part: %r" % parts[2])
        check(hdr.get("content-length") == [str(len(body))], "Content-Length of the multipart body")
        # Past the inline limit the parts stream range by range (several pool reads each).
        st, hdr, body = curl(srv.addr, "/large.bin", "-H", "Range: bytes=1000-300999,400000-599999,7-9")
        ctype = (hdr.get("content-type") or [""])[0]
        boundary = ctype.split("boundary=")[-1].encode()
        want = b"".join(b"%s--%s\r\nContent-Range: bytes %d-%d/600000\r\nContent-Type: \r\n\r\n%s" %
                        (b"" if i == 0 else b"\r\n", boundary, a, b, LARGE[a:b + 1])
                        for i, (a, b) in enumerate([(1000, 300999), (400000, 599999), (7, 9)]))
        want += b"\r\n--%s--\r\n" % boundary
        check(st == 206 and body == want, "large multi-range streamed: %r %d bytes" % (st, len(body)))
        check(hdr.get("content-length") == [str(len(want))], "its Content-Length: %r" % hdr.get("content-length"))
        st, hdr, body = curl(srv.addr, "/large.bin", "-I", "-H", "Range: bytes=1000-300999,400000-599999")
        check(st == 206 and int((hdr.get("content-length") or ["0"])[0]) > 500000 and body == b"",
              "HEAD of a large multi-range: %r %r" % (st, hdr))
        st, hdr, body = curl(srv.addr, "/files/big.txt", "-H", "Range: bytes=5-6")
        check(st == 206 and body == b"56" and hdr.get("content-range") == ["bytes 5-6/1000"], "single range unchanged")
    finally:
        srv.stop()


def main():
    if not shutil.which("curl"):
        print("SKIP: curl is not installed")
        return 77
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        run(binary, tmp)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
