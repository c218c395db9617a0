"""Differential check: the same Caddyfile (php_fastcgi over http and https with `tls internal`,
and reverse_proxy with `transport fastcgi` on a unix socket, and with `rewrite` / `method`)
served by caddy 2.6.2 and by
gatehouse in front of the same real php-fpm. For each request the status, the response
fields (but Server, Date and caddy's Alt-Svc) and the body must match; for the echo script,
every CGI variable PHP sees must match (over TLS 1.2 also SSL_PROTOCOL and SSL_CIPHER), except
those that name the server itself or its port (SERVER_SOFTWARE, SERVER_PORT, HTTP_HOST,
HTTP_X_FORWARDED_HOST, REMOTE_PORT), and the echo's Content-Length, which SERVER_SOFTWARE
changes."""
import http.client
import json
import os
import shutil
import ssl
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import php_fpm  # noqa: E402
from caddy_peer import CaddyPeer  # noqa: E402
from harness import check  # noqa: E402

SERVER_OWN = {"SERVER_SOFTWARE", "SERVER_PORT", "HTTP_HOST", "HTTP_X_FORWARDED_HOST", "REMOTE_PORT"}
FIELDS_OWN = {"server", "date", "alt-svc"}  # alt-svc: caddy advertises its HTTP/3

CADDYFILE = """{
	admin off
	skip_install_trust
	auto_https disable_redirects
	storage file_system %(store)s
}
:%(p0)d {
	root * %(root)s
	php_fastcgi 127.0.0.1:%(fpm)d {
		env APP_ENV prod-{method}
		header_up X-Extra yes
	}
	file_server
}
https://localhost:%(p2)d {
	bind 127.0.0.1
	tls internal
	root * %(root)s
	php_fastcgi 127.0.0.1:%(fpm)d
}
:%(p1)d {
	reverse_proxy unix/%(sock)s {
		transport fastcgi {
			root %(root)s
			split .php
			env SCRIPT_OVERRIDE {query}
		}
	}
}
:%(p3)d {
	reverse_proxy 127.0.0.1:%(fpm)d {
		rewrite /index.php/rw{path}?{query}&via=rw
		transport fastcgi {
			root %(root)s
			split .php
			env SEEN_PATH {path}
		}
	}
}
:%(p4)d {
	reverse_proxy 127.0.0.1:%(fpm)d {
		method GET
		rewrite /index.php/p4?m=1
		transport fastcgi {
			root %(root)s
			split .php
		}
	}
}
"""

REQUESTS = [
    (0, "GET", "/index.php/extra/path?a=1&b=2", None, {"X-Multi": "a", "x-multi": "b", "X-Dash-Name": "v"}),
    (0, "GET", "/index.php", None, {"User-Agent": None}),
    (0, "POST", "/index.php?form=1", "x=1&y=two", {"Content-Type": "application/x-www-form-urlencoded"}),
    (0, "PUT", "/index.php", b"\x00\x01binary" * 1000, {"Content-Type": "application/octet-stream"}),
    (0, "DELETE", "/index.php", None, {}),
    (0, "OPTIONS", "/index.php", None, {}),
    (0, "HEAD", "/index.php", None, {}),
    (0, "GET", "/some/route?x=1", None, {}),
    (0, "GET", "/missing.php", None, {}),
    (0, "GET", "/sub/", None, {}),
    (0, "GET", "/sub", None, {}),
    (0, "GET", "/status.php", None, {}),
    (0, "GET", "/redirect.php", None, {}),
    (0, "GET", "/stream.php", None, {}),
    (2, "GET", "/index.php/tls?x=1", None, {}, "1.2"),
    (2, "POST", "/index.php", "a=b", {}, "1.3"),
    (1, "GET", "/index.php/x/y?q=1", None, {"Cookie": "a=1"}),
    (1, "POST", "/sub/index.php", "k=v", {}),
    (1, "GET", "/nothing-here", None, {}),
    # reverse_proxy's `rewrite` with the fastcgi transport: the rewritten method, path and query
    # make REQUEST_METHOD, SCRIPT_NAME, PATH_INFO, QUERY_STRING; REQUEST_URI and `env`
    # placeholders keep the request as it came; a rewrite to GET drops the body.
    (3, "GET", "/a/b%20c?x=1", None, {}),
    (3, "POST", "/form?y=2", "k=v&w=1", {"Content-Type": "application/x-www-form-urlencoded"}),
    (3, "PUT", "/up", b"\x00\x01" * 500, {"Content-Type": "application/octet-stream"}),
    (4, "POST", "/anything?q=1", "k=v", {"Content-Type": "application/x-www-form-urlencoded"}),
    (4, "DELETE", "/x", None, {}),
]


def tls_context(tls12):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if tls12:
        # One suite both servers offer: SSL_CIPHER and SSL_PROTOCOL are then comparable.
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
    return ctx


def send(port, method, path, body, headers, tls=None):
    if tls is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    else:
        conn = http.client.HTTPSConnection("localhost", port, timeout=30, context=tls_context(tls == "1.2"))
    skip_ua = headers.get("User-Agent", "") is None
    conn.putrequest(method, path, skip_accept_encoding=True)
    for k, v in headers.items():
        if v is not None:
            conn.putheader(k, v)
    if body is not None:
        data = body.encode() if isinstance(body, str) else body
        conn.putheader("Content-Length", str(len(data)))
    if not skip_ua:
        conn.putheader("User-Agent", "gh-diff")
    conn.endheaders(data if body is not None else None)
    resp = conn.getresponse()
    out = resp.read()
    conn.close()
    fields = sorted((k.lower(), v) for k, v in resp.getheaders() if k.lower() not in FIELDS_OWN)
    return resp.status, fields, out


def normalized(body):
    try:
        d = json.loads(body)
    except ValueError:
        return body
    if isinstance(d, dict) and isinstance(d.get("server"), dict):
        d["server"] = {k: v for k, v in d["server"].items() if k not in SERVER_OWN}
    return d


def main():
    if php_fpm.binary() is None or shutil.which("caddy") is None:
        print("php-fpm or caddy is not installed")
        return 77
    work = tempfile.mkdtemp(prefix="gh-php-diff-")
    root = os.path.realpath(os.path.join(work, "www"))
    php_fpm.write_site(root)
    sock = os.path.join(work, "php.sock")
    fpm = php_fpm.PhpFpm(harness.free_port(), unix_path=sock)
    g_ports = [harness.free_port() for _ in range(5)]
    c_ports = [harness.free_port() for _ in range(5)]
    cfg = os.path.join(work, "Caddyfile")
    with open(cfg, "w") as f:
        f.write(CADDYFILE % {"p0": g_ports[0], "p1": g_ports[1], "p2": g_ports[2], "p3": g_ports[3],
                             "p4": g_ports[4], "root": root, "fpm": fpm.port, "sock": sock,
                             "store": os.path.join(work, "g-store")})
    caddy = None
    proc = None
    try:
        caddy = CaddyPeer(CADDYFILE % {"p0": c_ports[0], "p1": c_ports[1], "p2": c_ports[2], "p3": c_ports[3],
                                       "p4": c_ports[4], "root": root, "fpm": fpm.port, "sock": sock,
                                       "store": os.path.join(work, "c-store")},
                          c_ports, name="caddy-php")
        env = dict(os.environ, HOME=work, XDG_DATA_HOME=os.path.join(work, "xdg-data"),
                   XDG_CONFIG_HOME=os.path.join(work, "xdg-config"))
        proc, _, drain, _ = harness.start(sys.argv[1], cfg, adapter="caddyfile", workers=1, env=env)
        for site, method, path, body, headers, *tls in REQUESTS:
            tls = tls[0] if tls else None
            want = send(c_ports[site], method, path, body, headers, tls)
            got = send(g_ports[site], method, path, body, headers, tls)
            what = "%s %s (site %d)" % (method, path, site)
            check(got[0] == want[0], "%s: status %s (caddy %s)" % (what, got[0], want[0]))
            if b'"SERVER_SOFTWARE"' in got[2]:
                # The echo's length differs by SERVER_SOFTWARE's ("Gatehouse/x" vs "Caddy/2.6.2").
                got = (got[0], [f for f in got[1] if f[0] != "content-length"], got[2])
                want = (want[0], [f for f in want[1] if f[0] != "content-length"], want[2])
            check(got[1] == want[1], "%s: fields\n  gatehouse %r\n  caddy     %r" % (what, got[1], want[1]))
            g_body, c_body = normalized(got[2]), normalized(want[2])
            if isinstance(g_body, dict) and isinstance(c_body, dict):
                gs, cs = g_body.pop("server", {}), c_body.pop("server", {})
                if tls == "1.3":
                    # The TLS 1.3 suite is each TLS stack's own preference (Go: AES-128 first).
                    check(gs.pop("SSL_CIPHER", "").startswith("TLS_AES_") and cs.pop("SSL_CIPHER", "") != "",
                          "%s: SSL_CIPHER set" % what)
                for k in sorted(set(gs) | set(cs)):
                    check(gs.get(k) == cs.get(k), "%s: %s = %r (caddy %r)" % (what, k, gs.get(k), cs.get(k)))
            check(g_body == c_body, "%s: body\n  gatehouse %r\n  caddy     %r" % (what, str(g_body)[:300], str(c_body)[:300]))
    finally:
        if proc is not None:
            harness.stop(proc, drain)
        if caddy is not None:
            caddy.stop()
        fpm.stop()
        shutil.rmtree(work, ignore_errors=True)
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
