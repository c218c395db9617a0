#!/usr/bin/env python3
"""End-to-end: the CA forgets the ACME account while `gatehouse run` is up.

Pebble keeps accounts in memory: restarted (restart_ca: same ports and directory URL, new
roots, no accounts), it answers the running server's next order with accountDoesNotExist.
Caddy 2.6.2 (certmagic 0.17) keeps signing with the dead account: "will retry" every
backoff step and the certificate expires (checked by hand against /usr/bin/caddy with this
setup; its stored account has status "valid", so it never registers again). Gatehouse looks
the stored key up again at once, registers it anew (one registration for both names renewing
together) and renews within the same attempt.

Pebble issues 20 s certificates; renewal_window_ratio 0.5 and renew_interval 1s renew each
about 10 s after issuance. Loopback only; every wait is bounded.
Usage: autohttps_ca_restart_test.py <path-to-gatehouse>
"""
import os
import socket
import ssl
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import harness  # noqa: E402
from harness import check  # noqa: E402

NAMES = ("a.test", "b.test")


def verified(port, name, roots):
    """The served leaf's serial when it verifies against `roots`, else None."""
    ctx = ssl.create_default_context(cafile=roots)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            with ctx.wrap_socket(sock, server_hostname=name) as tls:
                return tls.getpeercert()["serialNumber"]
    except (OSError, ssl.SSLError):
        return None


def wait_all(port, roots, timeout):
    deadline = time.time() + timeout
    pending = set(NAMES)
    while pending and time.time() < deadline:
        pending = {n for n in pending if verified(port, n, roots) is None}
        if pending:
            time.sleep(0.2)
    return pending


def scenario(binary, tmp, pebble):
    storage = os.path.join(tmp, "storage")
    cfg = os.path.join(tmp, "Caddyfile")
    sites = "".join('%s {\n\trespond "%s"\n}\n' % (n, n) for n in NAMES)
    with open(cfg, "w") as f:
        f.write("{\n\temail a@b.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n\thttps_port %d\n"
                "\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n\tadmin off\n"
                "\trenewal_window_ratio 0.5\n\trenew_interval 1s\n}\n\n%s"
                % (pebble.directory, pebble.cert, pebble.http_port, pebble.tls_port, storage, sites))
    roots0 = os.path.join(tmp, "roots0.pem")
    with open(roots0, "w") as f:
        f.write(pebble.management("/roots/0"))
    proc, _, drain, _ = harness.start(binary, cfg, adapter="caddyfile")
    try:
        pending = wait_all(pebble.tls_port, roots0, 30)
        check(not pending, "both names served with the first pebble's certificates (missing: %s)" % sorted(pending))
        restarted = time.time()
        pebble.restart_ca()
        roots1 = os.path.join(tmp, "roots1.pem")
        with open(roots1, "w") as f:
            f.write(pebble.management("/roots/0"))
        # The renewal is due about 10 s after issuance; a backoff would be 60 s.
        pending = wait_all(pebble.tls_port, roots1, 40)
        check(not pending, "both names renewed from the restarted pebble in %.1f s (missing: %s)"
              % (time.time() - restarted, sorted(pending)))
    finally:
        harness.stop(proc, drain)
    lines = acme_pebble.parse_log(drain.text())
    msgs = acme_pebble.messages(lines)
    forgot = [e for e in lines if e.get("msg") == "the CA no longer knows the ACME account; looking it up again"]
    check(len(forgot) == 1 and forgot[0].get("ca") == pebble.directory,
          "the forgotten account is logged once, naming the CA (%d)" % len(forgot))
    check(msgs.count("stored ACME account unknown to the CA; registering") == 1,
          "the stored key is looked up, unknown, once")
    check(msgs.count("new ACME account registered") == 2,
          "two registrations in all: at start and after the restart (%d)" % msgs.count("new ACME account registered"))
    renewed = {e.get("identifier") for e in lines if e.get("msg") == "certificate renewed successfully"}
    check(renewed >= set(NAMES), "both renewals logged: %s" % sorted(renewed))
    failed = [e for e in lines if e.get("level") == "error" and "accountDoesNotExist" in str(e.get("error", ""))]
    check(not failed, "no attempt failed with accountDoesNotExist (%d)" % len(failed))
    users = os.path.join(storage, "acme", os.listdir(os.path.join(storage, "acme"))[0], "users")
    keys = [f for _, _, files in os.walk(users) for f in files if f.endswith(".key")]
    check(len(keys) == 1, "one account key in storage, reused for the new registration: %s" % keys)


if __name__ == "__main__":
    sys.exit(acme_pebble.run_with_pebble(scenario, validity=20))
