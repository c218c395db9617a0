"""`gatehouse file-server` against `caddy file-server` (2.6.2): the same flags serve the same
answers (status, headers but Date/Server/Vary, bodies) on loopback ports:
- --root --listen: an index, a file, a range, HEAD, a missing file, a directory with no index
  (404 without --browse), index.html by name, If-None-Match, dot segments, an encoded path,
  a request head past the 10 KiB limit both set (431);
- --browse --templates --access-log: the listing's status and type (its HTML is Gatehouse's
  own), the redirect to a directory's slash, a template rendered, an access log line;
- no --root: the working directory is served; --debug: DEBUG lines appear;
- the start-up line "... serving static files on ADDR".
No --domain here: a domain turns on automatic HTTPS, which would make caddy install its CA
in the machine's trust store (the config it builds is checked by the unit tests)."""
import os
import shutil
import socket
import sys
import tempfile

sys.dont_write_bytecode = True
from harness import check, finish  # noqa: E402
from ports import free_port  # noqa: E402
from quick_command import Quick, fetch, raw_status, trusted  # noqa: E402


def make_site():
    root = tempfile.mkdtemp(prefix="gh-fscmd-site-")
    files = {
        "index.html": "<p>home</p>\n",
        "data.txt": "0123456789abcdefghij\n",
        "sub/page.html": "<p>{{.Req.Method}} {{.Req.URL.Path}} {{add 1 2}}</p>\n",
        "nodir/file.txt": "x\n",
    }
    for name, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, name)), exist_ok=True)
        with open(os.path.join(root, name), "w") as f:
            f.write(text)
        os.utime(os.path.join(root, name), (1700000000, 1700000000))  # the same Last-Modified/ETag
    return root


def plain(kind, binary, site):
    port = free_port()
    q = Quick(kind, binary, "file-server", ["--root", site, "--listen", "127.0.0.1:%d" % port], wait_port=port)
    got = {}
    try:
        for name, path, method, headers in [("index", "/", "GET", None), ("file", "/data.txt", "GET", None),
                                            ("range", "/data.txt", "GET", {"Range": "bytes=2-5"}),
                                            ("head", "/data.txt", "HEAD", None),
                                            ("missing", "/nope.txt", "GET", None),
                                            ("no index", "/nodir/", "GET", None),
                                            ("template untouched", "/sub/page.html", "GET", None),
                                            ("dir without slash", "/nodir", "GET", None),
                                            ("index by name", "/index.html", "GET", None),
                                            ("conditional", "/data.txt", "GET", {"If-None-Match": '"s44we8l"'}),
                                            ("dot segments", "/sub/../data.txt", "GET", None),
                                            ("encoded", "/d%61ta.txt", "GET", None)]:
            got[name] = fetch(port, path, method, headers)
        got["431"] = raw_status(port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 15000 + b"\r\n\r\n")
        got["13000 ok"] = raw_status(port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 13000 + b"\r\n\r\n")
        check(got["index"][0] == 200 and got["index"][2] == b"<p>home</p>\n", kind + ": the index is served")
        check(got["431"].startswith("HTTP/1.1 431"), kind + ": a 15000-byte header is refused: " + got["431"])
        name = "Gatehouse" if kind == "gatehouse" else "Caddy"
        check(q.wait_stderr('"msg":"%s serving static files on 127.0.0.1:%d"' % (name, port)),
              kind + ": logs the serving line")

    finally:
        q.stop()
    return got


def featured(kind, binary, site):
    port = free_port()
    q = Quick(kind, binary, "file-server",
              ["--root", site, "--listen", "127.0.0.1:%d" % port, "--browse", "--templates", "--access-log"],
              wait_port=port)
    got = {}
    try:
        listing = fetch(port, "/nodir/")
        got["listing"] = (listing[0], dict(listing[1]).get("content-type"), b"file.txt" in listing[2])
        got["template"] = fetch(port, "/sub/page.html")
        got["json listing"] = fetch(port, "/nodir/", headers={"Accept": "application/json"})[0]
        # no query: Gatehouse keeps it in this redirect as newer Caddy (deliberate, README)
        redirect = fetch(port, "/nodir")
        got["listing redirect"] = (redirect[0], dict(redirect[1]).get("location"))
        check(got["template"][2] == b"<p>GET /sub/page.html 3</p>\n", kind + ": the template is rendered")
        check(q.wait_stderr('"logger":"http.log.access","msg":"handled request"'),
              kind + ": --access-log logs the requests")
    finally:
        q.stop()
    return got


def working_dir(kind, binary, site):
    port = free_port()
    q = Quick(kind, binary, "file-server", ["--listen", "127.0.0.1:%d" % port, "--debug"], cwd=site, wait_port=port)
    try:
        got = {"file": fetch(port, "/data.txt"), "missing": fetch(port, "/nope")}
        check(got["file"][0] == 200 and got["file"][2] == b"0123456789abcdefghij\n",
              kind + ": no --root serves the working directory")
        # a handled 404 is logged by http.log.error at DEBUG only
        check(q.wait_stderr('"logger":"http.log.error"') and '"level":"debug","ts"' in q.stderr(),
              kind + ": --debug logs at DEBUG")
        return got
    finally:
        q.stop()


def main():
    binary = os.path.abspath(sys.argv[1])
    site = make_site()
    before = trusted()
    try:
        ours = {"plain": plain("gatehouse", binary, site), "featured": featured("gatehouse", binary, site),
                "cwd": working_dir("gatehouse", binary, site)}
        caddy = shutil.which("caddy")
        if caddy:
            theirs = {"plain": plain("caddy", caddy, site), "featured": featured("caddy", caddy, site),
                      "cwd": working_dir("caddy", caddy, site)}
            for group in ours:
                for key in ours[group]:
                    a, b = ours[group][key], theirs[group].get(key)
                    check(a == b, "same %s/%s: gatehouse %s, caddy %s" % (group, key, a, b))
    finally:
        shutil.rmtree(site, ignore_errors=True)
    check(trusted() == before, "nothing was added to the trust store: %s" % trusted())
    return finish()


if __name__ == "__main__":
    sys.exit(main())
