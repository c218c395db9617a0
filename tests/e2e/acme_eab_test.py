#!/usr/bin/env python3
"""End-to-end: External Account Binding (RFC 8555 section 7.3.4) with pebble requiring it.

Without acme_eab the run fails with a clear message; with the CA-issued key id and MAC key
the account is registered and the certificate issued.
Usage: acme_eab_test.py <path-to-gatehouse>
"""
import os
import sys

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402

from harness import check  # noqa: E402

KEYS = {"kid-1": "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"}


def main():
    return acme_pebble.run_with_pebble(run, eab_keys=KEYS)


def run(binary, tmp, pebble):
    out = os.path.join(tmp, "out")
    block = f"certificates e.test {{\n\tfullchain {out}/f.pem\n\tprivkey {out}/k.pem\n}}\n"
    config = os.path.join(tmp, "certs.Caddyfile")
    acme_pebble.write_certs_config(config, pebble, os.path.join(tmp, "s1"), block)
    code, lines, raw, _ = acme_pebble.run_certs(binary, config)
    check(code == 1 and "requires external account binding" in raw, f"missing EAB is a clear error:\n{raw[-2000:]}")

    eab = "\tacme_eab {\n\t\tkey_id kid-1\n\t\tmac_key " + KEYS["kid-1"] + "\n\t}\n"
    acme_pebble.write_certs_config(config, pebble, os.path.join(tmp, "s2"), block, extra=eab)
    code, lines, raw, elapsed = acme_pebble.run_certs(binary, config)
    print(f"with EAB: exit {code} in {elapsed:.2f}s")
    check(code == 0, f"issuance with EAB succeeds:\n{raw[-3000:]}")
    check("new ACME account registered" in acme_pebble.messages(lines), "account registered with EAB")
    check(KEYS["kid-1"] not in raw, "the MAC key is not logged")

    bad = "\tacme_eab {\n\t\tkey_id kid-1\n\t\tmac_key " + "A" * 64 + "\n\t}\n"
    acme_pebble.write_certs_config(config, pebble, os.path.join(tmp, "s3"), block, extra=bad)
    code, lines, raw, _ = acme_pebble.run_certs(binary, config)
    errors = [l for l in lines if l.get("level") == "error"]
    check(code == 1 and errors and "problem" in errors[0], f"wrong MAC key: error with the CA's problem:\n{raw[-2000:]}")


if __name__ == "__main__":
    sys.exit(main())
