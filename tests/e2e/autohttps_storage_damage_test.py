#!/usr/bin/env python3
"""End-to-end: automatic HTTPS in `gatehouse run` (real pebble) when its storage is damaged
between runs or cannot be written.

 1. Damage at start. ok.test and d1..d6.test obtained; then, server stopped: d1's .crt is
    garbage, d2's .crt truncated to a third, d3's .key another key, d4's .key empty, d5's
    .json garbage, d6's .crt an expired certificate, d7's .crt a FIFO (whose open would
    block; caddy's copy leaves d7 out). Restart: ok.test and d5 served from
    storage at once with no order (the metadata is not needed to serve); d1-d4 and d7 each logged
    as unusable with the file named, re-obtained and served; d6's expired certificate loaded
    and renewed at once ("renewing certificate"), as caddy 2.6.2 does with it (checked on a
    copy holding only that damage); the process never dies. Caddy 2.6.2 on a copy of the same storage refuses the whole config
    ("caching certificate"), serving no site at all: Gatehouse keeps the others.
 2. A corrupted ACME account key, with a name to order: a clear error naming the key's
    storage path, the key left as it was (no new registration), the other names served.
 3. (The account's registration .json garbage first: the stored key finds the account, no
    new registration.) A full disk while saving (RLIMIT_FSIZE 1 KiB, SIGXFSZ ignored: a new key fits, a chain
    does not), every certificate due (renewal_window_ratio 0.999): each renewal fails with
    "File too large", the old certificates stay served, the stored .key/.crt are byte for
    byte the old ones (before the fix the new key replaced the old one and the chain did
    not follow, so the next start found a key that was not the certificate's and ordered
    again), no temporary file is left; a normal restart serves them from storage, no order.
 4. kill -9 at random moments (10 kills, 0.3-2.5 s after start) while every certificate
    renews in a loop (three obtained from nothing): after each kill every stored .crt/.key
    pair matches, or (a kill between a save's renames) the other half is staged beside it,
    fully written, and the next start completes the save (logged); a final normal
    run serves every name and no new account is ever registered; the temporary files the
    kills left (aged to an hour) are gone after the next save, a recent one is kept.
 5. A file where a site's folder should be (storage cleaning off, whose first pass removes
    it as caddy's does): a clear error naming the path for that site, the others served,
    the file left alone.
 6. `gatehouse certs`: a stored key swapped for another is named, never deployed; a new
    certificate is obtained and the deployed pair matches.
 7. Storage on a 1 MiB tmpfs the test mounts (root only; skipped otherwise), one name: filled
    to its last two pages (a real ENOSPC: the lock and the new key fit, the chain does not)
    and then remounted read-only while the certificate is due: the renewal fails with the
    system's error, the old certificate stays served and
    stored byte for byte, no temporary file is left; once the disk is back a normal start
    orders nothing.
Loopback only; every wait is bounded. Skips (77) without pebble, caddy or curl.
Usage: autohttps_storage_damage_test.py <path-to-gatehouse>
"""
import datetime
import os
import random
import shutil
import signal
import ssl
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import harness  # noqa: E402
from harness import check  # noqa: E402

DAMAGED = ["d1.test", "d2.test", "d3.test", "d4.test", "d5.test", "d6.test", "d7.test"]
NAMES = ["ok.test"] + DAMAGED


def caddyfile(path, pebble, storage, extra="", names=NAMES):
    with open(path, "w") as f:
        f.write("{\n\temail a@b.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n\thttps_port %d\n"
                "\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n\tadmin off\n\tskip_install_trust\n%s}\n\n"
                % (pebble.directory, pebble.cert, pebble.http_port, pebble.tls_port, storage, extra))
        for name in names:
            f.write('%s {\n\trespond "%s"\n}\n\n' % (name, name))


def entries(lines, msg=None, identifier=None):
    return [e for e in lines
            if (msg is None or e.get("msg") == msg) and (identifier is None or e.get("identifier") == identifier)]


def site_file(storage, issuer, name, ext):
    return os.path.join(storage, "certificates", issuer, name, name + "." + ext)


def read(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


def write(path, data):
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


def public_key(path, kind):
    cmd = ["openssl", "x509", "-noout", "-pubkey", "-in", path] if kind == "crt" else \
        ["openssl", "pkey", "-pubout", "-in", path]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    return p.stdout if p.returncode == 0 else None


def pairs_match(storage, issuer):
    """{name: True/False} for every stored certificate: does its key match it?"""
    out = {}
    base = os.path.join(storage, "certificates", issuer)
    for name in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        crt, key = site_file(storage, issuer, name, "crt"), site_file(storage, issuer, name, "key")
        if os.path.exists(crt) and os.path.exists(key):
            a = public_key(crt, "crt")
            out[name] = a is not None and a == public_key(key, "key")
    return out


def staged_fit(storage, issuer, name):
    """A pair a kill cut between its renames: a staged temporary file of one half matches
    the other half in place."""
    crt, key = site_file(storage, issuer, name, "crt"), site_file(storage, issuer, name, "key")
    folder = os.path.dirname(crt)
    for f in sorted(os.listdir(folder)):
        path = os.path.join(folder, f)
        if f.startswith(name + ".crt.tmp-") and public_key(path, "crt") == public_key(key, "key"):
            return True
        if f.startswith(name + ".key.tmp-") and public_key(path, "key") == public_key(crt, "crt"):
            return True
    return False


def temp_files(storage):
    return [os.path.join(r, f) for r, _, fs in os.walk(storage) for f in fs if ".tmp-" in f]


def served_der(name, port, roots):
    ctx = ssl.create_default_context(cafile=roots)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname=name) as t:
            return t.getpeercert(binary_form=True)


def stored_der(storage, issuer, name):
    return ssl.PEM_cert_to_DER_cert(read(site_file(storage, issuer, name, "crt"), "r"))


def expired_pair(name):
    """A self-signed certificate for `name` that expired yesterday, and its key (PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=30))
            .not_valid_after(now - datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False).sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                              serialization.NoEncryption()))


def run_until_served(binary, cfg, pebble, roots, names, timeout, env=None):
    """Starts gatehouse, waits until every name is served (or timeout), stops it; returns
    ({name: seconds or None}, log lines)."""
    proc, _, drain, _ = harness.start(binary, cfg, adapter="caddyfile", env=env)
    took = {}
    try:
        start = time.time()
        for name in names:
            took[name] = acme_pebble.wait_serving(name, pebble.tls_port, roots, max(1, timeout - (time.time() - start)))
        check(proc.poll() is None, "gatehouse still running")
    finally:
        harness.stop(proc, drain)
    return took, acme_pebble.parse_log(drain.text())


def damage_at_start(binary, tmp, pebble, roots, storage, issuer, cfg):
    took, lines = run_until_served(binary, cfg, pebble, roots, NAMES, 90)
    check(all(took.values()), "first run: all names obtained and served: %s" % took)
    ok_crt = read(site_file(storage, issuer, "ok.test", "crt"))
    d5_crt = read(site_file(storage, issuer, "d5.test", "crt"))
    write(site_file(storage, issuer, "d1.test", "crt"), "garbage, not a certificate\n")
    crt = read(site_file(storage, issuer, "d2.test", "crt"))
    write(site_file(storage, issuer, "d2.test", "crt"), crt[:len(crt) // 3])
    write(site_file(storage, issuer, "d3.test", "key"), read(site_file(storage, issuer, "ok.test", "key")))
    write(site_file(storage, issuer, "d4.test", "key"), b"")
    write(site_file(storage, issuer, "d5.test", "json"), "{garbage")
    crt, key = expired_pair("d6.test")
    write(site_file(storage, issuer, "d6.test", "crt"), crt)
    write(site_file(storage, issuer, "d6.test", "key"), key)
    os.remove(site_file(storage, issuer, "d7.test", "crt"))
    os.mkfifo(site_file(storage, issuer, "d7.test", "crt"))  # reading it would block forever
    no_fifo = shutil.ignore_patterns("d7.test")  # copying the FIFO would block too

    # Caddy 2.6.2 on the same damage: the whole config is refused.
    caddy_storage = os.path.join(tmp, "storage-caddy")
    shutil.copytree(storage, caddy_storage, ignore=no_fifo)
    caddy_cfg = os.path.join(tmp, "Caddyfile.caddy")
    caddyfile(caddy_cfg, pebble, caddy_storage)
    home = os.path.join(tmp, "caddyhome")
    env = dict(os.environ, XDG_DATA_HOME=home, XDG_CONFIG_HOME=home, HOME=home)
    p = subprocess.run(["caddy", "run", "--adapter", "caddyfile", "--config", caddy_cfg], capture_output=True,
                       text=True, env=env, timeout=60)
    check(p.returncode != 0 and "caching certificate" in p.stderr,
          "caddy 2.6.2 refuses the config on damaged storage (rc %s): %s"
          % (p.returncode, p.stderr.strip().splitlines()[-1:]))

    caddy_expired(tmp, pebble, roots, storage, issuer, env, no_fifo)

    took, lines = run_until_served(binary, cfg, pebble, roots, NAMES, 90)
    check(all(took.values()), "restart on damaged storage: every name served: %s" % took)
    for name in ("ok.test", "d5.test"):
        check(not entries(lines, "obtaining certificate", name) and entries(lines, "loaded certificate from storage", name),
              "%s served from storage, no order" % name)
    check(read(site_file(storage, issuer, "ok.test", "crt")) == ok_crt, "ok.test's certificate untouched")
    check(read(site_file(storage, issuer, "d5.test", "crt")) == d5_crt, "d5.test's certificate untouched")
    named = {"d1.test": "d1.test.crt", "d2.test": "d2.test.crt", "d3.test": "d3.test.key", "d4.test": "d4.test.key",
             "d7.test": "d7.test.crt: not a regular file"}
    for name, file in named.items():
        warned = [e.get("error", "") for e in entries(lines, "stored certificate unusable; left in place", name)]
        check(any(file in w for w in warned), "%s: the damaged file is named: %s" % (name, warned[:1]))
    for name in named:
        check(len(entries(lines, "certificate obtained successfully", name)) == 1, "%s re-obtained" % name)
    # The expired certificate: as caddy 2.6.2 (below), served from storage and renewed at once.
    loaded = entries(lines, "loaded certificate from storage", "d6.test")
    check(loaded and loaded[0].get("expires_in", 0) < 0, "d6.test: the expired certificate loaded: %s" % loaded[:1])
    renewing = entries(lines, "renewing certificate", "d6.test")
    check(renewing and renewing[0].get("logger") == "tls.renew", "d6.test: renewing certificate (tls.renew)")
    check(len(entries(lines, "certificate renewed successfully", "d6.test")) == 1, "d6.test renewed at once")
    matches = pairs_match(storage, issuer)
    check(matches == {n: True for n in NAMES}, "every stored key matches its certificate: %s" % matches)
    check(temp_files(storage) == [], "no temporary file left")


def caddy_expired(tmp, pebble, roots, storage, issuer, env, no_fifo):
    """Caddy 2.6.2 with only the expired certificate (d6) of the damage: it loads it and renews
    it at once ("renewing certificate", remaining < 0)."""
    caddy_storage = os.path.join(tmp, "storage-caddy-expired")
    shutil.copytree(storage, caddy_storage, ignore=no_fifo)
    for name in ("d1.test", "d2.test", "d3.test", "d4.test", "d5.test"):
        shutil.rmtree(os.path.join(caddy_storage, "certificates", issuer, name))
    caddy_cfg = os.path.join(tmp, "Caddyfile.caddy-expired")
    caddyfile(caddy_cfg, pebble, caddy_storage)
    log_path = os.path.join(tmp, "caddy-expired.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(["caddy", "run", "--adapter", "caddyfile", "--config", caddy_cfg], stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        try:
            took = acme_pebble.wait_serving("d6.test", pebble.tls_port, roots, 40)
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
    lines = acme_pebble.parse_log(read(log_path, "r"))
    renewing = entries(lines, "renewing certificate", "d6.test")
    check(took is not None and renewing and renewing[0].get("remaining", 0) < 0
          and entries(lines, "certificate renewed successfully", "d6.test"),
          "caddy 2.6.2: the expired d6.test renewed at once (%s s): %s" % (took, renewing[:1]))


def bad_account_key(binary, tmp, pebble, roots, storage, issuer, cfg):
    users = os.path.join(storage, "acme", issuer, "users")
    keys = [os.path.join(r, f) for r, _, fs in os.walk(users) for f in fs if f.endswith(".key")]
    check(len(keys) == 1, "one account key: %s" % keys)
    saved = read(keys[0])
    write(keys[0], "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n")
    for ext in ("crt", "key", "json"):
        os.remove(site_file(storage, issuer, "d1.test", ext))
    proc, _, drain, _ = harness.start(binary, cfg, adapter="caddyfile")
    try:
        others = [acme_pebble.wait_serving(n, pebble.tls_port, roots, 20) for n in NAMES if n != "d1.test"]
        check(all(others), "the other names served: %s" % others)
        deadline = time.time() + 20
        errors = []
        while time.time() < deadline and not errors:
            errors = [e.get("error", "") for e in entries(acme_pebble.parse_log(drain.text()),
                                                          "could not get certificate from issuer", "d1.test")]
            time.sleep(0.2)
        rel = os.path.relpath(keys[0], storage)
        check(errors and rel in errors[0] and "account key" in errors[0], "the error names %s: %s" % (rel, errors[:1]))
        check(proc.poll() is None, "still running")
    finally:
        harness.stop(proc, drain)
    lines = acme_pebble.parse_log(drain.text())
    check(not entries(lines, "new ACME account registered"), "no new account registered")
    check(read(keys[0]).startswith(b"-----BEGIN EC PRIVATE KEY-----\nAAAA"), "the damaged account key left in place")
    write(keys[0], saved)


def full_disk(binary, tmp, pebble, roots, storage, issuer, cfg):
    # d1 (removed above) first, with a working disk, and the account's registration .json
    # garbage: not needed (the key finds the account at the CA), so no new registration.
    users = os.path.join(storage, "acme", issuer, "users")
    regs = [os.path.join(r, f) for r, _, fs in os.walk(users) for f in fs if f.endswith(".json")]
    check(len(regs) == 1, "one account registration file: %s" % regs)
    for reg in regs:
        write(reg, "{garbage")
    took, lines = run_until_served(binary, cfg, pebble, roots, NAMES, 60)
    check(all(took.values()), "all served again: %s" % took)
    check(entries(lines, "using stored ACME account") and not entries(lines, "new ACME account registered"),
          "garbage account .json: the stored account is used, none registered")
    before = {n: (read(site_file(storage, issuer, n, "crt")), read(site_file(storage, issuer, n, "key"))) for n in NAMES}
    wrapper = os.path.join(tmp, "gatehouse-1k")
    write(wrapper, "#!%s\nimport os, resource, signal, sys\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
                   "resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))\nos.execv(%r, [%r] + sys.argv[1:])\n"
                   % (sys.executable, binary, binary))
    os.chmod(wrapper, 0o755)
    due_cfg = cfg + ".due"
    caddyfile(due_cfg, pebble, storage, "\trenewal_window_ratio 0.999\n")
    proc, _, drain, _ = harness.start(wrapper, due_cfg, adapter="caddyfile")
    try:
        deadline = time.time() + 40
        failed = {}
        while time.time() < deadline and len(failed) < len(NAMES):
            for e in entries(acme_pebble.parse_log(drain.text()), "could not get certificate from issuer"):
                failed.setdefault(e.get("identifier"), e.get("error", ""))
            time.sleep(0.2)
        check(sorted(failed) == sorted(NAMES) and all("File too large" in v for v in failed.values()),
              "every renewal fails on the full disk with a clear error: %s" % list(failed.items())[:1])
        for name in ("ok.test", "d3.test"):
            check(served_der(name, pebble.tls_port, roots) == stored_der(storage, issuer, name),
                  "%s: the old certificate still served" % name)
        check(proc.poll() is None, "still running")
    finally:
        harness.stop(proc, drain)
    after = {n: (read(site_file(storage, issuer, n, "crt")), read(site_file(storage, issuer, n, "key"))) for n in NAMES}
    changed = [n for n in NAMES if after[n] != before[n]]
    check(changed == [], "no stored key or certificate replaced by a failed save: %s" % changed)
    check(temp_files(storage) == [], "no temporary file left: %s" % temp_files(storage))
    took, lines = run_until_served(binary, cfg, pebble, roots, NAMES, 30)
    check(all(took.values()), "normal restart: all served: %s" % took)
    ordered = [n for n in NAMES if entries(lines, "obtaining certificate", n)]
    check(ordered == [], "served from storage, nothing ordered: %s" % ordered)


def kill_loop(binary, tmp, pebble, roots, storage, issuer, cfg):
    due_cfg = cfg + ".due"
    # Three names start with nothing stored: the kills hit first issuances too.
    for name in ("d1.test", "d2.test", "d3.test"):
        shutil.rmtree(os.path.join(storage, "certificates", issuer, name))
    rng = random.Random(int(time.time()))
    bad, cut, completed = [], [], []
    started = finished = 0
    for i in range(10):
        proc, _, drain, _ = harness.start(binary, due_cfg, adapter="caddyfile")
        time.sleep(rng.uniform(0.3, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        drain.finish()
        lines = acme_pebble.parse_log(drain.text())
        completed += entries(lines, "completed a save interrupted between its files")
        started += len(entries(lines, "renewing certificate")) + len(entries(lines, "obtaining certificate"))
        finished += len(entries(lines, "certificate renewed successfully")) + \
            len(entries(lines, "certificate obtained successfully"))
        m = pairs_match(storage, issuer)
        for name in [n for n, ok in m.items() if not ok]:
            if staged_fit(storage, issuer, name):
                cut.append((i, name))
            else:
                bad.append((i, name))
    print("note: orders started in the killed runs: %d, completed: %d; saves cut between their renames: %s"
          % (started, finished, cut), flush=True)
    check(started > finished, "the kills interrupted orders in flight")
    check(bad == [], "after each of 10 kills every stored pair matches, or its new half is staged: %s" % bad)
    took, lines = run_until_served(binary, cfg, pebble, roots, NAMES, 60)
    check(all(took.values()), "after the kills every name served: %s" % took)
    m = pairs_match(storage, issuer)
    check(all(m.values()), "after a start every stored pair matches: %s" % m)
    if cut:  # completed by the next start, a killed one or the last
        completed += entries(lines, "completed a save interrupted between its files")
        check(completed, "a start completed the interrupted save: %s" % completed[:1])
    check(not entries(lines, "new ACME account registered"), "the account is reused")
    # A kill during a save leaves its temporary files; the next save of the same files
    # removes those older than 10 minutes (aged here) and keeps a live writer's.
    leftovers = [f for f in temp_files(storage) if "/certificates/" in f]
    planted = site_file(storage, issuer, "ok.test", "crt") + ".tmp-orphan01"
    write(planted, "left by a kill")
    leftovers.append(planted)
    young = site_file(storage, issuer, "ok.test", "key") + ".tmp-young001"
    write(young, "another writer's, in flight")
    old = time.time() - 3600
    for f in leftovers:
        os.utime(f, (old, old))
    print("note: temporary files left by the kills: %d" % (len(leftovers) - 1), flush=True)
    proc, _, drain, _ = harness.start(binary, due_cfg, adapter="caddyfile")
    try:
        deadline = time.time() + 60
        renewed = set()
        while time.time() < deadline and renewed != set(NAMES):
            renewed = {e.get("identifier") for e in entries(acme_pebble.parse_log(drain.text()),
                                                            "certificate renewed successfully")}
            time.sleep(0.2)
        check(renewed == set(NAMES), "every name renewed once more: %s" % sorted(renewed))
    finally:
        harness.stop(proc, drain)
    gone = [f for f in leftovers if not os.path.exists(f)]
    check(len(gone) == len(leftovers), "the old temporary files are gone: %d of %d" % (len(gone), len(leftovers)))
    check(os.path.exists(young), "a recent temporary file (a live writer's) is kept")
    os.remove(young)


def file_for_folder(binary, tmp, pebble, roots, storage, issuer, cfg):
    """A file where a site's folder should be: a clear error for that site, the others served."""
    folder = os.path.join(storage, "certificates", issuer, "d1.test")
    shutil.rmtree(folder)
    write(folder, "not a folder")
    # Storage cleaning off: its first pass would remove the stray file (as caddy's does) and
    # race the order.
    quiet_cfg = cfg + ".noclean"
    caddyfile(quiet_cfg, pebble, storage, "\tstorage_clean_interval off\n")
    proc, _, drain, _ = harness.start(binary, quiet_cfg, adapter="caddyfile")
    try:
        others = [acme_pebble.wait_serving(n, pebble.tls_port, roots, 20) for n in NAMES if n != "d1.test"]
        check(all(others), "the other names served: %s" % others)
        deadline = time.time() + 30
        errors = []
        while time.time() < deadline and not errors:
            errors = [e.get("error", "") for e in entries(acme_pebble.parse_log(drain.text()),
                                                          "could not get certificate from issuer", "d1.test")]
            time.sleep(0.2)
        check(errors and "d1.test" in errors[0] and "Not a directory" in errors[0],
              "d1.test: the error names the path: %s" % errors[:1])
        check(proc.poll() is None, "still running")
    finally:
        harness.stop(proc, drain)
    check(read(folder, "r") == "not a folder", "the file in the folder's place is left alone")


def certs_mismatched_key(binary, tmp, pebble, roots, issuer):
    """`gatehouse certs`: a stored key that is not the certificate's is never deployed."""
    storage = os.path.join(tmp, "storage-certs")
    out = os.path.join(tmp, "out")
    config = os.path.join(tmp, "certs.Caddyfile")
    acme_pebble.write_certs_config(config, pebble, storage, "certificates c.test {\n\tfullchain %s/c.pem\n"
                                   "\tprivkey %s/c.key\n}\n" % (out, out))
    rc, log, _, _ = acme_pebble.run_certs(binary, config)
    check(rc == 0 and entries(log, "certificate obtained successfully"), "certs: c.test obtained (rc %s)" % rc)
    other = os.path.join(tmp, "other.key")
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", other], check=True,
                   capture_output=True, timeout=30)
    write(site_file(storage, issuer, "c.test", "key"), read(other))
    rc, log, _, _ = acme_pebble.run_certs(binary, config)
    warned = [e.get("error", "") for e in entries(log, "stored certificate unusable; obtaining a new one")]
    check(rc == 0 and any("c.test.key" in w for w in warned), "certs: the mismatched key named: %s" % warned[:1])
    check(entries(log, "certificate obtained successfully"), "certs: a new certificate obtained")
    deployed = public_key(os.path.join(out, "c.pem"), "crt")
    check(deployed is not None and deployed == public_key(os.path.join(out, "c.key"), "key"),
          "certs: the deployed key matches the deployed certificate")


def small_disk(binary, tmp, pebble, roots, issuer):
    """Storage on a 1 MiB tmpfs mounted here (root only): really full (ENOSPC), then
    read-only. Each time the renewals fail with the system's error, the old certificates are
    served and kept byte for byte, and a normal start afterwards orders nothing."""
    mnt = os.path.join(tmp, "small")
    os.makedirs(mnt)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", mnt], capture_output=True,
                      timeout=30).returncode != 0:
        print("note: cannot mount a tmpfs here (not root?): the small-disk part is skipped", flush=True)
        return
    try:
        storage = os.path.join(mnt, "storage")
        names = ["ok.test"]  # one renewal, so the free pages it finds are known
        cfg = os.path.join(tmp, "Caddyfile.small")
        caddyfile(cfg, pebble, storage, names=names)
        due_cfg = cfg + ".due"
        caddyfile(due_cfg, pebble, storage, "\trenewal_window_ratio 0.999\n", names=names)
        took, _ = run_until_served(binary, cfg, pebble, roots, names, 60)
        check(all(took.values()), "tmpfs storage: all obtained: %s" % took)
        before = {n: (read(site_file(storage, issuer, n, "crt")), read(site_file(storage, issuer, n, "key")))
                  for n in names}
        st = os.statvfs(mnt)
        filler = os.path.join(mnt, "filler")
        # All but two pages: the lock and the new key's temporary file fit, the chain's does not.
        with open(filler, "wb") as f:
            f.write(b"\0" * max(0, st.f_bavail * st.f_frsize - 2 * 4096))
        for label, expect, prepare, undo in (
                ("full", "No space left on device", lambda: None, lambda: os.remove(filler)),
                ("read-only", "Read-only file system",
                 lambda: subprocess.run(["mount", "-o", "remount,ro", mnt], check=True, timeout=30),
                 lambda: subprocess.run(["mount", "-o", "remount,rw", mnt], check=True, timeout=30))):
            prepare()
            try:
                proc, _, drain, _ = harness.start(binary, due_cfg, adapter="caddyfile")
                try:
                    deadline = time.time() + 30
                    failed = {}
                    while time.time() < deadline and len(failed) < len(names):
                        for e in entries(acme_pebble.parse_log(drain.text()), "could not get certificate from issuer"):
                            if e.get("identifier") in names:
                                failed.setdefault(e.get("identifier"), e.get("error", ""))
                        time.sleep(0.2)
                    check(sorted(failed) == sorted(names) and all(expect in v for v in failed.values()),
                          "%s disk: the renewal fails with '%s': %s" % (label, expect, list(failed.values())[:1]))
                    if label == "full":
                        check(all(".crt.tmp-" in v for v in failed.values()),
                              "full disk: it failed writing the chain, after the key was written")
                    for name in names:
                        check(served_der(name, pebble.tls_port, roots) == stored_der(storage, issuer, name),
                              "%s disk: %s still served its old certificate" % (label, name))
                    check(proc.poll() is None, "%s disk: still running" % label)
                finally:
                    harness.stop(proc, drain)
            finally:
                undo()
            after = {n: (read(site_file(storage, issuer, n, "crt")), read(site_file(storage, issuer, n, "key")))
                     for n in names}
            check(after == before, "%s disk: the stored keys and certificates unchanged" % label)
            check(temp_files(storage) == [], "%s disk: no temporary file left" % label)
        took, lines = run_until_served(binary, cfg, pebble, roots, names, 30)
        ordered = [n for n in names if entries(lines, "obtaining certificate", n) or entries(lines, "renewing certificate", n)]
        check(all(took.values()) and ordered == [], "after the disk came back: served from storage, no order: %s" % ordered)
    finally:
        subprocess.run(["umount", mnt], capture_output=True, timeout=30)


def main():
    binary = sys.argv[1]
    acme_pebble.require_pebble()
    for tool in ("caddy", "curl"):
        if shutil.which(tool) is None:
            print("SKIP: %s not installed" % tool)
            return 77
    with tempfile.TemporaryDirectory(prefix="gh-storedamage-") as tmp:
        pebble = acme_pebble.Pebble(tmp, nonce_reject=0, validity=300)
        try:
            roots = os.path.join(tmp, "roots.pem")
            write(roots, pebble.management("/roots/0"))
            storage = os.path.join(tmp, "storage")
            issuer = "127.0.0.1-%d-dir" % pebble.port
            cfg = os.path.join(tmp, "Caddyfile")
            caddyfile(cfg, pebble, storage)
            damage_at_start(binary, tmp, pebble, roots, storage, issuer, cfg)
            bad_account_key(binary, tmp, pebble, roots, storage, issuer, cfg)
            full_disk(binary, tmp, pebble, roots, storage, issuer, cfg)
            kill_loop(binary, tmp, pebble, roots, storage, issuer, cfg)
            file_for_folder(binary, tmp, pebble, roots, storage, issuer, cfg)
            certs_mismatched_key(binary, tmp, pebble, roots, issuer)
            small_disk(binary, tmp, pebble, roots, issuer)
        finally:
            pebble.stop()
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
