"""Storage cleaning against the real caddy 2.6.2: two identical storages (expired and valid
certificates, expired, current and corrupt OCSP staples, an empty site folder, stray
entries, a symbolic link pointing outside the storage) are cleaned by caddy and by gatehouse
running the same Caddyfile with `storage_clean_interval 2s`; the files left must be the same,
and so must the certmagic lines naming what was deleted. Then a certificate expired 20 days
ago is added to each storage while it runs: the next interval's pass removes it from both.
Then gatehouse with the default interval cleans once at start, and with `storage_clean_interval
off` (Caddy 2.7+ syntax) not at all. Last, a reload right after the start-up pass: as caddy,
no pass then and one an interval after the reload."""
import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

import harness

ISSUER = "acme-v02.api.letsencrypt.org-directory"
NOW = datetime.datetime.now(datetime.timezone.utc)
CA_KEY = ec.generate_private_key(ec.SECP256R1())
CA_NAME = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "crafted CA")])
CA = (x509.CertificateBuilder().subject_name(CA_NAME).issuer_name(CA_NAME).public_key(CA_KEY.public_key())
      .serial_number(1).not_valid_before(NOW - datetime.timedelta(days=400))
      .not_valid_after(NOW + datetime.timedelta(days=400))
      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(CA_KEY, hashes.SHA256()))


def leaf(name, days):
    key = ec.generate_private_key(ec.SECP256R1())
    not_after = NOW + datetime.timedelta(days=days)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(CA_NAME).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_after - datetime.timedelta(days=90)).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(CA_KEY, hashes.SHA256()))
    return key, cert


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def site(root, issuer, name, days, parts=("crt", "key", "json")):
    key, cert = leaf(name, days)
    base = os.path.join(root, "certificates", issuer, name, name)
    pem = serialization.Encoding.PEM
    if "crt" in parts:
        write(base + ".crt", cert.public_bytes(pem) + CA.public_bytes(pem))
    if "key" in parts:
        write(base + ".key", key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    if "json" in parts:
        write(base + ".json", json.dumps({"sans": [name], "issuer_data": {}}).encode())
    return cert


def staple(root, name, cert, next_days):
    nxt = None if next_days is None else NOW + datetime.timedelta(days=next_days)
    resp = (ocsp.OCSPResponseBuilder()
            .add_response(cert=cert, issuer=CA, algorithm=hashes.SHA1(), cert_status=ocsp.OCSPCertStatus.GOOD,
                          this_update=NOW - datetime.timedelta(days=10), next_update=nxt, revocation_time=None,
                          revocation_reason=None)
            .responder_id(ocsp.OCSPResponderEncoding.HASH, CA).sign(CA_KEY, hashes.SHA256()))
    write(os.path.join(root, "ocsp", name), resp.public_bytes(serialization.Encoding.DER))


def fill(root):
    """The storage both servers clean."""
    valid = site(root, ISSUER, "valid.example", 60)
    old = site(root, ISSUER, "expired20.example", -20)
    recent = site(root, ISSUER, "expired5.example", -5)
    site(root, ISSUER, "edge13.example", -13.9)
    site(root, ISSUER, "edge15.example", -14.1)
    site(root, ISSUER, "extra.example", -40)
    write(os.path.join(root, "certificates", ISSUER, "extra.example", "notes.txt"), b"kept\n")
    site(root, "other-issuer", "old.example", -30, parts=("crt", "key"))
    site(root, "127.0.0.1-14000-dir", "wildcard_.a.test", -16)
    os.makedirs(os.path.join(root, "certificates", ISSUER, "empty.example"))
    write(os.path.join(root, "certificates", ISSUER, "stray.txt"), b"a stray entry\n")
    write(os.path.join(root, "certificates", "stray-top.txt"), b"kept\n")
    outside = root + "-outside"
    site(outside, ISSUER, "linked.example", -30)
    os.symlink(os.path.join(outside, "certificates", ISSUER, "linked.example"),
               os.path.join(root, "certificates", ISSUER, "linked.example"))
    staple(root, "valid.example-1", valid, 3)
    staple(root, "expired20.example-1", old, -2)
    staple(root, "expired5.example-1", recent, None)
    write(os.path.join(root, "ocsp", "corrupt"), b"not an OCSP response")
    write(os.path.join(root, "locks", "stale.lock"), b'{"created":"2020-01-01T00:00:00Z"}')
    write(os.path.join(root, "acme", ISSUER, "users", "a@b.c", "a.json"), b"{}")


def tree(root):
    """Every entry under the storage (and the outside folder), as relative paths."""
    out = set()
    for base in (root, root + "-outside"):
        for dirpath, dirnames, filenames in os.walk(base):
            for n in dirnames + filenames:
                rel = os.path.relpath(os.path.join(dirpath, n), os.path.dirname(root))
                rel = rel.replace(os.path.basename(root), "STORE", 1)
                if not rel.startswith(("STORE/pki", "STORE/locks/issue_cert_", "STORE/last_clean")):
                    out.add(rel)
    return out


def deletions(text):
    """certmagic's lines naming what it deleted, with the time since expiry cut off."""
    out = []
    for line in text.splitlines():
        try:
            msg = json.loads(line).get("msg", "")
        except ValueError:
            continue
        if msg.startswith(("[INFO] Deleting", "[INFO] Certificate", "[ERROR]")):
            out.append(re.sub(r"expired \S+ ago", "expired ... ago", re.sub(r"/tmp/\S+?/data/caddy", "ROOT", msg)))
    return out


def count(text, msg):
    return sum(1 for line in text.splitlines() if '"msg":"%s"' % msg in line)


def wait_for(read, msg, n, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if count(read(), msg) >= n:
            return True
        time.sleep(0.1)
    return False


CADDYFILE = """{
	admin off
	skip_install_trust
%s}
http://127.0.0.1:%d {
	respond "hi"
}
"""


RELOAD_CADDYFILE = """{
	%s
	skip_install_trust
	storage_clean_interval 6s
}
http://127.0.0.1:%d {
	respond "%s"
}
"""


def reload_passes(binary, base):
    """A reload right after the start-up pass: neither server cleans again then (the last pass
    began less than half an interval ago), and the next pass comes one interval after the
    reload, once (the replaced config's schedule does not clean too). The pass counts at
    those two moments, for caddy and for gatehouse."""
    counts = {}
    for who in ("caddy", "gatehouse"):
        home = os.path.join(base, who)
        root = os.path.join(home, "data", "caddy")
        site(root, ISSUER, "expired20.example", -20)
        port, admin = harness.free_port(), harness.free_port()
        path = os.path.join(home, "Caddyfile")
        admin_line = "admin 127.0.0.1:%d" % admin if who == "caddy" else "admin off"
        with open(path, "w") as f:
            f.write(RELOAD_CADDYFILE % (admin_line, port, "v1"))
        env = dict(os.environ, XDG_DATA_HOME=os.path.join(home, "data"), XDG_CONFIG_HOME=home, HOME=home)
        if who == "caddy":
            log_path = os.path.join(home, "caddy.log")
            log = open(log_path, "w")
            proc = subprocess.Popen(["caddy", "run", "--adapter", "caddyfile", "--config", path], stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)

            def text():
                with open(log_path) as f:
                    return f.read()
        else:
            proc, _, drain, _ = harness.start(binary, path, adapter="caddyfile", workers=1, env=env)
            text = drain.text
        try:
            harness.check(wait_for(text, "finished cleaning storage units", 1, 15), "%s: cleaned at start" % who)
            with open(path + ".tmp", "w") as f:
                f.write(RELOAD_CADDYFILE % (admin_line, port, "v2"))
            os.replace(path + ".tmp", path)
            reloaded = time.time()
            if who == "caddy":
                rc = subprocess.run(["caddy", "reload", "--adapter", "caddyfile", "--config", path, "--address",
                                     "127.0.0.1:%d" % admin], capture_output=True, env=env, timeout=30).returncode
                harness.check(rc == 0, "caddy reloaded")
            else:
                proc.send_signal(signal.SIGUSR1)
            time.sleep(max(0.0, reloaded + 2 - time.time()))
            first = count(text(), "cleaning storage unit")
            body = urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=5).read()
            harness.check(body == b"v2", "%s: the reloaded config is served" % who)
            # the pass an interval (6 s) after the reload: by +8 s, or later if the reload
            # itself reached the server late (a `caddy reload` start on a loaded machine)
            time.sleep(max(0.0, reloaded + 8 - time.time()))
            wait_for(text, "cleaning storage unit", first + 1, max(0.0, reloaded + 14 - time.time()))
            counts[who] = (first, count(text(), "cleaning storage unit"))
        finally:
            if who == "caddy":
                proc.terminate()
                proc.wait(10)
                log.close()
            else:
                harness.stop(proc, drain)
    return counts


def main():
    binary = sys.argv[1]
    if shutil.which("caddy") is None:
        print("caddy not installed")
        return 77

    port = harness.free_port()
    caddy_dir = tempfile.mkdtemp(prefix="gh-storageclean-caddy-")
    gh_dir = tempfile.mkdtemp(prefix="gh-storageclean-gh-")
    procs = []
    try:
        caddy_root = os.path.join(caddy_dir, "data", "caddy")
        gh_root = os.path.join(gh_dir, "data", "caddy")
        fill(caddy_root)
        fill(gh_root)
        before = tree(gh_root)
        harness.check(tree(caddy_root) == before, "the two storages start identical")

        caddyfile = os.path.join(caddy_dir, "Caddyfile")
        with open(caddyfile, "w") as f:
            f.write(CADDYFILE % ("\tstorage_clean_interval 2s\n", port))
        env = dict(os.environ, XDG_DATA_HOME=os.path.join(caddy_dir, "data"), XDG_CONFIG_HOME=caddy_dir,
                   HOME=caddy_dir)
        caddy_log_path = os.path.join(caddy_dir, "caddy.log")
        caddy_log = open(caddy_log_path, "w")
        caddy = subprocess.Popen(["caddy", "run", "--adapter", "caddyfile", "--config", caddyfile], stdout=caddy_log,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        procs.append(caddy)

        def caddy_text():
            with open(caddy_log_path) as f:
                return f.read()

        gport = harness.free_port()
        gfile = os.path.join(gh_dir, "Caddyfile")
        with open(gfile, "w") as f:
            f.write(CADDYFILE % ("\tstorage_clean_interval 2s\n", gport))
        genv = dict(os.environ, XDG_DATA_HOME=os.path.join(gh_dir, "data"), XDG_CONFIG_HOME=gh_dir, HOME=gh_dir)
        proc, _, drain, _ = harness.start(binary, gfile, adapter="caddyfile", workers=1, env=genv)

        harness.check(wait_for(caddy_text, "finished cleaning storage units", 1, 15), "caddy cleaned at start")
        harness.check(wait_for(drain.text, "finished cleaning storage units", 1, 15), "gatehouse cleaned at start")
        after_caddy, after_gh = tree(caddy_root), tree(gh_root)
        harness.check(after_gh == after_caddy,
                      "same files left: only caddy %s, only gatehouse %s" %
                      (sorted(after_caddy - after_gh), sorted(after_gh - after_caddy)))
        harness.check("STORE/certificates/%s/valid.example/valid.example.key" % ISSUER in after_gh, "valid kept")
        harness.check("STORE/certificates/%s/edge13.example/edge13.example.crt" % ISSUER in after_gh,
                      "within the grace period kept")
        harness.check("STORE/certificates/%s/expired20.example" % ISSUER not in after_gh, "expired 20 days gone")
        harness.check("STORE-outside/certificates/%s/linked.example/linked.example.crt" % ISSUER in after_gh,
                      "nothing outside the storage touched")
        harness.check(before - after_gh, "something was cleaned")
        cd, gd = deletions(caddy_text()), deletions(drain.text())
        harness.check(cd and cd == gd, "same certmagic lines (%d)" % len(cd))
        if cd != gd:
            print("caddy:\n%s\ngatehouse:\n%s" % ("\n".join(cd), "\n".join(gd)))

        # The interval: a certificate expired 20 days ago, added now, goes at a later pass.
        n_caddy = count(caddy_text(), "finished cleaning storage units")
        n_gh = count(drain.text(), "finished cleaning storage units")
        for root in (caddy_root, gh_root):
            site(root, ISSUER, "late.example", -20)
        harness.check(wait_for(caddy_text, "finished cleaning storage units", n_caddy + 1, 10), "caddy cleaned again")
        harness.check(wait_for(drain.text, "finished cleaning storage units", n_gh + 1, 10),
                      "gatehouse cleaned again within the interval")
        for root in (caddy_root, gh_root):
            harness.check(not os.path.exists(os.path.join(root, "certificates", ISSUER, "late.example")),
                          "the late certificate went at the next pass (%s)" % root)
        harness.check(tree(caddy_root) == tree(gh_root), "same files after the interval's pass")
        # Passes keep coming on the 2 s grid, not faster.
        # (a 7 s window holds 3 or 4 grid points; a loaded machine may push the last one out)
        t0, n0 = time.time(), count(drain.text(), "finished cleaning storage units")
        time.sleep(7)
        passes = count(drain.text(), "finished cleaning storage units") - n0
        harness.check(2 <= passes <= 4, "a pass every 2 s (%d in %.1f s)" % (passes, time.time() - t0))
        harness.stop(proc, drain)
        caddy.terminate()
        caddy.wait(10)
        caddy_log.close()

        # Default interval: one pass at start; `off`: none.
        for interval, passes in (("", 1), ("\tstorage_clean_interval off\n", 0)):
            shutil.rmtree(gh_root)
            site(gh_root, ISSUER, "expired20.example", -20)
            with open(gfile, "w") as f:
                f.write(CADDYFILE % (interval, gport))
            proc, _, drain, _ = harness.start(binary, gfile, adapter="caddyfile", workers=1, env=genv)
            time.sleep(1.5)
            text = drain.text()
            harness.stop(proc, drain)
            harness.check(count(text, "cleaning storage unit") == passes, "%d pass(es) with %r" % (passes, interval))
            gone = not os.path.exists(os.path.join(gh_root, "certificates", ISSUER, "expired20.example"))
            harness.check(gone == (passes == 1), "cleaned only when on (%r)" % interval)

        counts = reload_passes(binary, tempfile.mkdtemp(prefix="reload-", dir=gh_dir))
        harness.check(counts["caddy"] == (1, 2), "caddy: no pass right after the reload, one an interval later (%s)"
                      % (counts["caddy"],))
        harness.check(counts["gatehouse"] == counts["caddy"], "gatehouse passes around a reload as caddy's (%s)"
                      % (counts["gatehouse"],))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(5)
        shutil.rmtree(caddy_dir, ignore_errors=True)
        shutil.rmtree(gh_dir, ignore_errors=True)
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
