#!/usr/bin/env python3
"""End-to-end: Caddy's automatic HTTPS from a Caddyfile.

A site with `tls CERT KEY` is served over HTTPS on https_port, and an HTTP->HTTPS redirect
server appears on http_port (308, Location kept to host and URI). Names needing a
certificate no implemented issuer can provide stop start-up with a clear message; auto_https off and
disable_redirects behave as in Caddy. 127.0.0.1 only.
Usage: tls_auto_https_test.py <path-to-gatehouse>
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
import tls_pki  # noqa: E402
from harness import FAILURES, check, finish, stop  # noqa: E402,F401


def write(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def redirect_checks(binary, tmp, cert):
    hp, sp = tls_pki.free_port(), tls_pki.free_port()
    cfg = write(tmp, "Caddyfile", """{
	http_port %d
	https_port %d
	admin off
}

a.test {
	bind 127.0.0.1
	tls %s %s
	respond "secure {http.request.host} {http.request.tls.version}"
}
""" % (hp, sp, cert[0], cert[1]))
    proc, servers, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        check(servers.get("srv0") == ["127.0.0.1:%d" % sp], "site served on https_port: %s" % servers)
        check(servers.get("remaining_auto_https_redirects") == ["127.0.0.1:%d" % hp],
              "redirect server on http_port, same interface: %s" % servers)
        rc, out, err = tls_pki.curl(["--cacert", CA, "--resolve", "a.test:%d:127.0.0.1" % sp,
                                     "https://a.test:%d/" % sp])
        check(rc == 0 and out == "secure a.test tls1.3", "HTTPS site answers: %r %s" % (out, err.strip()))
        rc, out, err = tls_pki.curl(["-si", "-H", "Host: a.test", "http://127.0.0.1:%d/p/q?x=1&y=2" % hp])
        head = out.split("\r\n\r\n")[0].lower()
        check(out.startswith("HTTP/1.1 308 Permanent Redirect"), "redirect status 308: %r" % out[:40])
        check("location: https://a.test/p/q?x=1&y=2" in head, "Location keeps host and URI: %r" % head)
        check("connection: close" in head, "redirect closes the connection")
        # Names no route lists take the catch-all, which never names https_port (caddy 2.6.2:
        # https_port is an internal listener setting, a port mapping may sit in front).
        rc, out, err = tls_pki.curl(["-si", "-H", "Host: other.test", "http://127.0.0.1:%d/z" % hp])
        check("location: https://other.test/z\n" in out.lower(), "catch-all redirect names no port: %r" % out)
        # Following the redirect ends on the HTTPS site (curl keeps the port it connected to).
        rc, out, err = tls_pki.curl(["-L", "--cacert", CA, "--resolve", "a.test:%d:127.0.0.1" % hp,
                                     "--resolve", "a.test:443:127.0.0.1", "--connect-to",
                                     "a.test:443:127.0.0.1:%d" % sp, "http://a.test:%d/" % hp])
        check(rc == 0 and out.startswith("secure a.test"), "curl -L follows to HTTPS: %r %s" % (out, err.strip()))
    finally:
        stop(proc, drain)


def merged_redirect_checks(binary, tmp, cert):
    # A configured server already on the HTTP port gets the redirects appended after its
    # own routes instead of a separate redirect server (Caddy warns and does the same).
    hp, sp = tls_pki.free_port(), tls_pki.free_port()
    cfg = write(tmp, "Caddyfile.merged", """{
	http_port %d
	https_port %d
	admin off
}

a.test {
	bind 127.0.0.1
	tls %s %s
	respond "secure"
}

http://plain.test {
	bind 127.0.0.1
	respond "plain site"
}
""" % (hp, sp, cert[0], cert[1]))
    proc, servers, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        check("remaining_auto_https_redirects" not in servers, "no extra redirect server: %s" % servers)
        rc, out, _ = tls_pki.curl(["-H", "Host: plain.test", "http://127.0.0.1:%d/" % hp])
        check(out == "plain site", "the HTTP site keeps its own routes: %r" % out)
        rc, out, _ = tls_pki.curl(["-si", "-H", "Host: a.test", "http://127.0.0.1:%d/x" % hp])
        check(out.startswith("HTTP/1.1 308") and "location: https://a.test/x" in out.lower(),
              "and redirects the HTTPS site's name: %r" % out[:60])
    finally:
        stop(proc, drain)


def option_checks(binary, tmp, cert):
    hp, sp = tls_pki.free_port(), tls_pki.free_port()
    # disable_redirects: HTTPS, no redirect server.
    cfg = write(tmp, "Caddyfile.noredir", "{\n\thttp_port %d\n\thttps_port %d\n\tadmin off\n"
                "\tauto_https disable_redirects\n}\n\na.test {\n\tbind 127.0.0.1\n\ttls %s %s\n\trespond ok\n}\n"
                % (hp, sp, cert[0], cert[1]))
    proc, servers, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        check(list(servers) == ["srv0"], "disable_redirects: no redirect server: %s" % servers)
        rc, out, _ = tls_pki.curl(["--cacert", CA, "--resolve", "a.test:%d:127.0.0.1" % sp, "https://a.test:%d/" % sp])
        check(rc == 0 and out == "ok", "disable_redirects still serves HTTPS")
    finally:
        stop(proc, drain)
    # auto_https off: an http:// site needs no certificate and gets no redirect server.
    other = tls_pki.free_port()
    cfg = write(tmp, "Caddyfile.off", "{\n\thttp_port %d\n\thttps_port %d\n\tadmin off\n\tauto_https off\n}\n\n"
                "http://b.test:%d {\n\tbind 127.0.0.1\n\trespond \"plain {http.request.scheme}\"\n}\n" % (hp, sp, other))
    proc, servers, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        check(list(servers) == ["srv0"], "auto_https off: no redirect server: %s" % servers)
        rc, out, _ = tls_pki.curl(["-H", "Host: b.test", "http://127.0.0.1:%d/" % other])
        check(rc == 0 and out == "plain http", "auto_https off serves plain HTTP: %r" % out)
    finally:
        stop(proc, drain)


def main():
    global CA
    binary = sys.argv[1]
    for tool in ("curl", "openssl"):
        if shutil.which(tool) is None:
            print("skip: %s not installed" % tool)
            return 77
    with tempfile.TemporaryDirectory() as tmp:
        ca = tls_pki.make_ca(tmp)
        CA = ca[0]
        cert = tls_pki.make_leaf(tmp, "a.test", ["DNS:a.test"], ca)
        redirect_checks(binary, tmp, cert)
        merged_redirect_checks(binary, tmp, cert)
        option_checks(binary, tmp, cert)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
