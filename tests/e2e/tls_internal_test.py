#!/usr/bin/env python3
"""End-to-end: the local CA and the internal issuer (Caddy's `tls internal`).

localhost and `tls internal` sites are served with leaves from the local CA, stored where
Caddy stores them; the chain verifies against pki/authorities/local/root.crt; a restart
keeps the root; a CA written by Debian's caddy (when installed) is picked up, and caddy
picks up ours; a short-lived leaf is renewed while serving; `gatehouse trust`/`untrust`
change an isolated trust store (GATEHOUSE_TRUST_STORE; the machine's is never touched). 127.0.0.1 only.
Usage: tls_internal_test.py <path-to-gatehouse>
"""
import hashlib
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import tls_pki  # noqa: E402
from harness import FAILURES, check, finish, stop  # noqa: E402,F401

CADDY = "/usr/bin/caddy"


def caddyfile(store, hp, sp, sites, extra_global=""):
    return "{\n\tstorage file_system %s\n\tadmin off\n\thttp_port %d\n\thttps_port %d\n%s}\n\n%s" % (
        store, hp, sp, extra_global, sites)


SITES = """localhost {
	bind 127.0.0.1
	respond "hi"
}

a.test {
	bind 127.0.0.1
	tls internal
	respond "a"
}
"""


def write(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def root_of(store):
    return os.path.join(store, "pki", "authorities", "local", "root.crt")


def fingerprint(path):
    with open(path) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return hashlib.sha256(der).hexdigest()


def served_chain(port, name):
    out = tls_pki.s_client(port, ["-servername", name, "-showcerts"])
    return [b.split("-----END CERTIFICATE-----")[0] for b in out.split("-----BEGIN CERTIFICATE-----")[1:]]


def served_leaf_fp(port, name):
    blocks = served_chain(port, name)
    if not blocks:
        return None
    pem = "-----BEGIN CERTIFICATE-----" + blocks[0] + "-----END CERTIFICATE-----\n"
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()


def verify_stored(store, name, tmp):
    """openssl verify -CAfile root -untrusted intermediate leaf, from storage."""
    path = os.path.join(store, "certificates", "local", name, name + ".crt")
    if not os.path.exists(path):
        return False, "missing " + path
    with open(path) as f:
        blocks = f.read().split("-----END CERTIFICATE-----")
    pems = [b.strip() + "\n-----END CERTIFICATE-----\n" for b in blocks if "BEGIN" in b]
    if len(pems) != 2:
        return False, "%d certificates in %s" % (len(pems), path)
    leaf, inter = write(tmp, "leaf.pem", pems[0]), write(tmp, "inter.pem", pems[1])
    p = subprocess.run(["openssl", "verify", "-CAfile", root_of(store), "-untrusted", inter, leaf],
                       capture_output=True, text=True, timeout=10)
    return p.returncode == 0, (p.stdout + p.stderr).strip()


def serve_checks(binary, tmp):
    store = os.path.join(tmp, "store")
    hp, sp = tls_pki.free_port(), tls_pki.free_port()
    cfg = write(tmp, "Caddyfile", caddyfile(store, hp, sp, SITES))
    proc, servers, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        root = root_of(store)
        check(os.path.exists(root), "root created in Caddy's layout")
        for f in ("root.crt", "root.key", "intermediate.crt", "intermediate.key"):
            p = os.path.join(store, "pki", "authorities", "local", f)
            check(os.path.exists(p) and (os.stat(p).st_mode & 0o777) == 0o600, "%s stored 0600" % f)
        for name, body in (("localhost", "hi"), ("a.test", "a")):
            rc, out, err = tls_pki.curl(["--cacert", root, "--resolve", "%s:%d:127.0.0.1" % (name, sp),
                                         "https://%s:%d/" % (name, sp)])
            check(rc == 0 and out == body, "%s over HTTPS with the local root: %r %s" % (name, out, err.strip()))
            ok, msg = verify_stored(store, name, tmp)
            check(ok, "stored chain for %s verifies: %s" % (name, msg))
            check(os.path.exists(os.path.join(store, "certificates", "local", name, name + ".key")),
                  "%s key stored" % name)
            check(len(served_chain(sp, name)) == 2, "%s served with leaf + intermediate" % name)
        rc, out, _ = tls_pki.curl(["-si", "-H", "Host: a.test", "http://127.0.0.1:%d/x" % hp])
        check(out.startswith("HTTP/1.1 308") and "location: https://a.test/x" in out.lower(),
              "HTTP->HTTPS redirect (https_port implied, as Caddy): %r" % out[:80])
        first_root = fingerprint(root)
    finally:
        stop(proc, drain)
    proc, servers, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        check(fingerprint(root_of(store)) == first_root, "restart keeps the root")
        rc, out, err = tls_pki.curl(["--cacert", root_of(store), "--resolve", "a.test:%d:127.0.0.1" % sp,
                                     "https://a.test:%d/" % sp])
        check(rc == 0 and out == "a", "served after restart: %s" % err.strip())
    finally:
        stop(proc, drain)
    return store, cfg


def run_caddy(cfg, store, want, tmp):
    """Runs Debian's caddy until `want` (storage paths) exist; True on success."""
    env = dict(os.environ, HOME=tmp, XDG_DATA_HOME=os.path.join(tmp, "xdg-data"),
               XDG_CONFIG_HOME=os.path.join(tmp, "xdg-config"))
    log = open(os.path.join(tmp, "caddy.log"), "w")
    proc = subprocess.Popen([CADDY, "run", "--config", cfg, "--adapter", "caddyfile"], stdout=log,
                            stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            if all(os.path.exists(os.path.join(store, w)) for w in want):
                time.sleep(0.5)
                return True
            if proc.poll() is not None:
                return False
            time.sleep(0.2)
        return False
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


def caddy_checks(binary, tmp):
    if not os.path.exists(CADDY):
        print("skip: no caddy to compare with")
        return
    # Caddy creates the CA; gatehouse serves from it.
    ctmp = os.path.join(tmp, "from-caddy")
    os.makedirs(ctmp)
    store = os.path.join(ctmp, "store")
    hp, sp = tls_pki.free_port(), tls_pki.free_port()
    cfg = write(ctmp, "Caddyfile", caddyfile(store, hp, sp, SITES, "\tskip_install_trust\n"))
    ok = run_caddy(cfg, store, ["pki/authorities/local/root.crt", "certificates/local/a.test/a.test.crt"], ctmp)
    check(ok, "caddy created its CA and a leaf")
    if not ok:
        with open(os.path.join(ctmp, "caddy.log")) as f:
            print(f.read()[-2000:])
        return
    caddy_root = fingerprint(root_of(store))
    proc, servers, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        check(fingerprint(root_of(store)) == caddy_root, "gatehouse keeps caddy's root")
        for name in ("a.test", "localhost"):
            rc, out, err = tls_pki.curl(["--cacert", root_of(store), "--resolve", "%s:%d:127.0.0.1" % (name, sp),
                                         "https://%s:%d/" % (name, sp)])
            check(rc == 0, "%s served by gatehouse, trusted by caddy's root: %s" % (name, err.strip()))
    finally:
        stop(proc, drain)
    # Gatehouse creates the CA; caddy serves from it.
    gtmp = os.path.join(tmp, "from-gatehouse")
    os.makedirs(gtmp)
    store = os.path.join(gtmp, "store")
    cfg = write(gtmp, "Caddyfile", caddyfile(store, hp, sp, SITES, "\tskip_install_trust\n"))
    proc, servers, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    stop(proc, drain)
    ours = fingerprint(root_of(store))
    ok = run_caddy(cfg, store, ["pki/authorities/local/root.crt"], gtmp)
    check(ok and fingerprint(root_of(store)) == ours, "caddy keeps gatehouse's root")
    with open(os.path.join(gtmp, "caddy.log")) as f:
        log = f.read()
    errors = [line for line in log.splitlines() if '"level":"error"' in line]
    check(not errors, "caddy logged no errors with gatehouse's CA: %s" % errors[:3])


def renewal_checks(binary, tmp):
    store = os.path.join(tmp, "renew-store")
    hp, sp = tls_pki.free_port(), tls_pki.free_port()
    site = "r.test {\n\tbind 127.0.0.1\n\ttls {\n\t\tissuer internal {\n\t\t\tlifetime 15s\n\t\t}\n\t}\n\trespond r\n}\n"
    cfg = write(tmp, "Caddyfile.renew", caddyfile(store, hp, sp, site))
    proc, servers, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        first = served_leaf_fp(sp, "r.test")
        check(first is not None, "short-lived leaf served")
        changed = None
        deadline = time.time() + 30
        while time.time() < deadline:
            time.sleep(1)
            fp = served_leaf_fp(sp, "r.test")
            if fp and fp != first:
                changed = fp
                break
        check(changed is not None, "leaf renewed while serving (15s lifetime)")
        rc, out, err = tls_pki.curl(["--cacert", root_of(store), "--resolve", "r.test:%d:127.0.0.1" % sp,
                                     "https://r.test:%d/" % sp])
        check(rc == 0 and out == "r", "renewed leaf verifies: %s" % err.strip())
    finally:
        stop(proc, drain)


def trust_checks(binary, tmp, store, cfg):
    """trust/untrust in an isolated store (GATEHOUSE_TRUST_STORE, the real update-ca-certificates
    run on its own directories): the machine's trust store is never changed."""
    system = dict(os.environ)
    system.pop("GATEHOUSE_TRUST_STORE", None)
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    if os.geteuid() != 0:
        p = subprocess.run([binary, "trust", "--config", cfg], capture_output=True, text=True, timeout=60, env=system)
        check(p.returncode == 1 and "needs root" in p.stderr, "trust refused without root: %s" % p.stderr.strip())
    elif shutil.which("setpriv"):
        p = subprocess.run(nobody + [binary, "untrust"], capture_output=True, text=True, timeout=30, env=system)
        check(p.returncode == 1 and "needs root" in p.stderr, "untrust refused without root: %s" % p.stderr.strip())
    isolated = os.path.join(tmp, "truststore")
    env = dict(os.environ, GATEHOUSE_TRUST_STORE=isolated)
    installed = os.path.join(isolated, "local", "gatehouse-local-local.crt")
    bundle = os.path.join(isolated, "etc", "ca-certificates.crt")

    def in_bundle():
        if not os.path.exists(bundle):
            return False
        with open(bundle) as f, open(root_of(store)) as r:
            return r.read().strip() in f.read()

    p = subprocess.run([binary, "trust", "--config", cfg], capture_output=True, text=True, timeout=180, env=env)
    check(p.returncode == 0 and os.path.exists(installed), "trust installs the root: %s" % p.stderr.strip())
    check(in_bundle(), "root in the store's bundle")
    p = subprocess.run([binary, "untrust"], capture_output=True, text=True, timeout=180, env=env)
    check(p.returncode == 0 and not os.path.exists(installed), "untrust removes it: %s" % p.stderr.strip())
    check(not in_bundle(), "root gone from the store's bundle")


def main():
    binary = os.path.abspath(sys.argv[1])
    if shutil.which("curl") is None or shutil.which("openssl") is None:
        print("skip: curl and openssl needed")
        return 77
    tmp = tempfile.mkdtemp(prefix="gh-internal-")
    try:
        store, cfg = serve_checks(binary, tmp)
        renewal_checks(binary, tmp)
        caddy_checks(binary, tmp)
        trust_checks(binary, tmp, store, cfg)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
