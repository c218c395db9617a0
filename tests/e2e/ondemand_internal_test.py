#!/usr/bin/env python3
"""End-to-end: on-demand TLS with the local CA (`tls internal { on_demand }`, as Caddy), and
handshakes without SNI, in `gatehouse run`. No ACME CA is involved: certificates are signed
by the local CA at handshake time and verify against pki/authorities/local/root.crt.

 1. a.test: the first handshake pauses, the `ask` endpoint allows it, the local CA signs a
    certificate and the same handshake completes; the chain verifies against the local root.
    Five concurrent handshakes for c.test share one issuance. b.test (denied by `ask`) fails.
 2. No SNI: default_sni (d.test) stands in for the missing name, so a client without SNI gets
    d.test's certificate, obtained on demand (certmagic: SNI, else default_sni, else the
    local address, then fallback_sni).
 3. Reload (SIGUSR1, same config): a.test keeps its certificate (same leaf), no new
    issuance and no new `ask`; a new name still works after the reload.
 4. Restart: a.test is served from storage with the same leaf, without asking.
 5. A server without on-demand and default_sni, and no certificate for the local address:
    a client sending no SNI fails, with a log line saying why and naming default_sni /
    fallback_sni.
Loopback only; every wait is bounded. Usage: ondemand_internal_test.py <path-to-gatehouse>
"""
import concurrent.futures
import hashlib
import os
import signal
import subprocess
import ssl
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import ask_server  # noqa: E402
from harness import FAILURES, check  # noqa: E402
import tls_pki  # noqa: E402

ALLOWED = {"a.test", "c.test", "d.test", "e.test", "slow.test"}


def write_config(path, storage, https_port, ask_port):
    with open(path + ".tmp", "w") as f:
        f.write("{\n\thttp_port %d\n\thttps_port %d\n\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n"
                "\tadmin off\n\tskip_install_trust\n\ton_demand_tls {\n\t\task http://127.0.0.1:%d/check\n\t}\n"
                "\tdefault_sni d.test\n}\n\n" % (tls_pki.free_port(), https_port, storage, ask_port))
        f.write('https:// {\n\ttls internal {\n\t\ton_demand\n\t}\n\trespond "od {http.request.tls.server_name}"\n}\n')
    os.replace(path + ".tmp", path)


def write_fixed_config(path, storage, port):
    """One internal certificate, no on-demand, no default_sni."""
    with open(path, "w") as f:
        f.write("{\n\thttp_port %d\n\thttps_port %d\n\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n"
                "\tadmin off\n\tskip_install_trust\n}\n\nfixed.test {\n\ttls internal\n\trespond \"fixed\"\n}\n"
                % (tls_pki.free_port(), port, storage))


def curl(name, port, root, extra=()):
    start = time.time()
    rc, out, err = tls_pki.curl([*extra, "--cacert", root, "--resolve", "%s:%d:127.0.0.1" % (name, port),
                                 "https://%s:%d/" % (name, port)], timeout=20)
    return rc, out, err, time.time() - start


def leaf_fp(port, servername=None):
    """SHA-256 of the leaf served on 127.0.0.1:port (no SNI when servername is None)."""
    extra = ["-servername", servername] if servername else ["-noservername"]
    out = tls_pki.s_client(port, extra + ["-showcerts"], stdin=b"Q\n")
    blocks = out.split("-----BEGIN CERTIFICATE-----")[1:]
    if not blocks:
        return None, out
    pem = "-----BEGIN CERTIFICATE-----" + blocks[0].split("-----END CERTIFICATE-----")[0] + \
        "-----END CERTIFICATE-----\n"
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest(), out


def leaf_sans(s_client_out):
    """The SAN entries of the first certificate in an `openssl s_client -showcerts` output."""
    blocks = s_client_out.split("-----BEGIN CERTIFICATE-----")[1:]
    if not blocks:
        return []
    pem = "-----BEGIN CERTIFICATE-----" + blocks[0].split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    p = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName"], input=pem, capture_output=True,
                       text=True, timeout=10)
    return [n.strip() for line in p.stdout.splitlines()[1:] for n in line.split(",")]


def issued(lines, name):
    return [e for e in lines if e.get("msg") in ("certificate obtained successfully", "obtaining certificate")
            and e.get("identifier") == name]


def wait_log(drain, text, timeout, count=1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if drain.text().count(text) >= count:
            return True
        time.sleep(0.1)
    return False


def stop(proc, drain):
    rc, report, lines = acme_pebble.stop_server(proc, drain, 20)
    check(rc == 0, "clean exit (rc=%s)" % rc)
    check(report == "", "no sanitizer report")
    return lines


def first_run(binary, cfg, storage, https_port, ask):
    root = os.path.join(storage, "pki", "authorities", "local", "root.crt")
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        rc, out, err, took = curl("a.test", https_port, root)
        check(rc == 0 and out == "od a.test", "a.test: the first handshake waits for a certificate from the "
              "local CA and verifies against its root (%.2fs): %r %s" % (took, out, err.strip()))
        check(ask.asked.count("a.test") == 1, "a.test: ask was consulted once (%s)" % ask.asked)
        a_fp, _ = leaf_fp(https_port, "a.test")

        rc, out, err, took = curl("b.test", https_port, root)
        check(rc != 0 and took < 10, "b.test (denied): the handshake fails in %.2fs (rc %d)" % (took, rc))

        with concurrent.futures.ThreadPoolExecutor(5) as pool:
            results = list(pool.map(lambda _: curl("c.test", https_port, root), range(5)))
        check(all(r[0] == 0 and r[1] == "od c.test" for r in results),
              "c.test: five concurrent handshakes all succeed: %s" % [r[:2] for r in results])
        check(ask.asked.count("c.test") == 1, "c.test: one ask for five handshakes (%d)" % ask.asked.count("c.test"))

        # 2. No SNI: default_sni names the certificate obtained on demand.
        fp, out = leaf_fp(https_port)
        # The local CA's leaves carry their names in the SAN only (empty subject, as caddy 2.6.2).
        check(fp is not None and leaf_sans(out) == ["DNS:d.test"],
              "no SNI: default_sni d.test's certificate is obtained on demand and served: %s" % leaf_sans(out))
        check("d.test" in ask.asked, "no SNI: ask was consulted for d.test (%s)" % ask.asked)

        # 3. Reload with the same config: a.test keeps its certificate, nothing new is issued.
        before = len(issued(acme_pebble.parse_log(drain.text()), "a.test"))
        asked_before = ask.asked.count("a.test")
        proc.send_signal(signal.SIGUSR1)
        check(wait_log(drain, "serving reloaded configuration", 10), "reloaded (SIGUSR1)")
        rc, out, err, took = curl("a.test", https_port, root)
        fp_after, _ = leaf_fp(https_port, "a.test")
        check(rc == 0 and out == "od a.test" and fp_after == a_fp,
              "after reload: a.test is served with the same certificate (%.2fs)" % took)
        after = len(issued(acme_pebble.parse_log(drain.text()), "a.test"))
        check(after == before, "after reload: no new issuance for a.test (%d log lines before, %d after)"
              % (before, after))
        check(ask.asked.count("a.test") == asked_before, "after reload: ask not consulted again for a.test")
        rc, out, err, _ = curl("e.test", https_port, root)
        check(rc == 0 and out == "od e.test", "after reload: a new name is obtained on demand: %r %s"
              % (out, err.strip()))

        # An order in flight at a reload is waited for by the new config, not placed again:
        # the first handshake's ask takes 3 s, the reload and a second handshake come meanwhile.
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            # HTTP/1.1: an h2 connection whose handshake spans a reload loses its first request
            # to the engine's reload shutdown (curl: "Error in the HTTP2 framing layer"), a
            # separate engine issue; this test is about the certificate.
            first = pool.submit(curl, "slow.test", https_port, root, ("--http1.1",))
            time.sleep(0.8)
            proc.send_signal(signal.SIGUSR1)
            check(wait_log(drain, "serving reloaded configuration", 10, count=2), "reloaded again (SIGUSR1)")
            second = pool.submit(curl, "slow.test", https_port, root)
            r1, r2 = first.result(), second.result()
        check(r1[0] == 0 and r1[1] == "od slow.test", "in flight at the reload: the first handshake completes "
              "(%.2fs): %r %s" % (r1[3], r1[1], r1[2].strip()))
        check(r2[0] == 0 and r2[1] == "od slow.test", "after the reload: the second handshake gets the same "
              "certificate (%.2fs): %r %s" % (r2[3], r2[1], r2[2].strip()))
        check(ask.asked.count("slow.test") == 1, "slow.test: asked once across the reload (%d)"
              % ask.asked.count("slow.test"))
    finally:
        lines = stop(proc, drain)
    slow = [e for e in lines if e.get("msg") == "obtaining certificate" and e.get("identifier") == "slow.test"]
    check(len(slow) == 1, "slow.test: one issuance across the reload (%d)" % len(slow))
    c_issued = [e for e in lines if e.get("msg") == "certificate obtained successfully"
                and e.get("identifier") == "c.test"]
    check(len(c_issued) == 1, "c.test: one issuance for five handshakes (%d)" % len(c_issued))
    local = [e for e in lines if e.get("msg") == "obtaining certificate" and e.get("identifier") == "a.test"]
    check(local and str(local[0].get("ca", "")).startswith("internal:"),
          "log: a.test was signed by the local CA: %s" % local[:1])
    return a_fp


def second_run(binary, cfg, storage, https_port, ask, a_fp):
    root = os.path.join(storage, "pki", "authorities", "local", "root.crt")
    asked = len(ask.asked)
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        rc, out, err, _ = curl("a.test", https_port, root)
        fp, _ = leaf_fp(https_port, "a.test")
        check(rc == 0 and out == "od a.test" and fp == a_fp,
              "restart: a.test served from storage with the same certificate")
        check(len(ask.asked) == asked, "restart: no ask for a stored certificate (%s)" % ask.asked[asked:])
    finally:
        lines = stop(proc, drain)
    check(not issued(lines, "a.test"), "restart: nothing issued for a.test")


def third_run(binary, tmp, storage):
    """3. No SNI, no on-demand, no default_sni and no certificate for the local address."""
    port = tls_pki.free_port()
    cfg = os.path.join(tmp, "fixed.Caddyfile")
    write_fixed_config(cfg, storage, port)
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        fp, _ = leaf_fp(port, "fixed.test")
        check(fp is not None, "fixed.test: served with SNI")
        fp, _ = leaf_fp(port)
        check(fp is None, "no SNI and nothing to stand in: the handshake fails")
        check(wait_log(drain, "ClientHello without SNI", 5), "the failure is logged")
    finally:
        lines = stop(proc, drain)
    no_sni = [e for e in lines if e.get("logger") == "tls.handshake"]
    check(len(no_sni) == 1 and "default_sni" in no_sni[0].get("error", "")
          and "fallback_sni" in no_sni[0].get("error", "") and no_sni[0].get("remote_ip") == "127.0.0.1",
          "log: the no-SNI failure names default_sni and fallback_sni: %s" % no_sni[:1])


def main():
    binary = sys.argv[1]
    ask = ask_server.AskServer(ALLOWED, slow_seconds=3)  # slow.test stays in flight across a reload (3 s).
    try:
        with tempfile.TemporaryDirectory() as tmp:
            storage = os.path.join(tmp, "storage")
            https_port = tls_pki.free_port()
            cfg = os.path.join(tmp, "Caddyfile")
            write_config(cfg, storage, https_port, ask.port)
            a_fp = first_run(binary, cfg, storage, https_port, ask)
            second_run(binary, cfg, storage, https_port, ask, a_fp)
            third_run(binary, tmp, storage)
    finally:
        ask.stop()
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
