#!/usr/bin/env python3
"""End-to-end: an RSA ACME account key (JWS RS256) against Debian's pebble.

The account key in storage (certmagic's acme/<issuer>/users/<email>/<user>.key, e.g. an
account moved from another client) is RSA 2048: `gatehouse certs` looks the account up with
it, registers it when the CA does not know it, and signs every request with RS256; the
certificate is obtained and the key file is kept as it was. Pebble's default 5% nonce
rejection stays on.
Usage: acme_rsa_account_test.py <path-to-gatehouse>
"""
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402

from harness import check  # noqa: E402


def main():
    return acme_pebble.run_with_pebble(run)


def run(binary, tmp, pebble):
    storage = os.path.join(tmp, "storage")
    out = os.path.join(tmp, "out")
    users = os.path.join(storage, "acme", f"127.0.0.1-{pebble.port}-dir", "users", "admin@a.test")
    os.makedirs(users, mode=0o700)
    key_path = os.path.join(users, "admin.key")
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", key_path], check=True, capture_output=True, timeout=60)
    os.chmod(key_path, 0o600)
    key_before = open(key_path).read()
    config = os.path.join(tmp, "certs.Caddyfile")
    acme_pebble.write_certs_config(config, pebble, storage, f"""certificates r.test {{
\tfullchain {out}/fullchain.pem
\tprivkey {out}/privkey.pem
}}
""")
    code, log, raw, elapsed = acme_pebble.run_certs(binary, config)
    print(f"run: exit {code} in {elapsed:.2f}s")
    check(code == 0, f"exit 0 with an RSA account key:\n{raw[-3000:]}")
    msgs = acme_pebble.messages(log)
    check("stored ACME account unknown to the CA; registering" in msgs,
          "the stored RSA key is looked up, then registered")
    check("certificate obtained successfully" in msgs, "certificate obtained")
    check(os.path.exists(os.path.join(out, "fullchain.pem")), "fullchain written")
    check(open(key_path).read() == key_before, "the RSA account key is kept")
    reg_path = os.path.join(users, "admin.json")
    check(os.path.exists(reg_path), "registration stored")
    if os.path.exists(reg_path):
        reg = json.load(open(reg_path))
        key = reg.get("key")
        if key is not None:
            check(key.get("kty") == "RSA", f"the CA registered an RSA key: {key}")
        else:
            print("(pebble's account object carries no key; RS256 shown by the registration)")
    # A second name: the registered RSA account is found (no new registration) and orders.
    acme_pebble.write_certs_config(config, pebble, storage, f"""certificates s.test {{
\tfullchain {out}/s-fullchain.pem
\tprivkey {out}/s-privkey.pem
}}
""")
    code, log, raw, _ = acme_pebble.run_certs(binary, config)
    msgs = acme_pebble.messages(log)
    check(code == 0 and "using stored ACME account" in msgs and "certificate obtained successfully" in msgs,
          f"second run orders with the registered RSA account:\n{raw[-2000:]}")
    check("stored ACME account unknown to the CA; registering" not in msgs, "no second registration")


if __name__ == "__main__":
    sys.exit(main())
