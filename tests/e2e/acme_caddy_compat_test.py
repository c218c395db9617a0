#!/usr/bin/env python3
"""End-to-end: Gatehouse and Debian's caddy 2.6.2 share one certmagic storage.

1. caddy obtains c.test from pebble into the storage; `gatehouse run` with the same
   Caddyfile serves that certificate (the same leaf) without a new order;
2. `gatehouse certs` finds it there (no new order) and writes it out byte for byte; for a
   second name it reuses caddy's ACME account (no new registration);
3. caddy, restarted on the storage, serves the certificate Gatehouse obtained for d.test
   without ordering again.
Usage: acme_caddy_compat_test.py <path-to-gatehouse>
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
import server_stderr  # noqa: E402

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


def caddyfile(path, pebble, storage, sites):
    with open(path, "w") as f:
        f.write(f"""{{
\tadmin off
\temail admin@a.test
\tacme_ca {pebble.directory}
\tacme_ca_root {pebble.cert}
\thttp_port {pebble.http_port}
\thttps_port {pebble.tls_port}
\tdefault_bind 127.0.0.1
\tstorage file_system {{
\t\troot {storage}
\t}}
}}
""")
        for site in sites:
            f.write(f"\n{site} {{\n\trespond \"hello\"\n}}\n")


def start_caddy(config, log_path):
    log = open(log_path, "a")
    proc = subprocess.Popen(["caddy", "run", "--config", config, "--adapter", "caddyfile"],
                            stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, HOME=os.path.dirname(config)))
    return proc, log


def stop(proc, log):
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    log.close()


def served_cert(port, name, timeout=20):
    """The DER certificate a TLS server on 127.0.0.1:port presents for SNI `name`."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
                with ctx.wrap_socket(s, server_hostname=name) as t:
                    return t.getpeercert(binary_form=True)
        except OSError:
            time.sleep(0.3)
    return None


def orders(pebble):
    return open(pebble.log.name).read().count("Added order")


def stored_whole(crt):
    """True once certmagic's three files for a certificate are there, its .json complete."""
    base = crt[:-len(".crt")]
    if not all(os.path.exists(base + ext) for ext in (".crt", ".key", ".json")):
        return False
    try:
        with open(base + ".json") as f:
            json.load(f)
        return True
    except ValueError:
        return False


def main():
    binary = sys.argv[1]
    acme_pebble.require_pebble()
    if shutil.which("caddy") is None:
        print("SKIP: caddy not installed")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        pebble = acme_pebble.Pebble(tmp)
        try:
            run(binary, tmp, pebble)
        finally:
            pebble.stop()
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("acme_caddy_compat: all checks passed")
    return 0


def run(binary, tmp, pebble):
    storage = os.path.join(tmp, "storage")
    issuer = f"127.0.0.1-{pebble.port}-dir"
    caddy_log = os.path.join(tmp, "caddy.log")

    # 1. caddy obtains c.test.
    cfg = os.path.join(tmp, "Caddyfile")
    caddyfile(cfg, pebble, storage, ["c.test"])
    proc, log = start_caddy(cfg, caddy_log)
    crt = os.path.join(storage, "certificates", issuer, "c.test", "c.test.crt")
    deadline = time.time() + 60
    # the .crt comes with a .key and a .json beside it: wait for all three, the .json whole
    while time.time() < deadline and not stored_whole(crt) and proc.poll() is None:
        time.sleep(0.3)
    stop(proc, log)
    check(os.path.exists(crt), "caddy stored c.test:\n" + open(caddy_log).read()[-3000:])
    if not os.path.exists(crt):
        return

    # 1b. `gatehouse run` with caddy's Caddyfile and storage serves caddy's certificate for
    # c.test (the same leaf), without a new order.
    with open(crt) as f:
        chain = f.read()
    end = "-----END CERTIFICATE-----"
    caddy_leaf = ssl.PEM_cert_to_DER_cert(chain[:chain.index(end) + len(end)] + "\n")
    before = orders(pebble)
    proc = subprocess.Popen([binary, "run", "--config", cfg, "--adapter", "caddyfile"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    drain = server_stderr.Drain(proc)
    try:
        served = served_cert(pebble.tls_port, "c.test")
        print(f"gatehouse run on caddy's storage: served leaf is caddy's: {served == caddy_leaf}", flush=True)
        check(served == caddy_leaf, "gatehouse run serves the certificate caddy stored for c.test")
    finally:
        rc, report, lines = acme_pebble.stop_server(proc, drain)
    check(rc == 0 and report == "", f"gatehouse run: clean exit ({rc}), no sanitizer report\n{report[-2000:]}")
    check(orders(pebble) == before, "gatehouse run placed no order for c.test")
    check("loaded certificate from storage" in acme_pebble.messages(lines), "gatehouse run: loaded from storage")

    # 2. gatehouse certs reads caddy's certificate and account.
    out = os.path.join(tmp, "out")
    config = os.path.join(tmp, "certs.Caddyfile")
    acme_pebble.write_certs_config(config, pebble, storage, f"""certificates c.test {{
\tfullchain {out}/c.pem
\tprivkey {out}/c.key
}}

certificates d.test {{
\tfullchain {out}/d.pem
\tprivkey {out}/d.key
}}
""")
    before = orders(pebble)
    code, lines, raw, _ = acme_pebble.run_certs(binary, config)
    msgs = acme_pebble.messages(lines)
    check(code == 0, f"gatehouse certs exits 0:\n{raw[-3000:]}")
    check(orders(pebble) - before == 1, "one new order (d.test only), c.test came from caddy's storage")
    check(open(crt).read() == open(os.path.join(out, "c.pem")).read(), "c.test written as caddy stored it")
    key = os.path.join(storage, "certificates", issuer, "c.test", "c.test.key")
    check(open(key).read() == open(os.path.join(out, "c.key")).read(), "caddy's key written out")
    check("using stored ACME account" in msgs and "new ACME account registered" not in msgs,
          "caddy's ACME account reused")

    # 3. caddy serves the certificate gatehouse obtained for d.test, without a new order.
    caddyfile(cfg, pebble, storage, ["c.test", "d.test"])
    before = orders(pebble)
    proc, log = start_caddy(cfg, caddy_log)
    der = served_cert(pebble.tls_port, "d.test")
    time.sleep(1)
    stop(proc, log)
    ours = subprocess.run(["openssl", "x509", "-in", os.path.join(out, "d.pem"), "-outform", "DER"],
                          capture_output=True, timeout=30).stdout
    check(der is not None and der == ours, "caddy serves gatehouse's d.test certificate")
    check(orders(pebble) == before, "caddy made no new order")


if __name__ == "__main__":
    sys.exit(main())
