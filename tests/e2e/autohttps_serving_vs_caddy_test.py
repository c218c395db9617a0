#!/usr/bin/env python3
"""Automatic HTTPS, serving side, gatehouse against Debian's caddy 2.6.2 with `tls internal`
(each with its own storage and local CA, custom http_port/https_port, skip_install_trust):
- the HTTP->HTTPS redirect: status, Location (configured names, Host with port, uppercase,
  trailing dot, IPv6 literal, unknown names, HTTP/1.0 without Host, absolute-form target,
  query and encoded path kept, a site on another port), Connection: close, no body, HEAD,
  POST; the catch-all never names https_port;
- the HTTPS side: HTTP/2 and HTTP/1.1 via ALPN, a Host other than the SNI, an SNI naming no
  certificate (internal_error alert: default_sni is for a missing SNI only), no SNI
  (default_sni's certificate), an SNI with a trailing dot (unexpected_message alert), the
  leaf (empty subject, critical SAN, ~12 h) and the chain (leaf + intermediate).
Each answer is compared with caddy's and with the expected value. 127.0.0.1 only.
Usage: autohttps_serving_vs_caddy_test.py <path-to-gatehouse>   (exit 77 when caddy is missing)
"""
import datetime
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
from harness import check, finish, wait_port  # noqa: E402
from ports import free_port  # noqa: E402

CADDY = "/usr/bin/caddy"

CADDYFILE = """{
	storage file_system %(store)s
	admin off
	skip_install_trust
	http_port %(hp)d
	https_port %(sp)d
	default_sni a.test
}

a.test {
	bind 127.0.0.1
	tls internal
	respond "a {http.request.tls.server_name} {host}"
}

b.test:%(sp2)d {
	bind 127.0.0.1
	tls internal
	respond "b"
}

*.example.test {
	bind 127.0.0.1
	tls internal
	respond "w {host}"
}
"""


class Server:
    """One server (gatehouse or caddy) on its own ports, storage and home."""

    def __init__(self, argv, tmp, name):
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir)
        self.hp, self.sp, self.sp2 = free_port(), free_port(), free_port()
        self.store = os.path.join(self.dir, "store")
        cfg = os.path.join(self.dir, "Caddyfile")
        with open(cfg, "w") as f:
            f.write(CADDYFILE % {"store": self.store, "hp": self.hp, "sp": self.sp, "sp2": self.sp2})
        env = dict(os.environ, HOME=self.dir, XDG_DATA_HOME=os.path.join(self.dir, "data"),
                   XDG_CONFIG_HOME=os.path.join(self.dir, "config"))
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(argv + ["run", "--config", cfg, "--adapter", "caddyfile"], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        self.up = all(wait_port(p, self.proc, 30) for p in (self.hp, self.sp, self.sp2))
        self.root = os.path.join(self.store, "pki", "authorities", "local", "root.crt")

    def norm(self, text):
        """Ports replaced by their role, so both servers' answers compare."""
        for port, role in ((self.sp2, "SP2"), (self.hp, "HP"), (self.sp, "SP")):
            text = text.replace(str(port), role)
        return text

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


def raw_http(port, request):
    """Sends `request` to 127.0.0.1:port, reads until the server closes (bounded: 5 s)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    out = b""
    try:
        s.sendall(request.encode())
        deadline = time.time() + 5
        while time.time() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except OSError:
        pass
    finally:
        s.close()
    return out.decode("latin1")


def redirect_summary(text):
    """Status line, Location, Connection, Content-Length and body of a raw response."""
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    fields = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        fields[k.strip().lower()] = v.strip()
    return "%s|%s|%s|%s|%r" % (lines[0], fields.get("location"), fields.get("connection"),
                               fields.get("content-length"), body)


REDIRECTS = [
    # (what, request, expected Location; None: compare only)
    ("configured name, query and encoded path kept",
     "GET /a%20b/%2F?x=1&y=%41 HTTP/1.1\r\nHost: a.test\r\n\r\n", "https://a.test/a%20b/%2F?x=1&y=%41"),
    ("Host with the HTTP port", "GET /p HTTP/1.1\r\nHost: a.test:HP\r\n\r\n", "https://a.test/p"),
    ("uppercase Host kept as sent", "GET /p HTTP/1.1\r\nHost: A.TEST\r\n\r\n", "https://A.TEST/p"),
    ("Host with a trailing dot (catch-all)", "GET /p HTTP/1.1\r\nHost: a.test.\r\n\r\n", "https://a.test./p"),
    ("wildcard site name", "GET /p HTTP/1.1\r\nHost: x.example.test\r\n\r\n", "https://x.example.test/p"),
    ("unknown name: catch-all names no https_port", "GET /p HTTP/1.1\r\nHost: zz.test:99\r\n\r\n",
     "https://zz.test/p"),
    ("IPv6 literal", "GET /p HTTP/1.1\r\nHost: [::1]\r\n\r\n", "https://[::1]/p"),
    ("site on another port names that port", "GET /p HTTP/1.1\r\nHost: b.test\r\n\r\n", "https://b.test:SP2/p"),
    ("HTTP/1.0 without Host", "GET /p HTTP/1.0\r\n\r\n", "https:///p"),
    ("absolute-form target wins over Host", "GET http://other.test/abs?z HTTP/1.1\r\nHost: a.test\r\n\r\n",
     "https://other.test/abs?z"),
    ("HEAD", "HEAD /h HTTP/1.1\r\nHost: a.test\r\n\r\n", "https://a.test/h"),
    ("POST with a body", "POST /f HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\n\r\nx=1", "https://a.test/f"),
    ("HTTP/1.1 without Host", "GET /p HTTP/1.1\r\n\r\n", None),
]


def redirect_checks(gh, cd):
    for what, request, want in REDIRECTS:
        got = gh.norm(redirect_summary(raw_http(gh.hp, request.replace("HP", str(gh.hp)))))
        ref = cd.norm(redirect_summary(raw_http(cd.hp, request.replace("HP", str(cd.hp)))))
        check(got == ref, "redirect, %s: gatehouse %s, caddy %s" % (what, got, ref))
        if want is not None:
            check(got.startswith("HTTP/1.") and "308 Permanent Redirect|%s|close|" % want in got,
                  "redirect, %s: 308 to %s, Connection: close: %s" % (what, want, got))


def curl(srv, name, port, extra=()):
    p = subprocess.run(["curl", "-s", "--max-time", "10", "--cacert", srv.root, "--resolve",
                        "%s:%d:127.0.0.1" % (name, port), "-w", " %{http_version}"] + list(extra) +
                       ["https://%s:%d/" % (name, port)], capture_output=True, text=True, timeout=20)
    return "%s rc=%d" % (p.stdout, p.returncode)


def s_client(port, args):
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-showcerts"] + args,
                       input="", capture_output=True, text=True, timeout=20)
    return p.stdout + p.stderr


def alert_of(out):
    m = re.search(r"alert number (\d+)", out)
    return int(m.group(1)) if m else None


def leaf_of(out):
    """(subject, SAN text, lifetime in hours, certificates in the chain) of a handshake."""
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", out, re.S)
    if not blocks:
        return None
    p = subprocess.run(["openssl", "x509", "-noout", "-subject", "-ext", "subjectAltName", "-startdate",
                        "-enddate"], input=blocks[0], capture_output=True, text=True, timeout=10)
    lines = p.stdout.splitlines()
    dates = {k: v for k, _, v in (line.partition("=") for line in lines if line.startswith("not"))}
    fmt = "%b %d %H:%M:%S %Y %Z"
    hours = (datetime.datetime.strptime(dates["notAfter"], fmt) -
             datetime.datetime.strptime(dates["notBefore"], fmt)).total_seconds() / 3600
    san = " ".join(line.strip() for line in lines if not line.startswith(("subject", "not")))
    return (lines[0].strip(), san, round(hours), len(blocks))


def https_checks(gh, cd):
    for proto, version in (("--http2", "2"), ("--http1.1", "1.1")):
        got, ref = curl(gh, "a.test", gh.sp, [proto]), curl(cd, "a.test", cd.sp, [proto])
        check(got == ref == "a a.test a.test %s rc=0" % version, "%s: gatehouse %r, caddy %r" % (proto, got, ref))
    # No strict SNI/Host check in 2.6.2 without client auth: the Host picks the site.
    extra = ["-H", "Host: q.example.test"]
    got, ref = curl(gh, "a.test", gh.sp, extra), curl(cd, "a.test", cd.sp, extra)
    check(got == ref == "w q.example.test 2 rc=0", "Host other than the SNI: gatehouse %r, caddy %r" % (got, ref))
    got = gh.norm(curl(gh, "b.test", gh.sp2))
    ref = cd.norm(curl(cd, "b.test", cd.sp2))
    check(got == ref == "b 2 rc=0", "site on its own port: gatehouse %r, caddy %r" % (got, ref))

    for what, args, alert in (("SNI naming no certificate (default_sni not used)", ["-servername", "zz.test"], 80),
                              ("SNI with a trailing dot", ["-servername", "a.test."], 10)):
        got, ref = alert_of(s_client(gh.sp, args)), alert_of(s_client(cd.sp, args))
        check(got == ref == alert, "%s: alert %s from gatehouse, %s from caddy" % (what, got, ref))

    for what, args, san in (("a.test", ["-servername", "a.test"], "DNS:a.test"),
                            ("no SNI: default_sni", ["-noservername"], "DNS:a.test"),
                            ("wildcard", ["-servername", "x.example.test"], "DNS:*.example.test")):
        got, ref = leaf_of(s_client(gh.sp, args)), leaf_of(s_client(cd.sp, args))
        want = ("subject=", "X509v3 Subject Alternative Name: critical %s" % san, 12, 2)
        check(got == ref == want, "leaf for %s: gatehouse %s, caddy %s" % (what, got, ref))


def main():
    if len(sys.argv) != 2:
        print("usage: %s <path-to-gatehouse>" % sys.argv[0])
        return 2
    if not os.path.exists(CADDY):
        print("skip: %s not installed" % CADDY)
        return 77
    tmp = tempfile.mkdtemp(prefix="gh-autohttps-serving-")
    gh = cd = None
    try:
        gh = Server([os.path.abspath(sys.argv[1])], tmp, "gatehouse")
        cd = Server([CADDY], tmp, "caddy")
        check(gh.up and cd.up, "both servers up (gatehouse %s, caddy %s)" % (gh.up, cd.up))
        if gh.up and cd.up:
            redirect_checks(gh, cd)
            https_checks(gh, cd)
    finally:
        for srv in (gh, cd):
            if srv is not None:
                srv.stop()
        if os.environ.get("KEEP_TMP") is None:
            shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
