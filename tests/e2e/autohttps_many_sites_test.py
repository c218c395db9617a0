#!/usr/bin/env python3
"""End-to-end: 30 sites ordered at once from a slow, nonce-rejecting pebble.

Pebble with its VA sleeps on (a random pause of up to PEBBLE_VA_SLEEPTIME=5 s before each
validation) and PEBBLE_WFE_NONCEREJECT=30 (30 % of good nonces refused with badNonce).
Checked: all 30 names served with a verified certificate within a bound; one order per
name (every badNonce retried inside the order, none fails an attempt, no "will retry");
badNonce answers really came (pebble's log) and were absorbed; one account registration;
storage holds exactly crt/key/json per name and no lock; a restart orders nothing.
Prints the time to all served and the most orders in flight at once.
Loopback only; every wait is bounded. Usage: autohttps_many_sites_test.py <gatehouse>
"""
import os
import sys
import time

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import harness  # noqa: E402
from harness import check  # noqa: E402

NAMES = ["s%02d.test" % i for i in range(30)]


def wait_all(port, roots, timeout):
    deadline = time.time() + timeout
    pending = set(NAMES)
    while pending and time.time() < deadline:
        pending = {n for n in pending if not acme_pebble.handshake_verifies(n, port, roots)}
        if pending:
            time.sleep(0.3)
    return pending


def max_in_flight(lines):
    events = []
    for e in lines:
        if e.get("msg") == "obtaining certificate":
            events.append((e["ts"], 1))
        elif e.get("msg") in ("certificate obtained successfully", "could not get certificate from issuer"):
            events.append((e["ts"], -1))
    most = now = 0
    for _, d in sorted(events):
        now += d
        most = max(most, now)
    return most


def scenario(binary, tmp, pebble):
    roots = os.path.join(tmp, "roots.pem")
    with open(roots, "w") as f:
        f.write(pebble.management("/roots/0"))
    storage = os.path.join(tmp, "storage")
    cfg = os.path.join(tmp, "Caddyfile")
    with open(cfg, "w") as f:
        f.write("{\n\tadmin off\n\temail a@b.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n"
                "\thttps_port %d\n\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n}\n\n"
                % (pebble.directory, pebble.cert, pebble.http_port, pebble.tls_port, storage))
        for n in NAMES:
            f.write('%s {\n\trespond "%s"\n}\n' % (n, n))
    started = time.time()
    proc, _, drain, _ = harness.start(binary, cfg, adapter="caddyfile")
    try:
        pending = wait_all(pebble.tls_port, roots, 90)
        took = time.time() - started
        check(not pending, "all %d names served in %.1f s (missing: %s)" % (len(NAMES), took, sorted(pending)))
    finally:
        harness.stop(proc, drain)
    lines = acme_pebble.parse_log(drain.text())
    msgs = acme_pebble.messages(lines)
    orders = msgs.count("obtaining certificate")
    check(orders == len(NAMES), "one order per name: %d orders" % orders)
    check(msgs.count("certificate obtained successfully") == len(NAMES), "each obtained once")
    check("will retry" not in msgs, "no attempt failed")
    check(msgs.count("new ACME account registered") == 1, "one account registration")
    print("most orders in flight at once: %d" % max_in_flight(lines), flush=True)
    # Pebble logs every request, not its badNonce answers: 30 orders took more newOrder
    # POSTs than 30 only through nonce retries (all 30 accepted at once: 0.7^30, 2e-5).
    with open(os.path.join(tmp, "pebble.log")) as f:
        posts = f.read().count("POST /order-plz")
    check(posts > len(NAMES), "badNonce retried: %d newOrder POSTs for %d orders" % (posts, orders))
    files = sorted(f for _, _, fs in os.walk(os.path.join(storage, "certificates")) for f in fs)
    check(files == sorted("%s.%s" % (n, ext) for n in NAMES for ext in ("crt", "json", "key")),
          "storage: crt/json/key per name, nothing else (%d files)" % len(files))
    locks = os.listdir(os.path.join(storage, "locks")) if os.path.isdir(os.path.join(storage, "locks")) else []
    check(locks == [], "no lock left: %s" % locks)
    # A restart serves all 30 from storage.
    proc, _, drain, _ = harness.start(binary, cfg, adapter="caddyfile")
    try:
        pending = wait_all(pebble.tls_port, roots, 10)
        check(not pending, "after a restart all served from storage (missing: %s)" % sorted(pending))
    finally:
        harness.stop(proc, drain)
    check("obtaining certificate" not in acme_pebble.messages(acme_pebble.parse_log(drain.text())),
          "the restart ordered nothing")


if __name__ == "__main__":
    sys.exit(acme_pebble.run_with_pebble(scenario, nosleep=False, nonce_reject=30,
                                         env={"PEBBLE_VA_SLEEPTIME": "5"}))
