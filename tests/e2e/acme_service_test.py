#!/usr/bin/env python3
"""End-to-end: `gatehouse certs` against Debian's pebble with HTTP-01.

One certificate for two names is obtained through our own HTTP-01 listener, checked with
`openssl verify` against pebble's root and intermediate, written 0600 with the deploy hook
run; a second run reuses the stored certificate (no new order) and writes nothing; the
storage layout is certmagic's. A certificates block asking for an ACME profile the CA does
not list (pebble 2.4 offers none) places no order, fails with the CA's offer named, and writes
no file; the same block names the profile in its order when the CA offers it. Pebble's
default 5% nonce rejection stays on.
Usage: acme_service_test.py <path-to-gatehouse>
"""
import json
import os
import socket
import stat
import subprocess
import sys
import urllib.request

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402

from harness import check  # noqa: E402


def main():
    return acme_pebble.run_with_pebble(run)


def run(binary, tmp, pebble):
    storage = os.path.join(tmp, "storage")
    out = os.path.join(tmp, "out")
    marker = os.path.join(tmp, "deployed")
    config = os.path.join(tmp, "certs.Caddyfile")
    acme_pebble.write_certs_config(config, pebble, storage, f"""certificates a.test www.a.test {{
\tfullchain {out}/fullchain.pem
\tprivkey {out}/privkey.pem
\tmode 0600
\tdeploy "echo $GATEHOUSE_CERT_NAMES >> {marker}"
}}
""")
    code, log, raw, elapsed = acme_pebble.run_certs(binary, config)
    print(f"first run: exit {code} in {elapsed:.2f}s")
    check(code == 0, f"first run exits 0 (got {code}):\n{raw[-3000:]}")
    msgs = acme_pebble.messages(log)
    check("certificate obtained successfully" in msgs, "log says the certificate was obtained")
    check(msgs.count("trying to solve challenge") == 2, "one challenge per name")
    check(all("level" in l and "ts" in l and "logger" in l for l in log), "every log line is Caddy-style JSON")
    obtained = [l for l in log if l.get("msg") == "certificate obtained successfully"]
    if obtained:
        print(f"time to obtain 1 certificate (2 names): {obtained[0]['duration_ms']} ms")

    fullchain = os.path.join(out, "fullchain.pem")
    privkey = os.path.join(out, "privkey.pem")
    for p in (fullchain, privkey):
        check(os.path.exists(p), f"{p} written")
        if os.path.exists(p):
            check(stat.S_IMODE(os.stat(p).st_mode) == 0o600, f"{p} is 0600")
    if not os.path.exists(fullchain):
        return

    root = os.path.join(tmp, "root.pem")
    inter = os.path.join(tmp, "inter.pem")
    with open(root, "w") as f:
        f.write(pebble.management("/roots/0"))
    with open(inter, "w") as f:
        f.write(pebble.management("/intermediates/0"))
    v = subprocess.run(["openssl", "verify", "-CAfile", root, "-untrusted", inter, fullchain],
                       capture_output=True, text=True, timeout=30)
    check(v.returncode == 0 and ": OK" in v.stdout, f"openssl verify: {v.stdout}{v.stderr}")
    # The chain file holds leaf + intermediate; the SANs are both names.
    text = subprocess.run(["openssl", "x509", "-in", fullchain, "-noout", "-ext", "subjectAltName"],
                          capture_output=True, text=True, timeout=30).stdout
    check("DNS:a.test" in text and "DNS:www.a.test" in text, f"SANs: {text}")
    with open(fullchain) as f:
        check(f.read().count("BEGIN CERTIFICATE") == 2, "fullchain holds leaf + intermediate")
    # The key matches the certificate.
    pub_cert = subprocess.run(["openssl", "x509", "-in", fullchain, "-noout", "-pubkey"],
                              capture_output=True, text=True, timeout=30).stdout
    pub_key = subprocess.run(["openssl", "pkey", "-in", privkey, "-pubout"],
                             capture_output=True, text=True, timeout=30).stdout
    check(pub_cert and pub_cert == pub_key, "privkey.pem matches the certificate")
    check(os.path.exists(marker) and open(marker).read() == "a.test,www.a.test\n", "deploy hook ran once")

    # certmagic's layout: certificates/<issuer>/<name>/..., acme/<issuer>/users/<email>/...
    issuer = f"127.0.0.1-{pebble.port}-dir"
    site = os.path.join(storage, "certificates", issuer, "a.testwww.a.test")
    for ext in (".crt", ".key", ".json"):
        p = os.path.join(site, "a.testwww.a.test" + ext)
        check(os.path.exists(p), f"storage has {p}")
        if os.path.exists(p):
            check(stat.S_IMODE(os.stat(p).st_mode) == 0o600, f"{p} is 0600")
    meta_path = os.path.join(site, "a.testwww.a.test.json")
    if os.path.exists(meta_path):
        meta = json.load(open(meta_path))
        check(meta.get("sans") == ["a.test", "www.a.test"], f"meta sans: {meta}")
    users = os.path.join(storage, "acme", issuer, "users", "admin@a.test")
    check(os.path.exists(os.path.join(users, "admin.key")), "account key stored")
    check(os.path.exists(os.path.join(users, "admin.json")), "account registration stored")
    check(not os.listdir(os.path.join(storage, "locks")), "no lock left behind")

    # Second run: the stored certificate is reused, no order, no rewrite, no deploy; the
    # challenge port is not even needed (here another program holds it, as nginx would).
    before = os.stat(fullchain).st_mtime_ns
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind(("127.0.0.1", pebble.http_port))
    blocker.listen(1)
    try:
        code, log, raw, elapsed = acme_pebble.run_certs(binary, config)
    finally:
        blocker.close()
    print(f"second run: exit {code} in {elapsed:.2f}s")
    msgs = acme_pebble.messages(log)
    check(code == 0, f"second run exits 0:\n{raw[-2000:]}")
    check("creating order" not in msgs, "second run makes no new order")
    check("certificate files up to date" in msgs, "second run finds the files up to date")
    check(os.stat(fullchain).st_mtime_ns == before, "fullchain not rewritten")
    check(open(marker).read() == "a.test,www.a.test\n", "deploy hook not run again")

    # A deleted output file is restored from storage without a new order.
    os.unlink(privkey)
    code, log, raw, _ = acme_pebble.run_certs(binary, config)
    msgs = acme_pebble.messages(log)
    check(code == 0 and "creating order" not in msgs and os.path.exists(privkey),
          f"missing privkey restored from storage:\n{raw[-2000:]}")

    profile_refused(binary, tmp, pebble, storage)


def profile_refused(binary, tmp, pebble, storage):
    """`profile shortlived` in a certificates block: checked against the directory's
    meta.profiles before any order (as the acme issuer's profile in `gatehouse run`)."""
    with urllib.request.urlopen(pebble.directory, context=pebble.ctx, timeout=5) as r:
        offered = json.load(r).get("meta", {}).get("profiles") or {}
    print(f"pebble directory meta.profiles: {offered}")
    out = os.path.join(tmp, "pout")
    config = os.path.join(tmp, "profile.Caddyfile")
    acme_pebble.write_certs_config(config, pebble, storage, f"""certificates p.test {{
\tfullchain {out}/fullchain.pem
\tprivkey {out}/privkey.pem
\tprofile shortlived
}}
""")
    code, log, raw, _ = acme_pebble.run_certs(binary, config)
    obtaining = [l for l in log if l.get("msg") == "obtaining certificate"]
    check(obtaining and obtaining[0].get("profile") == "shortlived", f"the profile is logged: {obtaining}")
    orders = [l for l in log if l.get("msg") == "creating order"]
    if "shortlived" in offered:
        check(code == 0 and orders and orders[0].get("profile") == "shortlived",
              f"profile offered by the CA: the order names it:\n{raw[-2000:]}")
        return
    check(code == 1, f"profile the CA does not offer: exit 1 (got {code}):\n{raw[-2000:]}")
    check(not orders, "no order placed for a profile the CA does not offer")
    errors = [l for l in log if l.get("msg") == "could not get certificate from issuer"]
    check(errors and "offers no certificate profiles" in errors[0].get("error", "") and
          "shortlived" in errors[0].get("error", ""), f"the error names the CA's offer: {errors}")
    check(not os.path.exists(os.path.join(out, "fullchain.pem")), "no file written")


if __name__ == "__main__":
    sys.exit(main())
