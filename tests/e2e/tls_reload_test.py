#!/usr/bin/env python3
"""End-to-end: reloading a TLS server.

A reload swaps the certificate (new handshakes get the new one) while TLS sessions from
before the reload still resume (the session ticket keys survive it). POST /load also
accepts a Caddyfile (text/caddyfile), as Caddy's admin API does. 127.0.0.1 only.
Usage: tls_reload_test.py <path-to-gatehouse>
"""
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
import tls_pki  # noqa: E402
from harness import FAILURES, check, finish  # noqa: E402,F401


def config(admin_port, cert, body):
    return {"admin": {"listen": "127.0.0.1:%d" % admin_port},
            "apps": {"http": {"servers": {"srv0": {
                "listen": ["127.0.0.1:0"],
                "routes": [{"match": [{"host": ["a.test"]}],
                            "handle": [{"handler": "static_response", "body": body}]}],
                "tls_connection_policies": [{}]}}},
                "tls": {"certificates": {"load_files": [{"certificate": cert[0], "key": cert[1]}]}}}}


def post(admin_port, body, content_type):
    return tls_pki.curl(["-s", "-o", "/dev/stderr", "-w", "%{http_code}", "-X", "POST", "-H",
                         "Content-Type: " + content_type, "--data-binary", body,
                         "http://127.0.0.1:%d/load" % admin_port], timeout=60)


class TlsLoad(threading.Thread):
    """HTTPS requests (new connection each) in a loop until stopped; at most 5000 or 60 s."""

    def __init__(self, port, cafile):
        super().__init__(daemon=True)
        self.port, self.ok, self.errors = port, 0, []
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.stop = threading.Event()

    def one(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as raw:
            with self.ctx.wrap_socket(raw, server_hostname="a.test") as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
        if not data.startswith(b"HTTP/1.1 200"):
            raise RuntimeError("bad response %r" % data[:40])

    def run(self):
        deadline = time.time() + 60
        while not self.stop.is_set() and self.ok + len(self.errors) < 5000 and time.time() < deadline:
            try:
                self.one()
                self.ok += 1
            except Exception as e:  # noqa: BLE001 - any failure is a lost request
                self.errors.append(repr(e))


def main():
    binary = sys.argv[1]
    for tool in ("curl", "openssl"):
        if shutil.which(tool) is None:
            print("skip: %s not installed" % tool)
            return 77
    with tempfile.TemporaryDirectory() as tmp:
        ca = tls_pki.make_ca(tmp)
        first = tls_pki.make_leaf(tmp, "first-cert", ["DNS:a.test"], ca)
        second = tls_pki.make_leaf(tmp, "second-cert", ["DNS:a.test"], ca)
        admin_port = tls_pki.free_port()
        path = os.path.join(tmp, "config.json")
        with open(path, "w") as f:
            json.dump(config(admin_port, first, "v1"), f)
        proc, servers, drain, _ = tls_pki.start(binary, path, workers=2)
        port = tls_pki.port_of(servers["srv0"][0])
        url = ["--cacert", ca[0], "--resolve", "a.test:%d:127.0.0.1" % port, "https://a.test:%d/" % port]
        load = TlsLoad(port, ca[0])
        try:
            load.start()
            sess = os.path.join(tmp, "sess.pem")
            request = b"GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"
            out = tls_pki.s_client(port, ["-servername", "a.test", "-sess_out", sess, "-ign_eof"], request)
            check("CN = first-cert" in out and "v1" in out, "before the reload: first certificate, v1")
            rc, code, err = post(admin_port, json.dumps(config(admin_port, second, "v2")), "application/json")
            check(code == "200", "POST /load (JSON) accepted: %s %s" % (code, err.strip()))
            out = tls_pki.s_client(port, ["-servername", "a.test"], request)
            check("CN = second-cert" in out, "a new handshake after the reload gets the new certificate")
            rc, body, err = tls_pki.curl(url)
            check(rc == 0 and body == "v2", "the new routes answer over TLS: %r %s" % (body, err.strip()))
            out = tls_pki.s_client(port, ["-servername", "a.test", "-sess_in", sess, "-ign_eof"], request)
            check("Reused, TLSv1.3" in out and "v2" in out, "a session from before the reload resumes after it")
            caddyfile = ("{\n\tadmin 127.0.0.1:%d\n}\n\nhttps://a.test:%d {\n\tbind 127.0.0.1\n\ttls %s %s\n"
                         "\trespond \"v3 {http.request.tls.version}\"\n}\n" % (admin_port, port, first[0], first[1]))
            rc, code, err = post(admin_port, caddyfile, "text/caddyfile")
            check(code == "200", "POST /load (text/caddyfile) accepted: %s %s" % (code, err.strip()))
            rc, body, err = tls_pki.curl(url)
            check(rc == 0 and body == "v3 tls1.3", "the Caddyfile config is served: %r %s" % (body, err.strip()))
            rc, code, err = post(admin_port, caddyfile.replace(first[0], os.path.join(tmp, "missing.crt")),
                                 "text/caddyfile")
            check(code == "400" and "missing.crt" in err, "a missing certificate file is rejected: %s" % err.strip())
            rc, body, _ = tls_pki.curl(url)
            check(rc == 0 and body == "v3 tls1.3", "and the running config keeps serving")
            time.sleep(0.3)
        finally:
            load.stop.set()
            load.join(70)
            print("TLS load: %d requests answered, %d failed" % (load.ok, len(load.errors)))
            check(load.ok > 20 and not load.errors, "no HTTPS request lost across 3 reloads: %s" % load.errors[:3])
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = None
            check(rc == 0, "clean exit after SIGTERM (rc=%s)" % rc)
            check(drain.finish() == "", "no sanitizer report")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
