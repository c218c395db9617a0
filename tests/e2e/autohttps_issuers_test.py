#!/usr/bin/env python3
"""End-to-end: issuer lists, key types and shutdown of automatic HTTPS in `gatehouse run`,
against Debian's pebble (PEBBLE_VA_NOSLEEP=1, default 5% nonce rejection).

 1. Issuer fallback (`cert_issuer acme` twice): the first CA's port is closed, the second is
    pebble; the certificate comes from pebble in the same attempt and is stored under the
    second issuer; the log names the failing CA, its error and the next CA. `key_type p384`.
 2. `tls { issuer acme {dir <broken>} issuer internal }` with `key_type rsa2048`: the
    local CA signs after the ACME CA fails, chained to the local root.
 3. key_type rsa2048 and ed25519 from pebble (ed25519 only if pebble accepts it; said so).
 4. Every issuer failing: the CA's error and the next attempt (backoff) are logged.
 5. SIGTERM while the only CA accepts connections and never answers: the process exits
    within its grace period instead of waiting for curl's timeouts.
Loopback only; every wait is bounded. Usage: autohttps_issuers_test.py <path-to-gatehouse>
"""
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import tls_pki  # noqa: E402
import ports  # noqa: E402

FAILURES = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def closed_port():
    return ports.free_port()  # nothing listens there: connections are refused at once


def write_config(path, pebble, storage, globals_, sites):
    with open(path, "w") as f:
        f.write("{\n\temail a@b.test\n\thttp_port %d\n\thttps_port %d\n\tdefault_bind 127.0.0.1\n"
                "\tstorage file_system %s\n\tadmin off\n%s}\n\n%s"
                % (pebble.http_port, pebble.tls_port, storage, globals_, sites))
    return path


def leaf_der(port, name, cafile):
    """The served leaf (DER), verified against `cafile` and the name; None until served."""
    ctx = ssl.create_default_context(cafile=cafile)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            with ctx.wrap_socket(sock, server_hostname=name) as tls:
                return tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        return None


def wait_leaf(port, name, cafile, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        der = leaf_der(port, name, cafile)
        if der:
            return der
        time.sleep(0.2)
    return None


def cert_text(der):
    p = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-text"], input=der,
                       capture_output=True, timeout=10)
    return p.stdout.decode()


def stop(proc, drain, limit=20):
    start = time.time()
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        rc = None
    took = time.time() - start
    check(drain.finish() == "", "no sanitizer report")
    return rc, took, acme_pebble.parse_log(drain.text())


def msgs(lines, msg):
    return [e for e in lines if e.get("msg") == msg]


def roots_of(tmp, pebble):
    path = os.path.join(tmp, "pebble-roots.pem")
    with open(path, "w") as f:
        f.write(pebble.management("/roots/0"))
    return path


def acme_fallback(binary, tmp, pebble, roots):
    broken = "https://127.0.0.1:%d/dir" % closed_port()
    storage = os.path.join(tmp, "storage-fallback")
    cfg = write_config(os.path.join(tmp, "Caddyfile.fallback"), pebble, storage,
                       "\tcert_issuer acme {\n\t\tdir %s\n\t}\n"
                       "\tcert_issuer acme {\n\t\tdir %s\n\t\ttrusted_roots %s\n\t}\n\tkey_type p384\n"
                       % (broken, pebble.directory, pebble.cert),
                       'f.test {\n\trespond "fallback"\n}\n')
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        der = wait_leaf(pebble.tls_port, "f.test", roots)
        check(der is not None, "fallback: f.test served with pebble's certificate after the first CA failed")
        if der:
            text = cert_text(der)
            check("secp384r1" in text or "P-384" in text, "key_type p384: the leaf key is P-384")
    finally:
        rc, _, lines = stop(proc, drain)
    check(rc == 0, "fallback: clean exit (rc=%s)" % rc)
    nxt = msgs(lines, "could not get certificate from issuer; trying the next one")
    check(len(nxt) >= 1 and nxt[0].get("ca") == broken and nxt[0].get("next_ca") == pebble.directory
          and "error" in nxt[0], "log: the failing CA, its error and the next CA: %s" % (nxt[:1],))
    check(not msgs(lines, "will retry"), "log: no retry needed (the second issuer succeeded in the same attempt)")
    pebble_key = "127.0.0.1-%d-dir" % pebble.port
    crt = os.path.join(storage, "certificates", pebble_key, "f.test", "f.test.crt")
    check(os.path.exists(crt), "stored under the issuer that issued it (%s)" % pebble_key)

    # Restarted: the certificate stored under the second issuer is found and served, no order.
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        check(wait_leaf(pebble.tls_port, "f.test", roots, timeout=5) is not None,
              "restart: the certificate stored by the second issuer is served")
    finally:
        _, _, lines = stop(proc, drain)
    check(len(msgs(lines, "loaded certificate from storage")) == 1 and not msgs(lines, "obtaining certificate"),
          "log: loaded from storage, no new order")


def internal_fallback(binary, tmp, pebble):
    broken = "https://127.0.0.1:%d/dir" % closed_port()
    storage = os.path.join(tmp, "storage-internal")
    cfg = write_config(os.path.join(tmp, "Caddyfile.internal"), pebble, storage, "",
                       'i.test {\n\ttls {\n\t\tissuer acme {\n\t\t\tdir %s\n\t\t}\n\t\tissuer internal\n'
                       '\t\tkey_type rsa2048\n\t}\n\trespond "internal"\n}\n' % broken)
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        root = os.path.join(storage, "pki", "authorities", "local", "root.crt")
        deadline = time.time() + 30
        while time.time() < deadline and not os.path.exists(root):
            time.sleep(0.1)
        der = wait_leaf(pebble.tls_port, "i.test", root, timeout=30) if os.path.exists(root) else None
        check(der is not None, "acme then internal: i.test served, chained to the local CA's root")
        if der:
            check("Public-Key: (2048 bit)" in cert_text(der), "key_type rsa2048 for the local issuer too")
    finally:
        rc, _, lines = stop(proc, drain)
    check(rc == 0, "internal fallback: clean exit (rc=%s)" % rc)
    got = msgs(lines, "certificate obtained successfully")
    check(len(got) == 1 and got[0].get("issuer") == "local", "log: obtained from the local issuer: %s" % got)


def key_types(binary, tmp, pebble, roots):
    storage = os.path.join(tmp, "storage-keys")
    cfg = write_config(os.path.join(tmp, "Caddyfile.keys"), pebble, storage,
                       "\tacme_ca %s\n\tacme_ca_root %s\n" % (pebble.directory, pebble.cert),
                       'rsa.test {\n\ttls {\n\t\tkey_type rsa2048\n\t}\n\trespond "rsa"\n}\n'
                       'ed.test {\n\ttls {\n\t\tkey_type ed25519\n\t}\n\trespond "ed"\n}\n')
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        der = wait_leaf(pebble.tls_port, "rsa.test", roots)
        check(der is not None and "Public-Key: (2048 bit)" in cert_text(der), "key_type rsa2048 from pebble")
        ctx_ok = wait_leaf(pebble.tls_port, "ed.test", roots, timeout=20)
        if ctx_ok:
            check("ED25519" in cert_text(ctx_ok), "key_type ed25519 from pebble")
        else:
            print("note: ed25519 certificate not served (pebble or the TLS client refused it)", flush=True)
    finally:
        rc, _, lines = stop(proc, drain)
    check(rc == 0, "key types: clean exit (rc=%s)" % rc)
    for e in msgs(lines, "could not get certificate from issuer"):
        print("note: %s" % e, flush=True)


def retry_logged(binary, tmp, pebble):
    """Every issuer fails: the failure, the CA's error and the next attempt's time are logged."""
    broken = "https://127.0.0.1:%d/dir" % closed_port()
    storage = os.path.join(tmp, "storage-retry")
    cfg = write_config(os.path.join(tmp, "Caddyfile.retry"), pebble, storage, "\tacme_ca %s\n" % broken,
                       'x.test {\n\trespond "x"\n}\n')
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    deadline = time.time() + 10
    while time.time() < deadline and '"will retry"' not in drain.text():
        time.sleep(0.1)
    rc, _, lines = stop(proc, drain)
    check(rc == 0, "retry: clean exit (rc=%s)" % rc)
    err = msgs(lines, "could not get certificate from issuer")
    retry = msgs(lines, "will retry")
    check(len(err) == 1 and err[0].get("ca") == broken and "Couldn't connect" in err[0].get("error", ""),
          "log: the failing CA and its error: %s" % err[:1])
    check(len(retry) == 1 and retry[0].get("retrying_in") == 60 and retry[0].get("attempt") == 1
          and retry[0].get("retry_at") and retry[0].get("still_serving") is False,
          "log: the next attempt in 60 s (first backoff step) and when: %s" % retry[:1])


def shutdown_in_flight(binary, tmp, pebble):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel accepts connections; nobody ever answers
    ca = "https://127.0.0.1:%d/dir" % silent.getsockname()[1]
    storage = os.path.join(tmp, "storage-silent")
    cfg = write_config(os.path.join(tmp, "Caddyfile.silent"), pebble, storage,
                       "\tacme_ca %s\n\tgrace_period 2s\n" % ca, 's.test {\n\trespond "s"\n}\n')
    try:
        proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
        deadline = time.time() + 10
        while time.time() < deadline and '"obtaining certificate"' not in drain.text():
            time.sleep(0.1)
        time.sleep(1.0)  # the directory request is now waiting on the silent CA
        check('"obtaining certificate"' in drain.text(), "shutdown: an order is in flight")
        rc, took, _ = stop(proc, drain, limit=30)
        # without the grace period the stop would wait for the silent CA (30 s and more)
        check(rc == 0 and took < 8.0,
              "SIGTERM during an in-flight order: exit %s within the 2 s grace period (+margin): %.2fs" % (rc, took))
    finally:
        silent.close()


def main():
    binary = sys.argv[1]
    acme_pebble.require_pebble()
    with tempfile.TemporaryDirectory() as tmp:
        pebble = acme_pebble.Pebble(tmp)
        try:
            roots = roots_of(tmp, pebble)
            acme_fallback(binary, tmp, pebble, roots)
            internal_fallback(binary, tmp, pebble)
            key_types(binary, tmp, pebble, roots)
            retry_logged(binary, tmp, pebble)
            shutdown_in_flight(binary, tmp, pebble)
        finally:
            pebble.stop()
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
