#!/usr/bin/env python3
"""End-to-end: OCSP stapling of managed certificates in `gatehouse run`, with `openssl ocsp`
as the responder (pebble's certificates name none, so a managed certificate is put in the
ACME issuer's storage as if issued, by a throwaway CA whose leaves name the responder).

 1. Responder up: the served certificate carries a verified staple ("good") for clients
    that ask (`openssl s_client -status`), and the log says so.
 2. A certificate that names no responder, and a revoked one: served without a staple,
    handshake fine; the revoked one is replaced at once (here the CA is down, so it keeps
    being served while the attempts fail).
 3. Responder down: served without a staple; the handshake never fails over it.
 4. `ocsp_stapling off` (responder up): nothing is asked, nothing stapled.
 5. `ocsp_interval 1s`, responder down at start and up a moment later: the failed fetch is
    tried again after the interval and the staple appears.
Loopback only; every wait is bounded. Usage: autohttps_ocsp_test.py <path-to-gatehouse>
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import http.server

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import tls_pki  # noqa: E402

FAILURES = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def run(args, cwd):
    subprocess.run(args, cwd=cwd, check=True, capture_output=True, timeout=30)


def leaf(tmp, name, ca, ocsp_url):
    key, csr, crt = (os.path.join(tmp, name + e) for e in (".key", ".csr", ".crt"))
    ext = os.path.join(tmp, name + ".ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:%s\n" % name)
        if ocsp_url:
            f.write("authorityInfoAccess=OCSP;URI:%s\n" % ocsp_url)
    run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", key, "-out", csr, "-subj", "/CN=" + name], tmp)
    run(["openssl", "x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial",
         "-out", crt, "-days", "2", "-extfile", ext], tmp)
    serial = subprocess.run(["openssl", "x509", "-in", crt, "-noout", "-serial"], capture_output=True, text=True,
                            check=True, timeout=10).stdout.strip().split("=")[1]
    return crt, key, serial


def store(storage, issuer, name, crt, key, ca_crt):
    d = os.path.join(storage, "certificates", issuer, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name + ".crt"), "w") as f:
        f.write(open(crt).read() + open(ca_crt).read())
    shutil.copy(key, os.path.join(d, name + ".key"))
    os.chmod(os.path.join(d, name + ".key"), 0o600)


def status(port, name, ca_crt):
    out = tls_pki.s_client(port, ["-servername", name, "-status", "-CAfile", ca_crt, "-verify_return_error"],
                           stdin=b"Q\n")
    return out


class Responder:
    """An OCSP responder on 127.0.0.1: Python's HTTP server carries the bytes, `openssl ocsp`
    (-reqin/-respout, signing with the CA, -index for the status) makes each answer.
    (`openssl ocsp -port` itself would listen on every interface.)"""

    def __init__(self, tmp, ca, index, port=0):
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.requests += 1
                req, resp = os.path.join(tmp, "ocsp-req.der"), os.path.join(tmp, "ocsp-resp.der")
                with open(req, "wb") as f:
                    f.write(body)
                subprocess.run(["openssl", "ocsp", "-index", index, "-rsigner", ca[0], "-rkey", ca[1],
                                "-CA", ca[0], "-ndays", "1", "-reqin", req, "-respout", resp],
                               capture_output=True, timeout=20, check=True)
                data = open(resp, "rb").read()
                self.send_response(200)
                self.send_header("Content-Type", "application/ocsp-response")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.requests = 0
        self.server = http.server.HTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


def stop(proc, drain):
    rc, report, lines = acme_pebble.stop_server(proc, drain, 20)
    check(rc == 0, "clean exit (rc=%s)" % rc)
    check(report == "", "no sanitizer report")
    return lines


def options_checks(binary, tmp, write_cfg, responder_port, where):
    https_port, ca, index = where
    # 4. ocsp_stapling off: the responder is up and never asked.
    responder = Responder(tmp, ca, index, responder_port)
    try:
        proc, _, drain, _ = tls_pki.start(binary, write_cfg("Caddyfile.off", "\tocsp_stapling off\n"),
                                          adapter="caddyfile")
        try:
            time.sleep(1.5)
            out = status(https_port, "o.test", ca[0])
            check("OCSP response: no response sent" in out and "Verify return code: 0 (ok)" in out,
                  "ocsp_stapling off: served without a staple")
        finally:
            lines = stop(proc, drain)
        check(responder.requests == 0, "ocsp_stapling off: the responder was never asked (%d)" % responder.requests)
        check(not [e for e in lines if "OCSP" in e.get("msg", "")], "ocsp_stapling off: no OCSP log line")
    finally:
        responder.stop()
    # 5. ocsp_interval 1s: down at start, up later, stapled after the retry.
    proc, _, drain, _ = tls_pki.start(binary, write_cfg("Caddyfile.interval", "\tocsp_interval 1s\n"),
                                      adapter="caddyfile")
    responder = None
    try:
        deadline = time.time() + 10
        while time.time() < deadline and "no OCSP staple" not in drain.text():
            time.sleep(0.1)
        responder = Responder(tmp, ca, index, responder_port)
        out = ""
        deadline = time.time() + 10
        while time.time() < deadline:
            out = status(https_port, "o.test", ca[0])
            if "Cert Status: good" in out:
                break
            time.sleep(0.2)
        check("Cert Status: good" in out, "ocsp_interval 1s: stapled once the responder is back")
    finally:
        lines = stop(proc, drain)
        if responder:
            responder.stop()
    warn = [e for e in lines if e.get("msg") == "no OCSP staple; serving without one" and e.get("identifier") == "o.test"]
    check(warn and warn[0].get("retry_at"), "ocsp_interval 1s: the failure names its retry: %s" % warn[:1])


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        ca = tls_pki.make_ca(tmp, "ocspca")
        responder = Responder(tmp, ca, os.path.join(tmp, "index.txt"))
        url = "http://127.0.0.1:%d" % responder.port
        crt, key, serial = leaf(tmp, "o.test", ca, url)
        plain_crt, plain_key, _ = leaf(tmp, "p.test", ca, None)
        revoked_crt, revoked_key, revoked_serial = leaf(tmp, "r.test", ca, url)
        index = os.path.join(tmp, "index.txt")
        with open(index, "w") as f:
            f.write("V\t301231235959Z\t\t%s\tunknown\t/CN=o.test\n" % serial)
            f.write("R\t301231235959Z\t241231235959Z\t%s\tunknown\t/CN=r.test\n" % revoked_serial)
        # The ACME CA is never contacted: the stored certificates are fresh.
        ca_url = "https://127.0.0.1:%d/dir" % tls_pki.free_port()
        issuer = "127.0.0.1-%s-dir" % ca_url.split(":")[2].split("/")[0]
        storage = os.path.join(tmp, "storage")
        store(storage, issuer, "o.test", crt, key, ca[0])
        store(storage, issuer, "p.test", plain_crt, plain_key, ca[0])
        store(storage, issuer, "r.test", revoked_crt, revoked_key, ca[0])
        http_port, https_port = tls_pki.free_port(), tls_pki.free_port()

        def write_cfg(name, extra=""):
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write("{\n\tacme_ca %s\n\thttp_port %d\n\thttps_port %d\n\tdefault_bind 127.0.0.1\n"
                        "\tstorage file_system %s\n\tadmin off\n%s}\n\no.test {\n\trespond \"o\"\n}\n\n"
                        "p.test {\n\trespond \"p\"\n}\n\nr.test {\n\trespond \"r\"\n}\n"
                        % (ca_url, http_port, https_port, storage, extra))
            return path
        cfg = write_cfg("Caddyfile")

        try:
            proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
            try:
                out = ""
                deadline = time.time() + 15
                while time.time() < deadline:
                    out = status(https_port, "o.test", ca[0])
                    if "Cert Status: good" in out:
                        break
                    time.sleep(0.2)
                check("OCSP Response Status: successful" in out and "Cert Status: good" in out
                      and "Verify return code: 0 (ok)" in out, "o.test: a good OCSP response is stapled")
                out = status(https_port, "p.test", ca[0])
                check("OCSP response: no response sent" in out and "Verify return code: 0 (ok)" in out,
                      "p.test names no responder: no staple, handshake fine")
                out = status(https_port, "r.test", ca[0])
                check("OCSP response: no response sent" in out and "Verify return code: 0 (ok)" in out,
                      "r.test is revoked: its answer is not stapled, handshake fine")
            finally:
                lines = stop(proc, drain)
            stapled = [e for e in lines if e.get("msg") == "stapled OCSP response"]
            check(len(stapled) == 1 and stapled[0].get("identifier") == "o.test"
                  and stapled[0].get("responder") == url and stapled[0].get("refresh_at"),
                  "log: stapled for o.test only, with the next refresh: %s" % stapled)
            check(not [e for e in lines if e.get("msg") == "obtaining certificate"], "log: no order placed")
            unstapled = [e for e in lines if e.get("msg") == "no OCSP staple; serving without one"]
            check(not unstapled, "log: every answer was usable: %s" % unstapled)
            revoked = [e for e in lines
                       if e.get("msg") == "certificate is revoked according to its OCSP responder; replacing it"]
            check(len(revoked) == 1 and revoked[0].get("identifier") == "r.test"
                  and "revoked" in revoked[0].get("error", ""), "log: r.test is revoked, so it is replaced "
                  "at once (this CA is down: autohttps_zerossl_profile_test.py replaces one from pebble): %s" % revoked)
            renewing = [e for e in lines if e.get("msg") == "renewing certificate" and e.get("identifier") == "r.test"]
            check(len(renewing) >= 1, "log: r.test's replacement was attempted while it kept being served")
            check(responder.requests == 2, "one OCSP request per certificate naming the responder (%d)"
                  % responder.requests)
        finally:
            responder.stop()

        # Responder gone: no staple, the handshake still succeeds.
        proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
        try:
            deadline = time.time() + 10
            while time.time() < deadline and "no OCSP staple" not in drain.text():
                time.sleep(0.1)
            out = status(https_port, "o.test", ca[0])
            check("OCSP response: no response sent" in out and "Verify return code: 0 (ok)" in out,
                  "responder down: served without a staple, handshake fine")
        finally:
            lines = stop(proc, drain)
        warn = [e for e in lines if e.get("msg") == "no OCSP staple; serving without one"
                and e.get("identifier") == "o.test"]
        check(len(warn) == 1 and warn[0].get("error") and warn[0].get("retry_at"),
              "log: why there is no staple and when it is tried again: %s" % warn)
        options_checks(binary, tmp, write_cfg, responder.port, (https_port, ca, index))
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
