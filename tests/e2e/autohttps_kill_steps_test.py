#!/usr/bin/env python3
"""End-to-end: `gatehouse run` killed with SIGKILL at each step of an issuance, restarted.

Pebble sits behind tests/e2e/acme_fault_proxy.py, which holds one chosen request of the
order (a "delay" rule) so the kill lands at a known step:
  k1 account   the account is registered, the newOrder is in flight
  k2 order     the order exists, its authorization is being fetched
  k3 challenge the challenge was accepted and validated, the authorization poll is held
  k4 finalize  the CSR is sent (finalize held)
  k5 download  the CA has issued the certificate, its download is held
After each kill: the dead process's issuance lock is left and no file of that name is in
storage; the restarted server (config: every name so far) serves the names obtained before
from storage without ordering them, takes over the lock once stale (certmagic's 10 s) and
serves the new name; one ACME account in all (registered once, then reused).
Then caddy 2.6.2 on the same storage: it serves the five certificates without ordering,
and after a last kill at the download step (k6) it takes over Gatehouse's stale lock and
obtains k6 (the lock format is certmagic's). Loopback only; every wait is bounded.
Usage: autohttps_kill_steps_test.py <path-to-gatehouse>
"""
import json
import os
import shutil
import signal
import sys
import time

sys.dont_write_bytecode = True
import acme_fault_proxy  # noqa: E402
import acme_pebble  # noqa: E402
import caddy_peer  # noqa: E402
import harness  # noqa: E402
from harness import check  # noqa: E402

# name -> rules: ("kind", action) in order; the last one holds the request.
STEPS = [
    ("k1.test", "account", [("order-plz", None)]),
    ("k2.test", "order", [("authZ", None)]),
    ("k3.test", "challenge", [("authZ", ("pass",)), ("authZ", None)]),
    ("k4.test", "finalize", [("finalize-order", None)]),
    ("k5.test", "download", [("certZ", None)]),
]
HOLD = ("delay", 90)


def caddyfile(path, proxy, pebble, storage, names, caddy=False):
    extra = "\tskip_install_trust\n" if caddy else ""
    with open(path, "w") as f:
        f.write("{\n\tadmin off\n%s\temail admin@a.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n"
                "\thttps_port %d\n\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n}\n\n"
                % (extra, proxy.directory, pebble.cert, pebble.http_port, pebble.tls_port, storage))
        for n in names:
            f.write('%s {\n\trespond "%s"\n}\n' % (n, n))


def wait_served(name, port, roots, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if acme_pebble.handshake_verifies(name, port, roots):
            return True
        time.sleep(0.2)
    return False


def name_files(storage, name):
    top = os.path.join(storage, "certificates")
    if not os.path.isdir(top):
        return []
    return [os.path.join(d, f) for d, _, files in os.walk(top) for f in files if name in d]


def hold(proxy, name, rules):
    for kind, action in rules:
        # The proxy learns the certificate's URL too late to tie it to a name; one name is
        # ordered at a time here.
        proxy.add(kind, action or HOLD, identifier=None if kind == "certZ" else name)


def kill_at_step(binary, cfg, proxy, storage, name, step, rules):
    """Starts gatehouse, kills it -9 once the held request arrives; returns the lock path."""
    proxy.seen.clear()
    hold(proxy, name, rules)
    proc, _, drain, _ = harness.start(binary, cfg, adapter="caddyfile")
    lock = os.path.join(storage, "locks", "issue_cert_%s.lock" % name)
    try:
        check(proxy.seen.wait(30), "%s: the order reached the %s step" % (name, step))
        if step == "challenge":
            time.sleep(1)  # pebble's VA validates (NOSLEEP) while the poll is held
        check(os.path.exists(lock), "%s: the issuance lock is held at the %s step" % (name, step))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        drain.finish()
    check(os.path.exists(lock), "%s: the killed process's lock is left" % name)
    check(name_files(storage, name) == [], "%s: nothing stored: %s" % (name, name_files(storage, name)))
    with open(lock) as f:
        meta = json.load(f)
    check("created" in meta, "%s: the lock holds certmagic's JSON: %s" % (name, meta))
    return lock


def gatehouse_part(binary, tmp, pebble, proxy, storage, roots):
    cfg = os.path.join(tmp, "Caddyfile")
    names = []
    registrations = 0
    for name, step, rules in STEPS:
        names.append(name)
        caddyfile(cfg, proxy, pebble, storage, names)
        lock = kill_at_step(binary, cfg, proxy, storage, name, step, rules)
        killed = time.time()
        proc, _, drain, _ = harness.start(binary, cfg, adapter="caddyfile")
        try:
            for old in names[:-1]:
                check(acme_pebble.handshake_verifies(old, pebble.tls_port, roots),
                      "%s: served from storage after the restart" % old)
            ok = wait_served(name, pebble.tls_port, roots, 45)
            check(ok, "%s (killed at %s): served %.1f s after the kill" % (name, step, time.time() - killed))
        finally:
            harness.stop(proc, drain)
        lines = acme_pebble.parse_log(drain.text())
        ordered = sorted({e.get("identifier") for e in lines if e.get("msg") == "obtaining certificate"})
        check(ordered == [name], "%s: only the new name ordered after the restart: %s" % (name, ordered))
        check(any(e.get("msg") == "waiting for another process's lock" for e in lines),
              "%s: waited for the dead process's lock" % name)
        registrations += acme_pebble.messages(lines).count("new ACME account registered")
        check(not os.path.exists(lock), "%s: lock released" % name)
    check(registrations == 0, "the account registered before the first kill is reused (%d more)" % registrations)
    accounts = [f for _, _, files in os.walk(os.path.join(storage, "acme")) for f in files if f.endswith(".key")]
    check(len(accounts) == 1, "one account key in storage: %s" % accounts)
    return names


def caddy_part(binary, tmp, pebble, proxy, storage, roots, names):
    # Gatehouse killed once more, at the download of k6: caddy takes the storage over.
    names = names + ["k6.test"]
    cfg = os.path.join(tmp, "Caddyfile")
    caddyfile(cfg, proxy, pebble, storage, names)
    lock = kill_at_step(binary, cfg, proxy, storage, "k6.test", "download", [("certZ", None)])
    ccfg = os.path.join(tmp, "Caddyfile.caddy")
    caddyfile(ccfg, proxy, pebble, storage, names, caddy=True)
    peer = caddy_peer.CaddyPeer(open(ccfg).read(), [pebble.tls_port], name="acmelife-kill")
    try:
        for old in names[:-1]:
            check(wait_served(old, pebble.tls_port, roots, 10), "caddy 2.6.2 serves %s from storage" % old)
        check(wait_served("k6.test", pebble.tls_port, roots, 45),
              "caddy 2.6.2 takes over Gatehouse's stale lock and serves k6.test")
        text = peer.read_log()
    finally:
        peer.stop()
    obtaining = [json.loads(line).get("identifier") for line in text.splitlines()
                 if '"obtaining certificate"' in line]
    check(obtaining == ["k6.test"], "caddy ordered only k6.test: %s" % obtaining)
    check(not os.path.exists(lock), "caddy removed the stale lock")


def scenario(binary, tmp, pebble):
    if shutil.which("caddy") is None:
        print("SKIP: caddy not installed")
        sys.exit(77)
    roots = os.path.join(tmp, "roots.pem")
    with open(roots, "w") as f:
        f.write(pebble.management("/roots/0"))
    proxy = acme_fault_proxy.FaultProxy(pebble, pebble.key)
    storage = os.path.join(tmp, "storage")
    try:
        names = gatehouse_part(binary, tmp, pebble, proxy, storage, roots)
        caddy_part(binary, tmp, pebble, proxy, storage, roots, names)
    finally:
        proxy.stop()


if __name__ == "__main__":
    # No badNonce retries: the held request must be the first of its kind.
    sys.exit(acme_pebble.run_with_pebble(scenario, nonce_reject=0))
