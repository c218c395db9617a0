#!/usr/bin/env python3
"""End-to-end: OCSP stapling of loaded certificates (`tls CERT KEY`, `tls { load DIR }`, JSON
load_pem), as caddy 2.6.2 staples the unmanaged certificates it caches. A throwaway CA
issues leaves whose AIA names a local responder (`openssl ocsp` making the answers, see
autohttps_ocsp_test.py); each certificate file holds the leaf then the CA.

 1. Responder up: o.test (files) and f.test (folder) carry a verified "good" staple from
    the first handshake; r.test (revoked) is served without one and the log says why;
    p.test (names no responder) gets Caddy's "stapling OCSP" warning and no staple.
 1b. SIGUSR1 reload: the good staples are kept, not fetched again.
 2. The same config under caddy 2.6.2: o.test and f.test stapled, r.test and p.test not.
 3. `ocsp_stapling off`: the responder is never asked, nothing is stapled.
 4. JSON load_pem, `ocsp_interval 1s`, responder down at start: the start is not held up,
    no staple; the responder comes up and the staple appears after the retry.
Loopback only; every wait is bounded. Usage: tls_loaded_ocsp_test.py <path-to-gatehouse>
"""
import json
import os
import signal
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import caddy_peer  # noqa: E402
import harness  # noqa: E402
import tls_pki  # noqa: E402
from autohttps_ocsp_test import Responder, leaf  # noqa: E402

check = harness.check


def bundle(tmp, name, crt, ca_crt):
    path = os.path.join(tmp, name + ".chain.pem")
    with open(path, "w") as f:
        f.write(open(crt).read() + open(ca_crt).read())
    return path


def status(port, name, ca_crt):
    return tls_pki.s_client(port, ["-servername", name, "-status", "-CAfile", ca_crt, "-verify_return_error"],
                            stdin=b"Q\n")


def stapled(out):
    return "OCSP Response Status: successful" in out and "Cert Status: good" in out


def unstapled(out):
    return "OCSP response: no response sent" in out and "Verify return code: 0 (ok)" in out


def caddyfile(port, certs, folder, extra=""):
    o, r, p = certs
    return ("{\n\tadmin off\n\tskip_install_trust\n\tdefault_bind 127.0.0.1\n\thttps_port %d\n\thttp_port %d\n%s}\n"
            "o.test {\n\ttls %s %s\n\trespond \"o\"\n}\n"
            "r.test {\n\ttls %s %s\n\trespond \"r\"\n}\n"
            "p.test {\n\ttls %s %s\n\trespond \"p\"\n}\n"
            "f.test {\n\ttls {\n\t\tload %s\n\t}\n\trespond \"f\"\n}\n"
            % (port, tls_pki.free_port(), extra, o[0], o[1], r[0], r[1], p[0], p[1], folder))


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="gh-loaded-ocsp-") as tmp:
        ca = tls_pki.make_ca(tmp, "ocspca")
        index = os.path.join(tmp, "index.txt")
        responder = Responder(tmp, ca, index)
        url = "http://127.0.0.1:%d" % responder.port
        o_crt, o_key, o_serial = leaf(tmp, "o.test", ca, url)
        r_crt, r_key, r_serial = leaf(tmp, "r.test", ca, url)
        p_crt, p_key, _ = leaf(tmp, "p.test", ca, None)
        f_crt, f_key, f_serial = leaf(tmp, "f.test", ca, url)
        with open(index, "w") as f:
            for serial, cn in ((o_serial, "o.test"), (f_serial, "f.test")):
                f.write("V\t301231235959Z\t\t%s\tunknown\t/CN=%s\n" % (serial, cn))
            f.write("R\t301231235959Z\t241231235959Z\t%s\tunknown\t/CN=r.test\n" % r_serial)
        certs = ((bundle(tmp, "o", o_crt, ca[0]), o_key), (bundle(tmp, "r", r_crt, ca[0]), r_key),
                 (bundle(tmp, "p", p_crt, ca[0]), p_key))
        folder = os.path.join(tmp, "folder")
        os.mkdir(folder)
        with open(os.path.join(folder, "f.pem"), "w") as f:
            f.write(open(f_crt).read() + open(ca[0]).read() + open(f_key).read())

        # 1. gatehouse, responder up.
        port = tls_pki.free_port()
        cfg = os.path.join(tmp, "Caddyfile")
        with open(cfg, "w") as f:
            f.write(caddyfile(port, certs, folder))
        proc, _, drain, seen = harness.start(binary, cfg, adapter="caddyfile")
        try:
            check(responder.requests == 3, "the responder was asked once per certificate naming it (%d)"
                  % responder.requests)
            out = status(port, "o.test", ca[0])
            check(stapled(out) and "Verify return code: 0 (ok)" in out, "files: o.test stapled from the first handshake")
            check(stapled(status(port, "f.test", ca[0])), "folder: f.test stapled")
            check(unstapled(status(port, "r.test", ca[0])), "revoked r.test: served, no staple")
            check(unstapled(status(port, "p.test", ca[0])), "p.test (no responder): served, no staple")
            # A reload keeps the good staples it has (certmagic reuses its stored ones): only
            # the revoked r.test, which has none, is asked about again.
            before = responder.requests
            proc.send_signal(signal.SIGUSR1)
            deadline = time.time() + 15
            while time.time() < deadline and drain.text().count("no OCSP stapling for [p.test]") < 2:
                time.sleep(0.1)
            # r.test's question may come a moment after p.test's line (bounded), and more
            # questions would come with it
            while time.time() < deadline and responder.requests == before:
                time.sleep(0.1)
            time.sleep(0.5)
            check(drain.text().count("no OCSP stapling for [p.test]") == 2, "reloaded")
            check(stapled(status(port, "o.test", ca[0])) and stapled(status(port, "f.test", ca[0])),
                  "after a reload: still stapled")
            check(responder.requests - before == 1, "after a reload: the kept staples were not fetched again "
                  "(%d request(s), the revoked one)" % (responder.requests - before))
        finally:
            harness.stop(proc, drain)
        log = [json.loads(l) for l in drain.text().splitlines() if l.startswith("{")]
        warn = [e for e in log if e.get("msg") == "stapling OCSP" and e.get("level") == "warn"]
        check(len(warn) == 2 and all(w.get("error") == "no OCSP stapling for [p.test]: no OCSP server specified "
                                     "in certificate" and w.get("logger") == "tls" for w in warn),
              "Caddy's warning for p.test, once per config load: %s" % warn[:1])
        rev = [e for e in log if e.get("msg", "").startswith("certificate is revoked") and e.get("identifier") == "r.test"]
        check(rev and rev[0]["msg"].endswith("serving it without a staple"), "the revoked one is logged: %s" % rev[:1])

        # 2. caddy 2.6.2 on the same config.
        cport = tls_pki.free_port()
        peer = caddy_peer.CaddyPeer(caddyfile(cport, certs, folder), [cport])
        try:
            check(stapled(status(cport, "o.test", ca[0])), "caddy 2.6.2 staples o.test too")
            check(stapled(status(cport, "f.test", ca[0])), "caddy 2.6.2 staples f.test too")
            check(unstapled(status(cport, "r.test", ca[0])), "caddy 2.6.2 staples nothing for the revoked r.test")
            check(unstapled(status(cport, "p.test", ca[0])), "caddy 2.6.2: no staple for p.test")
            check("no OCSP stapling for [p.test]: no OCSP server specified in certificate" in peer.read_log(),
                  "caddy 2.6.2 logs the same p.test warning")
        finally:
            peer.stop()

        # 3. ocsp_stapling off.
        before = responder.requests
        with open(cfg, "w") as f:
            f.write(caddyfile(port, certs, folder, "\tocsp_stapling off\n"))
        proc, _, drain, seen = harness.start(binary, cfg, adapter="caddyfile")
        try:
            check(unstapled(status(port, "o.test", ca[0])), "ocsp_stapling off: o.test without a staple")
            check(unstapled(status(port, "f.test", ca[0])), "ocsp_stapling off: f.test without a staple")
        finally:
            harness.stop(proc, drain)
        check(responder.requests == before, "ocsp_stapling off: the responder was never asked")
        responder.stop()

        # 4. JSON load_pem, ocsp_interval 1s, responder down at start then up.
        cfg_json = {
            "admin": {"disabled": True},
            "apps": {
                "tls": {"certificates": {"load_pem": [{"certificate": open(certs[0][0]).read(),
                                                       "key": open(certs[0][1]).read()}]},
                        "automation": {"ocsp_interval": "1s"}},
                "http": {"servers": {"s": {"listen": ["127.0.0.1:%d" % port],
                                           "routes": [{"handle": [{"handler": "static_response", "body": "o"}]}],
                                           "tls_connection_policies": [{}]}}}}}
        path = os.path.join(tmp, "config.json")
        with open(path, "w") as f:
            json.dump(cfg_json, f)
        t0 = time.time()
        proc, _, drain, seen = harness.start(binary, path)
        try:
            check(time.time() - t0 < 8, "responder down: the start is not held up (%.1fs)" % (time.time() - t0))
            check(unstapled(status(port, "o.test", ca[0])), "responder down: served without a staple")
            responder = Responder(tmp, ca, index, int(url.rsplit(":", 1)[1]))
            out = ""
            deadline = time.time() + 10
            while time.time() < deadline:
                out = status(port, "o.test", ca[0])
                if stapled(out):
                    break
                time.sleep(0.2)
            check(stapled(out), "load_pem: stapled once the responder is back (ocsp_interval 1s)")
        finally:
            harness.stop(proc, drain)
            responder.stop()
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
