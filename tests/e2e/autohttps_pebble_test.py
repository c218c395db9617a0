#!/usr/bin/env python3
"""End-to-end: automatic HTTPS in `gatehouse run` with its own ACME client against Debian's
pebble (Let's Encrypt's test CA; PEBBLE_VA_NOSLEEP=1, its default 5% nonce rejection on) and
pebble-challtestsrv (names resolve to 127.0.0.1).

 1. Two sites, no certificate: the server starts, obtains both in the background (HTTP-01
    or TLS-ALPN-01 answered by its own listeners), serves them hot; the chain verifies
    against pebble's root; HTTP->HTTPS redirect still works; storage in Caddy's layout.
 2. Restart with pebble stopped: the stored certificate is served, no order is placed.
 3. Only TLS-ALPN-01 (disable_http_challenge): obtained through the acme-tls/1 hook.
 4. 30-second certificates: renewed while serving (new serial on a new handshake).
Loopback only; every wait is bounded. Usage: autohttps_pebble_test.py <path-to-gatehouse>
"""
import json
import os
import shutil
import socket
import ssl
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import tls_pki  # noqa: E402

FAILURES = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def write_caddyfile(tmp, pebble, storage, sites, name="Caddyfile"):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("{\n\temail a@b.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n\thttps_port %d\n"
                "\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n\tadmin off\n}\n\n"
                % (pebble.directory, pebble.cert, pebble.http_port, pebble.tls_port, storage))
        f.write(sites)
    return path


def roots_file(tmp, pebble):
    path = os.path.join(tmp, "pebble-roots.pem")
    with open(path, "w") as f:
        f.write(pebble.management("/roots/0"))
    return path


def peer_certificate(port, name, roots):
    """Verifies the chain against pebble's root and the name; returns the leaf (getpeercert())."""
    ctx = ssl.create_default_context(cafile=roots)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        with ctx.wrap_socket(sock, server_hostname=name) as tls:
            return tls.getpeercert()


curl_https = acme_pebble.curl_https


wait_serving = acme_pebble.wait_serving


def stop(proc, drain):
    rc, report, lines = acme_pebble.stop_server(proc, drain, 20)
    check(rc == 0, "clean exit (rc=%s)" % rc)
    check(report == "", "no sanitizer report")
    return lines


def msgs(lines, msg):
    return [entry for entry in lines if entry.get("msg") == msg]


def obtain_and_restart(binary, tmp):
    pebble = acme_pebble.Pebble(tmp)
    storage = os.path.join(tmp, "storage")
    cfg = write_caddyfile(tmp, pebble, storage, 'a.test {\n\trespond "hello {http.request.tls.server_name}"\n}\n\n'
                                                'b.test {\n\trespond "bee"\n}\n')
    try:
        roots = roots_file(tmp, pebble)
        started = time.time()
        proc, servers, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
        try:
            took = wait_serving("a.test", pebble.tls_port, roots, 60)
            check(took is not None, "a.test served with a certificate from pebble (%.2fs from start)"
                  % (time.time() - started))
            rc, out, err = curl_https("a.test", pebble.tls_port, roots)
            check(rc == 0 and out == "hello a.test", "a.test answers over verified HTTPS: %r %s" % (out, err))
            check(wait_serving("b.test", pebble.tls_port, roots, 60) is not None, "b.test served too")
            rc, out, _ = curl_https("b.test", pebble.tls_port, roots)
            check(out == "bee", "b.test answers: %r" % out)
            leaf = peer_certificate(pebble.tls_port, "a.test", roots)
            sans = [v for k, v in leaf.get("subjectAltName", ()) if k == "DNS"]
            check(sans == ["a.test"], "a.test certificate names only a.test: %s" % sans)
            first_serial = leaf["serialNumber"]
            rc, out, _ = tls_pki.curl(["-si", "-H", "Host: a.test", "http://127.0.0.1:%d/x?y=1" % pebble.http_port])
            # As Caddy: no port in the Location when the site is on the configured https_port.
            check(out.startswith("HTTP/1.1 308") and "location: https://a.test/x?y=1" in out.lower(),
                  "HTTP->HTTPS redirect still works: %r" % out[:120])
        finally:
            lines = stop(proc, drain)
        obtained = msgs(lines, "certificate obtained successfully")
        check(sorted(e.get("identifier") for e in obtained) == ["a.test", "b.test"],
              "log: both certificates obtained (%d)" % len(obtained))
        check(any(msgs(lines, "trying to solve challenge")), "log: challenges logged")
        issuer = "127.0.0.1-%d-dir" % pebble.port
        key = os.path.join(storage, "certificates", issuer, "a.test", "a.test.key")
        crt = os.path.join(storage, "certificates", issuer, "a.test", "a.test.crt")
        check(os.path.exists(crt) and os.path.exists(key), "stored in Caddy's layout under %s" % issuer)
        if os.path.exists(key):
            check(os.stat(key).st_mode & 0o077 == 0, "private key not readable by others")
    finally:
        pebble.stop()

    # Restart with the CA gone: what storage holds is served at once.
    started = time.time()
    proc, servers, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        took = wait_serving("a.test", pebble.tls_port, roots, 10)
        check(took is not None, "after a restart without the CA, a.test served from storage (%.2fs)"
              % (time.time() - started))
        leaf = peer_certificate(pebble.tls_port, "a.test", roots)
        check(leaf["serialNumber"] == first_serial, "the same certificate (serial %s)" % leaf["serialNumber"])
    finally:
        lines = stop(proc, drain)
    check(len(msgs(lines, "loaded certificate from storage")) == 2, "log: both loaded from storage")
    check(not msgs(lines, "obtaining certificate"), "log: no new order")


def tls_alpn_only(binary, tmp):
    pebble = acme_pebble.Pebble(tmp)
    storage = os.path.join(tmp, "storage-alpn")
    cfg = write_caddyfile(tmp, pebble, storage, 'c.test {\n\ttls {\n\t\tissuer acme {\n'
                                                '\t\t\tdisable_http_challenge\n\t\t}\n\t}\n\trespond "alpn"\n}\n',
                          name="Caddyfile.alpn")
    try:
        roots = roots_file(tmp, pebble)
        proc, servers, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
        try:
            check(wait_serving("c.test", pebble.tls_port, roots, 60) is not None, "TLS-ALPN-01 only: c.test served")
            rc, out, _ = curl_https("c.test", pebble.tls_port, roots)
            check(out == "alpn", "c.test answers: %r" % out)
        finally:
            lines = stop(proc, drain)
        types = {e.get("challenge_type") for e in msgs(lines, "trying to solve challenge")}
        check(types == {"tls-alpn-01"}, "only tls-alpn-01 was tried: %s" % types)
    finally:
        pebble.stop()


def wildcard_without_dns(binary, tmp):
    """A public wildcard and no DNS provider: caddy 2.6.2 starts, serves the other names and
    logs the wildcard's failing orders (pebble offers only dns-01 for it); so does Gatehouse."""
    pebble = acme_pebble.Pebble(tmp)
    storage = os.path.join(tmp, "storage-wild")
    cfg = write_caddyfile(tmp, pebble, storage, 'w.test {\n\trespond "plain"\n}\n\n'
                                                '*.x.test {\n\trespond "wild"\n}\n', name="Caddyfile.wild")
    try:
        roots = roots_file(tmp, pebble)
        proc, servers, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
        try:
            check(wait_serving("w.test", pebble.tls_port, roots, 60) is not None, "wildcard without DNS: w.test served")
            hint = "a wildcard name needs the DNS challenge"
            deadline = time.time() + 30
            while time.time() < deadline and hint not in drain.text():
                time.sleep(0.1)
        finally:
            lines = stop(proc, drain)
        failed = [e for e in lines if hint in json.dumps(e)]
        check(failed and all(e.get("level") == "error" for e in failed) and "*.x.test" in json.dumps(failed[0]),
              "log: the wildcard's order failed with the hint: %s" % failed[:1])
    finally:
        pebble.stop()


def renewal(binary, tmp):
    pebble = acme_pebble.Pebble(tmp, validity=30)
    storage = os.path.join(tmp, "storage-renew")
    cfg = write_caddyfile(tmp, pebble, storage, 'd.test {\n\trespond "renew"\n}\n', name="Caddyfile.renew")
    try:
        roots = roots_file(tmp, pebble)
        proc, servers, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
        try:
            check(wait_serving("d.test", pebble.tls_port, roots, 60) is not None, "d.test served")
            serials = []
            deadline = time.time() + 60
            while time.time() < deadline and len(serials) < 2:
                try:
                    s = peer_certificate(pebble.tls_port, "d.test", roots)["serialNumber"]
                    if not serials or serials[-1] != s:
                        serials.append(s)
                except (OSError, ssl.SSLError):
                    pass
                time.sleep(0.5)
            check(len(serials) >= 2, "renewed while serving: serials %s" % serials)
        finally:
            lines = stop(proc, drain)
        check(any(msgs(lines, "certificate is due for renewal")), "log: renewal logged")
    finally:
        pebble.stop()


def main():
    binary = sys.argv[1]
    acme_pebble.require_pebble()
    if shutil.which("curl") is None:
        print("SKIP: curl not installed")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        obtain_and_restart(binary, tmp)
        tls_alpn_only(binary, tmp)
        wildcard_without_dns(binary, tmp)
        renewal(binary, tmp)
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
