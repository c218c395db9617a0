#!/usr/bin/env python3
"""End-to-end: on-demand TLS in `gatehouse run` (`tls { on_demand }`, global `on_demand_tls`
with `ask`, `interval`, `burst`, as Caddy 2.6) against Debian's pebble and
pebble-challtestsrv (every name resolves to 127.0.0.1), with a small `ask` endpoint here
that allows a.test, c.test, d.test, e.test and x.wild.test and denies everything else.

 1. a.test: the first handshake pauses, the ask endpoint is consulted, the certificate is
    obtained (TLS-ALPN-01 on the server's own https_port) and the same handshake completes;
    curl verifies the chain against pebble's root.
 2. b.test (denied): the handshake fails with an alert, promptly; no order.
 3. Five concurrent handshakes for c.test: all succeed, one ask, one order.
 4. burst 4 per minute: a.test, c.test, x.wild.test and d.test use the reservations (denied
    names use none); e.test is refused by the rate limit.
 5. Restart with pebble stopped: a.test is served from storage without asking; a new
    allowed name fails cleanly (the CA is gone) and the server keeps serving.
 6. No `ask` and no rate limit: the server warns as Caddy 2.6 does.
 7. 30-second certificates, an `http://` site on http_port (so HTTP-01 is used): a
    certificate obtained on demand is renewed while serving; an `ask` endpoint that does
    not answer within 10 s denies the name (the handshake fails, bounded).
Loopback only; every wait is bounded. Usage: ondemand_pebble_test.py <path-to-gatehouse>
"""
import os
import shutil
import socket
import ssl
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import ask_server  # noqa: E402
from harness import FAILURES, check  # noqa: E402
import tls_pki  # noqa: E402

ALLOWED = {"a.test", "c.test", "d.test", "e.test", "f.test", "r.test", "x.wild.test"}


def write_caddyfile(tmp, pebble, storage, on_demand_tls, name="Caddyfile", extra=""):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("{\n\temail a@b.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n\thttps_port %d\n"
                "\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n\tadmin off\n%s}\n\n"
                % (pebble.directory, pebble.cert, pebble.http_port, pebble.tls_port, storage, on_demand_tls))
        f.write('*.wild.test {\n\ttls {\n\t\ton_demand\n\t}\n\trespond "wild {http.request.tls.server_name}"\n}\n\n')
        f.write('https:// {\n\ttls {\n\t\ton_demand\n\t}\n\trespond "od {http.request.tls.server_name}"\n}\n')
        f.write(extra)
    return path


def roots_file(tmp, pebble):
    path = os.path.join(tmp, "pebble-roots.pem")
    with open(path, "w") as f:
        f.write(pebble.management("/roots/0"))
    return path


def curl_https(name, port, roots, timeout=30, extra=()):
    start = time.time()
    rc, out, err = tls_pki.curl([*extra, "--cacert", roots, "--resolve", "%s:%d:127.0.0.1" % (name, port),
                                 "https://%s:%d/" % (name, port)], timeout=timeout)
    return rc, out, err, time.time() - start


def stop(proc, drain):
    rc, report, lines = acme_pebble.stop_server(proc, drain, 20)
    check(rc == 0, "clean exit (rc=%s)" % rc)
    check(report == "", "no sanitizer report")
    return lines


def orders_for(lines, name):
    return [e for e in lines if e.get("msg") == "obtaining certificate" and e.get("identifier") == name]


def first_run(binary, tmp, pebble, ask, storage, roots):
    cfg = write_caddyfile(tmp, pebble, storage, "\ton_demand_tls {\n\t\task http://127.0.0.1:%d/check\n"
                          "\t\tinterval 1m\n\t\tburst 4\n\t}\n" % ask.port)
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        rc, out, err, took = curl_https("a.test", pebble.tls_port, roots)
        check(rc == 0 and out == "od a.test", "a.test: first handshake waits for a fresh certificate "
              "(%.2fs): %r %s" % (took, out, err.strip()))
        check(ask.asked.count("a.test") == 1, "a.test: the ask endpoint was asked once (%s)" % ask.asked)
        rc, out, _, _ = curl_https("a.test", pebble.tls_port, roots)
        check(rc == 0 and out == "od a.test", "a.test: served again without asking")

        rc, out, err, took = curl_https("b.test", pebble.tls_port, roots)
        check(rc != 0 and took < 10, "b.test (denied): handshake fails in %.2fs (curl rc %d: %s)"
              % (took, rc, err.strip()[:100]))
        check("b.test" in ask.asked, "b.test: the ask endpoint was asked")

        results = [None] * 5

        def one(i):
            results[i] = curl_https("c.test", pebble.tls_port, roots)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        ok = [r for r in results if r and r[0] == 0 and r[1] == "od c.test"]
        check(len(ok) == 5, "c.test: 5 concurrent handshakes all served (%d ok: %s)"
              % (len(ok), [(r[0], r[2].strip()[:60]) for r in results if r and r[0] != 0]))
        check(ask.asked.count("c.test") == 1, "c.test: one ask for 5 handshakes (%d)" % ask.asked.count("c.test"))

        rc, out, err, _ = curl_https("x.wild.test", pebble.tls_port, roots)
        check(rc == 0 and out == "wild x.wild.test", "x.wild.test: the *.wild.test site gets its own "
              "certificate on demand: %r %s" % (out, err.strip()[:100]))
        rc, out, _, _ = curl_https("d.test", pebble.tls_port, roots, extra=("--tls-max", "1.2", "--http1.1"))
        check(rc == 0 and out == "od d.test", "d.test: fourth reservation served (TLS 1.2, HTTP/1.1)")
        rc, out, err, took = curl_https("e.test", pebble.tls_port, roots)
        check(rc != 0 and took < 10, "e.test: refused by the rate limit (burst 4) in %.2fs" % took)
        check(proc.poll() is None, "server still running")
    finally:
        lines = stop(proc, drain)
    check(len(orders_for(lines, "c.test")) == 1, "log: one order for c.test (%d)" % len(orders_for(lines, "c.test")))
    check(not orders_for(lines, "b.test"), "log: no order for the denied b.test")
    check(not orders_for(lines, "e.test"), "log: no order for the rate-limited e.test")
    check(any(e.get("msg") == "on-demand rate limit exceeded" for e in lines), "log: rate limit exceeded")
    obtained = sorted(e.get("identifier") for e in lines if e.get("msg") == "certificate obtained successfully")
    check(obtained == ["a.test", "c.test", "d.test", "x.wild.test"], "log: obtained %s" % obtained)
    issuer = "127.0.0.1-%d-dir" % pebble.port
    crt = os.path.join(storage, "certificates", issuer, "c.test", "c.test.crt")
    check(os.path.exists(crt), "c.test stored in Caddy's layout")
    return cfg


def restart_without_ca(binary, ask, cfg, port, roots):
    asked_before = list(ask.asked)
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        rc, out, err, took = curl_https("a.test", port, roots)
        check(rc == 0 and out == "od a.test", "restart without the CA: a.test served from storage (%.2fs) %s"
              % (took, err.strip()[:100]))
        check(ask.asked[len(asked_before):].count("a.test") == 0, "a.test: storage is used before asking")
        rc, out, err, took = curl_https("f.test", port, roots)
        check(rc != 0 and took < 25, "f.test (allowed, CA gone): handshake fails cleanly in %.2fs" % took)
        rc, out, _, _ = curl_https("c.test", port, roots)
        check(rc == 0 and out == "od c.test", "c.test still served after the failure")
    finally:
        lines = stop(proc, drain)
    check(any(e.get("msg") == "loaded certificate from storage" and e.get("identifier") == "a.test"
              for e in lines), "log: a.test loaded from storage")
    check(any(e.get("msg") == "could not get certificate from issuer" and e.get("identifier") == "f.test"
              for e in lines), "log: f.test failure logged")


def unprotected_warning(binary, tmp, pebble, storage):
    cfg = write_caddyfile(tmp, pebble, storage, "", name="Caddyfile.open")
    proc, _, drain, seen = tls_pki.start(binary, cfg, adapter="caddyfile")
    stop(proc, drain)
    check(any("YOUR SERVER MAY BE VULNERABLE TO ABUSE" in line for line in seen),
          "no ask and no rate limit: Caddy 2.6's warning is logged")


def renewal_and_http01(binary, tmp, ask):
    pebble = acme_pebble.Pebble(tmp, validity=30)
    storage = os.path.join(tmp, "storage-renew")
    cfg = write_caddyfile(tmp, pebble, storage, "\ton_demand_tls {\n\t\task http://127.0.0.1:%d/check\n\t}\n"
                          % ask.port, name="Caddyfile.renew", extra='\nhttp:// {\n\trespond "plain"\n}\n')
    try:
        roots = roots_file(tmp, pebble)
        proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
        try:
            rc, out, err, took = curl_https("r.test", pebble.tls_port, roots)
            check(rc == 0 and out == "od r.test", "r.test obtained on demand (%.2fs) %s" % (took, err.strip()[:100]))
            serials = []
            deadline = time.time() + 60
            while time.time() < deadline and len(serials) < 2:
                try:
                    s = peer_serial(pebble.tls_port, "r.test", roots)
                    if not serials or serials[-1] != s:
                        serials.append(s)
                except (OSError, ssl.SSLError):
                    pass
                time.sleep(0.5)
            check(len(serials) >= 2, "r.test renewed while serving: serials %s" % serials)
            rc, out, err, took = curl_https("slow.test", pebble.tls_port, roots)
            check(rc != 0 and 9 < took < 20, "slow.test: an ask endpoint that does not answer denies the "
                  "name after its 10 s timeout (%.2fs, curl rc %d)" % (took, rc))
        finally:
            lines = stop(proc, drain)
        types = {e.get("challenge_type") for e in lines if e.get("msg") == "trying to solve challenge"}
        check("http-01" in types, "HTTP-01 answered on http_port for an on-demand name: %s" % types)
        check(any(e.get("msg") == "certificate is due for renewal" and e.get("identifier") == "r.test"
                  for e in lines), "log: r.test renewal logged")
        check(any(e.get("msg") == "request to 'ask' endpoint failed" for e in lines), "log: ask failure logged")
    finally:
        pebble.stop()


def peer_serial(port, name, roots):
    ctx = ssl.create_default_context(cafile=roots)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        with ctx.wrap_socket(sock, server_hostname=name) as tls:
            return tls.getpeercert()["serialNumber"]


def main():
    binary = sys.argv[1]
    acme_pebble.require_pebble()
    if shutil.which("curl") is None:
        print("SKIP: curl not installed")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        ask = ask_server.AskServer(ALLOWED, slow_seconds=12)  # slow.test never gets an answer in time (12 s).
        pebble = acme_pebble.Pebble(tmp)
        storage = os.path.join(tmp, "storage")
        try:
            roots = roots_file(tmp, pebble)
            cfg = first_run(binary, tmp, pebble, ask, storage, roots)
            unprotected_warning(binary, tmp, pebble, os.path.join(tmp, "storage-open"))
        finally:
            pebble.stop()
        try:
            restart_without_ca(binary, ask, cfg, pebble.tls_port, roots)
            renewal_and_http01(binary, tmp, ask)
        finally:
            ask.stop()
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
