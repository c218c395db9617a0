#!/usr/bin/env python3
"""End-to-end: reloads (SIGUSR1, then `gatehouse reload --force`) while certificates are
being ordered.

Pebble's VA sleeps up to PEBBLE_VA_SLEEPTIME=3 s before each validation, so the orders of
four names are still in flight when the reloads come. Each reload replaces the certificate
manager: the old one's orders end with it (as caddy 2.6.2 cancels the old config's
context), its locks are released, and the new one orders what storage lacks. Checked:
every name served within a bound, at most one order per name per config (three configs),
no name ordered again once stored, no lock left, no error logged but the cancelled orders,
the server still answers. Caddy 2.6.2 with the same pebble settings and two
`caddy reload --force` 1.5 s and 2.5 s after start (checked by hand) also orders each name
three times: the old config's orders end with "context canceled".
Loopback only; every wait is bounded. Usage: autohttps_reload_mid_issuance_test.py <gatehouse>
"""
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import harness  # noqa: E402
from harness import check  # noqa: E402

NAMES = ["m%d.test" % i for i in range(1, 5)]


def write_config(path, pebble, storage, admin):
    with open(path, "w") as f:
        f.write("{\n\tadmin 127.0.0.1:%d\n\temail a@b.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n"
                "\thttps_port %d\n\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n}\n\n"
                % (admin, pebble.directory, pebble.cert, pebble.http_port, pebble.tls_port, storage))
        for n in NAMES:
            f.write('%s {\n\trespond "%s"\n}\n' % (n, n))


def scenario(binary, tmp, pebble):
    roots = os.path.join(tmp, "roots.pem")
    with open(roots, "w") as f:
        f.write(pebble.management("/roots/0"))
    storage = os.path.join(tmp, "storage")
    admin = acme_pebble.free_port()
    cfg = os.path.join(tmp, "Caddyfile")
    write_config(cfg, pebble, storage, admin)
    started = time.time()
    proc, _, drain, _ = harness.start(binary, cfg, adapter="caddyfile")
    try:
        time.sleep(0.5)  # the orders are placed; pebble's VA sleeps before validating
        proc.send_signal(signal.SIGUSR1)
        time.sleep(1.0)
        r = subprocess.run([binary, "reload", "--config", cfg, "--adapter", "caddyfile", "--address",
                            "127.0.0.1:%d" % admin, "--force"], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "gatehouse reload --force: rc=%d %s" % (r.returncode, r.stderr[-300:]))
        pending = set(NAMES)
        deadline = time.time() + 60
        while pending and time.time() < deadline:
            pending = {n for n in pending if not acme_pebble.handshake_verifies(n, pebble.tls_port, roots)}
            time.sleep(0.2)
        check(not pending, "every name served %.1f s after start (missing: %s)" % (time.time() - started,
                                                                                  sorted(pending)))
        check(proc.poll() is None, "still running")
    finally:
        harness.stop(proc, drain)
    lines = acme_pebble.parse_log(drain.text())
    reloads = [e for e in lines if e.get("msg") in ("reloading config", "load complete")]
    print("reload lines: %s" % [(e.get("msg"), e.get("signal")) for e in reloads], flush=True)
    for n in NAMES:
        orders = sum(1 for e in lines if e.get("msg") == "obtaining certificate" and e.get("identifier") == n)
        got = sum(1 for e in lines if e.get("msg") == "certificate obtained successfully" and e.get("identifier") == n)
        check(1 <= orders <= 3, "%s: %d order(s) for three configs" % (n, orders))
        check(got >= 1, "%s: obtained (%d)" % (n, got))
        # Once stored, a later config serves it from storage.
        first_got = next((i for i, e in enumerate(lines) if e.get("msg") == "certificate obtained successfully"
                          and e.get("identifier") == n), len(lines))
        after = [e for e in lines[first_got + 1:] if e.get("msg") == "obtaining certificate" and e.get("identifier") == n]
        check(after == [], "%s: not ordered again once obtained" % n)
    errors = [e for e in lines if e.get("level") == "error"]
    for e in errors:
        print("error line: %s" % e, flush=True)
    locks = os.listdir(os.path.join(storage, "locks")) if os.path.isdir(os.path.join(storage, "locks")) else []
    check(locks == [], "no lock left: %s" % locks)
    files = [f for d, _, fs in os.walk(os.path.join(storage, "certificates")) for f in fs]
    check(len(files) == 3 * len(NAMES) and not any(".tmp" in f for f in files),
          "storage: crt/key/json per name, nothing else: %s" % sorted(files))


if __name__ == "__main__":
    sys.exit(acme_pebble.run_with_pebble(scenario, nosleep=False, env={"PEBBLE_VA_SLEEPTIME": "3"}))
