#!/usr/bin/env python3
"""End-to-end: certificate managers (`tls { get_certificate http <url> }`, Caddy's
tls.get_certificate.http) in `gatehouse run`, beside Debian's caddy 2.6.2 with the same
Caddyfile and the same certificate endpoint (a loopback Python http.server).

Both servers: `local_certs` and `on_demand` (with an `ask` endpoint), so no name is issued at
start-up and no ACME CA is involved; every handshake first asks the certificate endpoint
(certmagic: after the certificate cache, before on-demand issuance).
 1. a.test: the endpoint answers 200 with a chain + key made by tls_pki; `curl --cacert` with
    that CA gets it. A second handshake asks again (certmagic 0.17 does not cache manager
    certificates). Gatehouse and caddy are served the same leaf, and the endpoint receives the
    same query string from both (server_name, signature_schemes, cipher_suites as Go's
    url.Values.Encode, the URL's own `token` kept).
 2. b.test (204), c.test (500), d.test (200 with no PEM), big.test (2 MiB body): as caddy 2.6.2,
    the failure is logged and the handshake goes on with normal management: an on-demand
    certificate from the local CA. Gatehouse's log names the URL without its query (a token).
 3. nocert.test: the manager fails and `ask` refuses on-demand issuance: the handshake fails,
    in both servers.
 4. slow.test (gatehouse only): the endpoint takes 12 s; gatehouse gives up after its 10 s
    request limit and goes on (local CA), while a.test handshakes on the same single worker
    complete at once.
 5. What is not supported is refused by `gatehouse validate` with its JSON path: the tailscale
    manager, and a *.ts.net site under automatic HTTPS (caddy 2.6.2 hands those to it); a
    *.ts.net site whose policy has an http manager is accepted.
Loopback only; every wait is bounded. Usage: cert_managers_test.py <path-to-gatehouse>
"""
import hashlib
import json
import http.server
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
from caddy_peer import CaddyPeer  # noqa: E402
from harness import FAILURES, check  # noqa: E402
import tls_pki  # noqa: E402

TOKEN = "s3cret-token"


class Endpoint:
    """The certificate endpoint: answers by server_name, records every query string."""

    def __init__(self, bundle):
        self.queries = []
        self.lock = threading.Lock()
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                if url.path == "/ask":
                    domain = urllib.parse.parse_qs(url.query).get("domain", [""])[0]
                    return self.reply(403 if domain == "nocert.test" else 200, b"")
                query = url.query
                name = urllib.parse.parse_qs(query).get("server_name", [""])[0]
                with endpoint.lock:
                    endpoint.queries.append((name, query))
                if name == "a.test":
                    self.reply(200, bundle)
                elif name == "b.test":
                    self.reply(204, b"")
                elif name == "d.test":
                    self.reply(200, b"not a certificate\n")
                elif name == "big.test":
                    self.reply(200, b"x" * (2 << 20))
                elif name == "slow.test":
                    time.sleep(12)
                    self.reply(200, bundle)
                else:
                    self.reply(500, b"broken\n")

            def reply(self, status, body):
                self.send_response(status)
                if status != 204:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def asked(self, name):
        with self.lock:
            return [q for n, q in self.queries if n == name]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def caddyfile(storage, http_port, https_port, endpoint_port):
    return ("{\n\thttp_port %d\n\thttps_port %d\n\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n"
            "\tadmin off\n\tskip_install_trust\n\tlocal_certs\n"
            "\ton_demand_tls {\n\t\task http://127.0.0.1:%d/ask\n\t}\n}\n\n"
            "a.test, b.test, c.test, d.test, big.test, slow.test, nocert.test {\n\ttls {\n\t\ton_demand\n"
            "\t\tget_certificate http http://127.0.0.1:%d/cert?token=%s\n\t}\n"
            "\trespond \"hi {http.request.tls.server_name}\"\n}\n"
            % (http_port, https_port, storage, endpoint_port, endpoint_port, TOKEN))


def curl(name, port, ca=None, timeout=20):
    start = time.time()
    verify = ["--cacert", ca] if ca else ["-k"]
    rc, out, err = tls_pki.curl([*verify, "--resolve", "%s:%d:127.0.0.1" % (name, port),
                                 "https://%s:%d/" % (name, port)], timeout=timeout)
    return rc, out, err.strip(), time.time() - start


def leaf(port, name):
    """(sha256 of the served leaf, its issuer line) or (None, s_client output)."""
    out = tls_pki.s_client(port, ["-servername", name, "-showcerts"], stdin=b"Q\n", timeout=20)
    blocks = out.split("-----BEGIN CERTIFICATE-----")[1:]
    if not blocks:
        return None, out
    pem = "-----BEGIN CERTIFICATE-----" + blocks[0].split("-----END CERTIFICATE-----")[0] + \
        "-----END CERTIFICATE-----\n"
    issuer = next((ln for ln in out.splitlines() if ln.startswith("issuer=")), "")
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest(), issuer


def common_checks(who, port, ep, ca, a_fp):
    before = len(ep.asked("a.test"))
    rc, out, err, took = curl("a.test", port, ca)
    check(rc == 0 and out == "hi a.test", "%s a.test: served the endpoint's certificate, verified with its CA "
          "(%.2fs): %r %s" % (who, took, out, err))
    rc, out, err, _ = curl("a.test", port, ca)
    check(rc == 0 and len(ep.asked("a.test")) == before + 2,
          "%s a.test: a second handshake asks the endpoint again (not cached): %d asks"
          % (who, len(ep.asked("a.test")) - before))
    fp, issuer = leaf(port, "a.test")
    check(fp == a_fp, "%s a.test: the served leaf is the endpoint's (%s)" % (who, issuer))
    for name in ("b.test", "c.test", "d.test", "big.test"):
        rc, out, err, took = curl(name, port)
        _, issuer = leaf(port, name)
        check(rc == 0 and out == "hi " + name and "Local Authority" in issuer and ep.asked(name),
              "%s %s: the manager had none, the local CA's on-demand certificate is served (%.2fs): %r %s %s"
              % (who, name, took, out, err, issuer))
    rc, out, err, took = curl("nocert.test", port)
    check(rc != 0 and took < 15 and ep.asked("nocert.test"),
          "%s nocert.test: manager failed and ask refused: the handshake fails (rc %d, %.2fs): %s"
          % (who, rc, took, err))


def run_gatehouse(binary, tmp, ep, ca, a_fp):
    storage = os.path.join(tmp, "gh-storage")
    port = tls_pki.free_port()
    cfg = os.path.join(tmp, "Caddyfile")
    with open(cfg, "w") as f:
        f.write(caddyfile(storage, tls_pki.free_port(), port, ep.port))
    env = dict(os.environ, XDG_DATA_HOME=tmp, HOME=tmp)
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile", workers=1, env=env)
    try:
        common_checks("gatehouse", port, ep, ca, a_fp)
        log = drain.text()
        errors = [e for e in acme_pebble.parse_log(log)
                  if e.get("msg") == "getting certificate from external certificate manager"]
        c_err = next((e for e in errors if e.get("sni") == "c.test"), {})
        check("got HTTP 500" in c_err.get("error", "") and "http://127.0.0.1:%d/cert" % ep.port in c_err.get("error", ""),
              "gatehouse c.test: logged error names the manager URL: %s" % c_err.get("error"))
        check(TOKEN not in log, "gatehouse: the URL's query (a token) never reaches the log")
        d_err = next((e for e in errors if e.get("sni") == "d.test"), {})
        check("PEM" in d_err.get("error", "") and d_err.get("cert_manager") == 0,
              "gatehouse d.test: %s" % d_err.get("error"))
        big_err = next((e for e in errors if e.get("sni") == "big.test"), {})
        check("larger than" in big_err.get("error", ""), "gatehouse big.test (2 MiB): %s" % big_err.get("error"))
        check(not any(e.get("sni") == "b.test" for e in errors), "gatehouse b.test: 204 is not logged as an error")

        # 4. A stuck endpoint: the request is bounded, the single worker keeps serving.
        result = {}
        slow = threading.Thread(target=lambda: result.update(slow=curl("slow.test", port, timeout=30)))
        slow.start()
        time.sleep(1)
        rc, out, err, took = curl("a.test", port, ca)
        # a worker blocked on the stuck manager would answer only after its 10 s limit
        check(rc == 0 and took < 6, "gatehouse: a.test is served in %.2fs while slow.test waits (one worker)" % took)
        slow.join(40)
        rc, out, err, took = result.get("slow", (None, "", "", 0))
        check(rc == 0 and out == "hi slow.test" and 9 < took < 20, "gatehouse slow.test: gives up on the manager "
              "after its 10 s request limit and goes on with the local CA (%.2fs, rc %s)" % (took, rc))
        slow_err = next((e for e in acme_pebble.parse_log(drain.text())
                         if e.get("sni") == "slow.test" and "error" in e), {})
        check("timed out" in slow_err.get("error", "").lower(), "gatehouse slow.test: %s" % slow_err.get("error"))
        return ep.asked("a.test")[0]
    finally:
        rc, report, _ = acme_pebble.stop_server(proc, drain, 20)
        check(rc == 0 and report == "", "gatehouse: clean exit (rc=%s)" % rc)


def run_caddy(tmp, ep, ca, a_fp):
    if shutil.which("caddy") is None:
        print("caddy not installed: no side-by-side run")
        return None
    port = tls_pki.free_port()
    first = len(ep.queries)
    peer = CaddyPeer(caddyfile(os.path.join(tmp, "caddy-storage"), tls_pki.free_port(), port, ep.port), [port])
    try:
        common_checks("caddy", port, ep, ca, a_fp)
        check("got HTTP 204" in peer.read_log(), "caddy 2.6.2 logs 204 as an error (gatehouse does not)")
        with ep.lock:
            return next(q for n, q in ep.queries[first:] if n == "a.test")
    finally:
        peer.stop()


def validate(binary, tmp, name, text, adapter="caddyfile"):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    p = subprocess.run([binary, "validate", "--config", path, "--adapter", adapter], capture_output=True,
                       text=True, timeout=30, env=dict(os.environ, XDG_DATA_HOME=tmp, HOME=tmp))
    return p.returncode, (p.stdout + p.stderr).strip()


def refusals(binary, tmp, ep):
    rc, out = validate(binary, tmp, "ts.Caddyfile", "{\n\tadmin off\n}\nmachine.tail1234.ts.net {\n\trespond hi\n}\n")
    check(rc != 0 and "tls.get_certificate.tailscale" in out and "machine.tail1234.ts.net" in out,
          "a *.ts.net site under automatic HTTPS is refused: %s" % out[-300:])
    rc, out = validate(binary, tmp, "ts-http.Caddyfile", "{\n\tadmin off\n}\nmachine.tail1234.ts.net {\n\ttls {\n"
                       "\t\tget_certificate http http://127.0.0.1:%d/cert\n\t}\n\trespond hi\n}\n" % ep.port)
    check(rc == 0, "a *.ts.net site with an http manager is accepted: %s" % out[-300:])
    cfg = {"apps": {"tls": {"automation": {"policies": [{"subjects": ["x.test"],
                                                         "get_certificate": [{"via": "tailscale"}]}]}}}}
    rc, out = validate(binary, tmp, "ts.json", json.dumps(cfg), adapter="json")
    check(rc != 0 and "apps.tls.automation.policies[0].get_certificate[0]" in out and "not supported yet" in out,
          "the tailscale manager is refused with its JSON path: %s" % out[-300:])
    cfg["apps"]["tls"]["automation"]["policies"][0]["get_certificate"] = [{"via": "http"}]
    rc, out = validate(binary, tmp, "nourl.json", json.dumps(cfg), adapter="json")
    check(rc != 0 and "get_certificate[0].url" in out, "an http manager without url is refused: %s" % out[-300:])


def main():
    binary = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="gh-getcert-")
    ep = None
    try:
        ca = tls_pki.make_ca(tmp)
        crt, key = tls_pki.make_leaf(tmp, "a", ["DNS:a.test"], ca)
        with open(crt, "rb") as c, open(ca[0], "rb") as r, open(key, "rb") as k:
            bundle = c.read() + r.read() + k.read()
        with open(crt) as c:
            a_fp = hashlib.sha256(ssl.PEM_cert_to_DER_cert(c.read())).hexdigest()
        ep = Endpoint(bundle)
        refusals(binary, tmp, ep)
        ours = run_gatehouse(binary, tmp, ep, ca[0], a_fp)
        theirs = run_caddy(tmp, ep, ca[0], a_fp)
        print("gatehouse asked: /cert?" + ours)
        if theirs is not None:
            print("caddy asked:     /cert?" + theirs)
            check(ours == theirs, "the endpoint received the same query string from gatehouse and caddy")
        check(ours.startswith("cipher_suites=") and "%2C" in ours and "&server_name=a.test&signature_schemes="
              in ours and ours.endswith("&token=" + TOKEN), "query string in Go's sorted encoding")
    finally:
        if ep:
            ep.close()
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
