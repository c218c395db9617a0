#!/usr/bin/env python3
"""End-to-end against Debian's pebble: the zerossl issuer's ACME + EAB path, ACME profiles,
and a certificate whose OCSP status is `revoked` being replaced at once.

 1. `issuer zerossl { dir ...; eab KID MAC }` (Caddy 2.6 syntax) against pebble with
    externalAccountBindingRequired: the account is bound with the given credentials (so
    ZeroSSL's EAB API is not asked) and the certificate is served. ZeroSSL's API itself is
    out of reach here; its request and answer are unit-tested (profiles_zerossl_test.cpp).
 2. `issuer acme { profile shortlived }`: when the CA's directory lists the profile, the
    order names it and the certificate is served; when it lists none (pebble 2.4), no order
    is placed and the log says which profiles the CA offers, and when the next try is.
 3. A managed certificate in storage whose OCSP responder (`openssl ocsp`, real) says
    `revoked`: it is replaced from pebble at once, without waiting for its renewal window.
Loopback only; every wait is bounded. Usage: autohttps_zerossl_profile_test.py <gatehouse>
"""
import json
import os
import ssl
import sys
import tempfile
import time
import urllib.request

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import autohttps_ocsp_test as ocsp  # noqa: E402
import tls_pki  # noqa: E402

FAILURES = []
EAB_KID = "kid-zerossl"
EAB_MAC = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def directory_meta(pebble):
    ctx = ssl.create_default_context(cafile=pebble.cert)
    body = urllib.request.urlopen(pebble.directory, context=ctx, timeout=5).read()
    return json.loads(body).get("meta", {})


def roots_file(tmp, pebble):
    path = os.path.join(tmp, "pebble-roots.pem")
    with open(path, "w") as f:
        f.write(pebble.management("/roots/0"))
    return path


def global_options(pebble, storage, extra=""):
    return ("{\n\thttp_port %d\n\thttps_port %d\n\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n"
            "\tadmin off\n%s}\n\n" % (pebble.http_port, pebble.tls_port, storage, extra))


def stop(proc, drain):
    rc, report, lines = acme_pebble.stop_server(proc, drain, 20)
    check(rc == 0, "clean exit (rc=%s)" % rc)
    check(report == "", "no sanitizer report")
    return lines


def zerossl_with_eab(binary, tmp):
    pebble = acme_pebble.Pebble(tmp, eab_keys={EAB_KID: EAB_MAC})
    try:
        roots = roots_file(tmp, pebble)
        storage = os.path.join(tmp, "zstorage")
        cfg = os.path.join(tmp, "zerossl.Caddyfile")
        with open(cfg, "w") as f:
            f.write(global_options(pebble, storage))
            f.write("z.test {\n\ttls {\n\t\tissuer zerossl {\n\t\t\tdir %s\n\t\t\ttrusted_roots %s\n"
                    "\t\t\temail z@z.test\n\t\t\teab %s %s\n\t\t}\n\t}\n\trespond \"z\"\n}\n"
                    % (pebble.directory, pebble.cert, EAB_KID, EAB_MAC))
        proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
        try:
            took = acme_pebble.wait_serving("z.test", pebble.tls_port, roots, 60)
            check(took is not None, "zerossl issuer with eab: z.test served with a pebble certificate (%s s)" % took)
        finally:
            lines = stop(proc, drain)
        check(not [e for e in lines if e.get("msg") == "generated EAB credentials"],
              "zerossl with explicit eab: ZeroSSL's EAB API is not asked")
        registered = [e for e in lines if "account" in str(e.get("msg", "")) and e.get("logger", "").startswith("tls")]
        check(registered, "log: the ACME account step is logged: %s" % [e.get("msg") for e in registered][:3])
    finally:
        pebble.stop()


def profiles(binary, tmp):
    pebble = acme_pebble.Pebble(tmp)
    try:
        meta = directory_meta(pebble)
        offered = meta.get("profiles") or {}
        print("pebble directory meta.profiles: %s" % offered, flush=True)
        roots = roots_file(tmp, pebble)
        storage = os.path.join(tmp, "pstorage")
        cfg = os.path.join(tmp, "profile.Caddyfile")
        with open(cfg, "w") as f:
            f.write(global_options(pebble, storage, "\temail p@p.test\n"))
            f.write("p.test {\n\ttls {\n\t\tissuer acme {\n\t\t\tdir %s\n\t\t\ttrusted_roots %s\n"
                    "\t\t\tprofile shortlived\n\t\t}\n\t}\n\trespond \"p\"\n}\n\n" % (pebble.directory, pebble.cert))
            f.write("q.test {\n\ttls {\n\t\tissuer acme {\n\t\t\tdir %s\n\t\t\ttrusted_roots %s\n"
                    "\t\t}\n\t}\n\trespond \"q\"\n}\n" % (pebble.directory, pebble.cert))
        proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
        try:
            check(acme_pebble.wait_serving("q.test", pebble.tls_port, roots, 60) is not None,
                  "q.test (no profile) is served")
            if "shortlived" in offered:
                check(acme_pebble.wait_serving("p.test", pebble.tls_port, roots, 60) is not None,
                      "p.test (profile shortlived, offered by the CA) is served")
            else:
                deadline = time.time() + 30
                while time.time() < deadline and "will retry" not in drain.text():
                    time.sleep(0.2)
                rc, _, _ = acme_pebble.curl_https("p.test", pebble.tls_port, roots)
                check(rc != 0, "p.test (profile the CA does not offer): no certificate")
        finally:
            lines = stop(proc, drain)
        orders = [e for e in lines if e.get("msg") == "creating order" and "p.test" in e.get("identifiers", [])]
        if "shortlived" in offered:
            check(orders and orders[0].get("profile") == "shortlived", "log: the order names the profile: %s" % orders)
        else:
            check(not orders, "no order placed for p.test (%d)" % len(orders))
            errors = [e for e in lines if e.get("msg") == "could not get certificate from issuer"
                      and e.get("identifier") == "p.test"]
            check(errors and "profile 'shortlived'" in errors[0].get("error", errors[0].get("message", ""))
                  or any("profile 'shortlived'" in json.dumps(e) for e in errors),
                  "log: the error names the profile and what the CA offers: %s" % errors[:1])
            retry = [e for e in lines if e.get("msg") == "will retry" and e.get("identifier") == "p.test"]
            check(retry and retry[0].get("retry_at"), "log: when p.test is tried again: %s" % retry[:1])
    finally:
        pebble.stop()


def revoked_is_replaced(binary, tmp):
    pebble = acme_pebble.Pebble(tmp)
    responder = None
    try:
        roots = roots_file(tmp, pebble)
        ca = tls_pki.make_ca(tmp, "revca")
        index = os.path.join(tmp, "index.txt")
        responder = ocsp.Responder(tmp, ca, index)
        url = "http://127.0.0.1:%d" % responder.port
        crt, key, serial = ocsp.leaf(tmp, "r.test", ca, url)
        with open(index, "w") as f:
            f.write("R\t301231235959Z\t241231235959Z\t%s\tunknown\t/CN=r.test\n" % serial)
        storage = os.path.join(tmp, "rstorage")
        issuer = "127.0.0.1-%d-dir" % pebble.port
        ocsp.store(storage, issuer, "r.test", crt, key, ca[0])
        cfg = os.path.join(tmp, "revoked.Caddyfile")
        with open(cfg, "w") as f:
            f.write(global_options(pebble, storage, "\temail r@r.test\n\tacme_ca %s\n\tacme_ca_root %s\n"
                                   % (pebble.directory, pebble.cert)))
            f.write("r.test {\n\trespond \"r\"\n}\n")
        proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
        try:
            took = acme_pebble.wait_serving("r.test", pebble.tls_port, roots, 60)
            check(took is not None, "revoked r.test is replaced by a pebble certificate within %s s" % took)
        finally:
            lines = stop(proc, drain)
        msgs = acme_pebble.messages(lines)
        check("loaded certificate from storage" in msgs, "the stored certificate was loaded first")
        rev = [e for e in lines if e.get("msg") == "certificate is revoked according to its OCSP responder; replacing it"]
        check(len(rev) == 1 and "revoked" in rev[0].get("error", ""), "log: revoked, replacing: %s" % rev)
        check("certificate renewed successfully" in msgs, "log: renewed successfully")
    finally:
        if responder:
            responder.stop()
        pebble.stop()


def main():
    binary = sys.argv[1]
    acme_pebble.require_pebble()
    for part in (zerossl_with_eab, profiles, revoked_is_replaced):
        with tempfile.TemporaryDirectory() as tmp:
            part(binary, tmp)
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
