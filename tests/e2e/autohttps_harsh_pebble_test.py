#!/usr/bin/env python3
"""End-to-end: automatic HTTPS in `gatehouse run` against pebble in its harsh modes, and the
storage it leaves compared with caddy 2.6.2's on the same pebble.

Pebble runs with the VA's random sleep before each validation (PEBBLE_VA_NOSLEEP unset),
half of all nonces rejected (PEBBLE_WFE_NONCEREJECT=50), every valid authorization reused
(PEBBLE_AUTHZREUSE=100), a longer chain (PEBBLE_CHAIN_LENGTH=3), two alternate roots and
300-second certificates.
 1. h1.test (global acme_ca/acme_ca_root/email) and h2.test (per-site `tls { ca ... ca_root
    ... }`, the same pebble reached as "localhost", so a second issuer) are served with chains
    that verify against pebble's default root; i.test (`tls internal`) from the local CA.
    (A global renewal_window_ratio next to a `tls internal` site starts, as in caddy.)
 2. Restart: served from storage, no order.
 3. Restart with renewal_window_ratio 0.99: both renewed at once, and since pebble reuses the
    valid authorizations no challenge is solved ("authorization already valid").
 4. caddy 2.6.2 with the same sites on a fresh pebble (same ports and env, 5 % badNonce): the same files under certificates/
    and acme/ (paths, 0600 files, 0700 directories), caddy's .json fields in its order, as
    many certificates in the handshake.
Loopback only; every wait is bounded. Skips (77) without pebble, caddy or curl.
Usage: autohttps_harsh_pebble_test.py <path-to-gatehouse>
"""
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import harness  # noqa: E402
from harness import check  # noqa: E402

HARSH = {"PEBBLE_AUTHZREUSE": "100", "PEBBLE_CHAIN_LENGTH": "3",
         "PEBBLE_ALTERNATE_ROOTS": "2"}


def caddyfile(pebble, storage=None, extra=""):
    text = "{\n\temail a@b.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n\thttps_port %d\n" \
           "\tdefault_bind 127.0.0.1\n\tadmin off\n\tskip_install_trust\n%s" % (pebble.directory, pebble.cert, pebble.http_port,
                                                          pebble.tls_port, extra)
    if storage:
        text += "\tstorage file_system %s\n" % storage
    text += "}\n\n"
    text += 'h1.test {\n\trespond "h1"\n}\n\n'
    text += 'h2.test {\n\ttls {\n\t\tca https://localhost:%d/dir\n\t\tca_root %s\n\t}\n\trespond "h2"\n}\n\n' \
            % (pebble.port, pebble.cert)
    text += 'i.test {\n\ttls internal\n\trespond "i"\n}\n'
    return text


def peer_chain(port, name):
    """The DER certificates the server sends for `name` (leaf first), via openssl s_client."""
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-servername", name,
                        "-showcerts"], input=b"", capture_output=True, timeout=10)
    return p.stdout.decode(errors="replace").count("-----BEGIN CERTIFICATE-----")


def serial(port, name, roots):
    ctx = ssl.create_default_context(cafile=roots)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        with ctx.wrap_socket(sock, server_hostname=name) as tls:
            return tls.getpeercert()["serialNumber"]


def tree(root):
    """{relative path: mode} of everything under certificates/ and acme/ (files and dirs)."""
    out = {}
    for top in ("certificates", "acme"):
        for base, dirs, files in os.walk(os.path.join(root, top)):
            for n in dirs + files:
                path = os.path.join(base, n)
                rel = os.path.relpath(path, root)
                if "challenge_tokens" in rel:
                    continue  # caddy's distributed-challenge directory, empty between orders
                out[rel] = oct(os.stat(path).st_mode & 0o777)
    return out


def run_once(binary, cfg, drain_check=None):
    proc, _, drain, _ = harness.start(binary, cfg, adapter="caddyfile")
    return proc, drain


def msgs(drain, msg):
    return [e for e in acme_pebble.parse_log(drain.text()) if e.get("msg") == msg]


def gatehouse_part(binary, tmp, pebble, roots, storage):
    cfg = os.path.join(tmp, "Caddyfile")
    with open(cfg, "w") as f:
        f.write(caddyfile(pebble, storage))
    started = time.time()
    proc, drain = run_once(binary, cfg)
    serials = {}
    chain = 0
    try:
        for name in ("h1.test", "h2.test"):
            took = acme_pebble.wait_serving(name, pebble.tls_port, roots, 90)
            check(took is not None, "harsh pebble: %s served (%.1f s from start)" % (name, time.time() - started))
            if took is not None:
                serials[name] = serial(pebble.tls_port, name, roots)
        chain = peer_chain(pebble.tls_port, "h1.test")
        check(chain >= 2, "h1.test sent with its intermediates (%d certificates)" % chain)
        rc, out, _ = acme_pebble.curl_https("i.test", pebble.tls_port, os.path.join(storage, "pki", "authorities",
                                                                                      "local", "root.crt"))
        check(rc == 0 and out == "i", "i.test (tls internal) served from the local CA: %r" % out)
    finally:
        harness.stop(proc, drain)
    obtained = sorted(e.get("identifier") for e in msgs(drain, "certificate obtained successfully"))
    # i.test too: caddy 2.6.2 logs the line for a leaf its local CA signs (tls_internal_log_test).
    check(obtained == ["h1.test", "h2.test", "i.test"], "log: each certificate obtained once: %s" % obtained)
    issuers = sorted(os.listdir(os.path.join(storage, "certificates")))
    check(issuers == sorted(["127.0.0.1-%d-dir" % pebble.port, "localhost-%d-dir" % pebble.port, "local"]),
          "per-site ca is its own issuer in storage: %s" % issuers)

    # 2. restart: from storage, no order.
    proc, drain = run_once(binary, cfg)
    try:
        for name in ("h1.test", "h2.test"):
            check(acme_pebble.wait_serving(name, pebble.tls_port, roots, 10) is not None, "restart: %s served" % name)
            check(serials.get(name) == serial(pebble.tls_port, name, roots), "restart: %s same certificate" % name)
    finally:
        harness.stop(proc, drain)
    check(not msgs(drain, "obtaining certificate") and not msgs(drain, "renewing certificate"),
          "restart: no order placed")

    # 3. renewal due at once; pebble reuses the valid authorizations.
    with open(cfg, "w") as f:
        f.write(caddyfile(pebble, storage, "\trenewal_window_ratio 0.99\n"))
    proc, drain = run_once(binary, cfg)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and len({e.get("identifier") for e in
                                              msgs(drain, "certificate renewed successfully")}) < 2:
            time.sleep(0.2)
        for name in ("h1.test", "h2.test"):
            check(serial(pebble.tls_port, name, roots) != serials.get(name), "renewal: %s has a new serial" % name)
    finally:
        harness.stop(proc, drain)
    renewed = sorted(e.get("identifier") for e in msgs(drain, "certificate renewed successfully"))
    check(set(renewed) == {"h1.test", "h2.test"}, "renewal: both renewed: %s" % renewed)
    reused = msgs(drain, "authorization already valid")
    check(len(reused) >= 2 and not msgs(drain, "trying to solve challenge"),
          "renewal: pebble's reused authorizations taken as valid, no challenge (%d)" % len(reused))
    return chain


def caddy_part(tmp, pebble, roots, ours, our_chain):
    home = os.path.join(tmp, "caddy-home")
    storage = os.path.join(tmp, "caddy-storage")
    os.makedirs(home)
    cfg = os.path.join(home, "Caddyfile")
    with open(cfg, "w") as f:
        f.write(caddyfile(pebble, storage))
    env = dict(os.environ, XDG_DATA_HOME=home, XDG_CONFIG_HOME=home, HOME=home)
    log = open(os.path.join(home, "caddy.log"), "w")
    proc = subprocess.Popen(["caddy", "run", "--adapter", "caddyfile", "--config", cfg], stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    try:
        served = [acme_pebble.wait_serving(name, pebble.tls_port, roots, 90) is not None
                  for name in ("h1.test", "h2.test")]
        for name, ok in zip(("h1.test", "h2.test"), served):
            check(ok, "caddy 2.6.2 on the harsh pebble: %s served" % name)
        if not all(served):
            log.flush()
            print("caddy's log (last lines):\n" + "".join(open(log.name).readlines()[-30:]))
        theirs = peer_chain(pebble.tls_port, "h1.test")
        check(theirs == our_chain, "caddy sends as many certificates (%d, ours %d)" % (theirs, our_chain))
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()
    theirs = tree(storage)
    mine = tree(ours)
    check(mine == theirs, "storage layout and modes as caddy's:\n  ours   %s\n  caddy's %s"
          % (sorted(set(mine.items()) - set(theirs.items())), sorted(set(theirs.items()) - set(mine.items()))))
    for issuer in ("127.0.0.1-%d-dir" % pebble.port, "localhost-%d-dir" % pebble.port):
        name = "h1.test" if issuer.startswith("127") else "h2.test"
        rel = os.path.join("certificates", issuer, name, name + ".json")
        try:
            a = json.load(open(os.path.join(ours, rel)))
            b = json.load(open(os.path.join(storage, rel)))
            # Newer certmagic also writes issuer_data.ca (kept for ARI); 2.6.2 ignores it.
            check(list(a) == list(b) and a["sans"] == b["sans"] and set(b["issuer_data"]) <= set(a["issuer_data"]),
                  "%s: caddy's fields in caddy's order (%s / %s)" % (rel, a, b))
        except (OSError, ValueError, KeyError) as e:
            check(False, "%s readable in both: %s" % (rel, e))


def main():
    binary = sys.argv[1]
    acme_pebble.require_pebble()
    for tool in ("caddy", "curl"):
        if shutil.which(tool) is None:
            print("SKIP: %s not installed" % tool)
            return 77
    with tempfile.TemporaryDirectory(prefix="gh-harsh-") as tmp:
        # 300 s certificates: renewal_window_ratio 0.99 makes them due 3 s after issuance.
        pebble = acme_pebble.Pebble(tmp, nosleep=False, nonce_reject=50, env=HARSH, validity=300,
                                    start_timeout=120)
        try:
            roots = os.path.join(tmp, "roots.pem")
            with open(roots, "w") as f:
                f.write(pebble.management("/roots/0"))
            storage = os.path.join(tmp, "storage")
            chain = gatehouse_part(binary, tmp, pebble, roots, storage)
            # Caddy's part compares files, not nonce handling: at 50 % badNonce caddy 2.6.2
            # sometimes fails an attempt and retries a minute later, past its wait (CI saw
            # h2.test unserved after 90 s). A fresh pebble on the same ports (same storage
            # directory names) with the default 5 % keeps the comparison about the layout.
            pebble.restart_ca(nonce_reject=5)
            with open(roots, "w") as f:
                f.write(pebble.management("/roots/0"))
            caddy_part(tmp, pebble, roots, storage, chain)
        finally:
            pebble.stop()
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
