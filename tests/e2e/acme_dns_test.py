#!/usr/bin/env python3
"""End-to-end: DNS-01 through `acme_dns exec` (lego's exec protocol) for a wildcard name.

The exec program publishes the TXT record in pebble-challtestsrv (the DNS server pebble's VA
asks) through its management API, then removes it on cleanup.
Usage: acme_dns_test.py <path-to-gatehouse>
"""
import os
import stat
import subprocess
import sys

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402

from harness import check  # noqa: E402


HOOK = """#!/bin/sh
# exec DNS provider for the test: $1 = present|cleanup, $2 = FQDN, $3 = TXT value
echo "$1 $2 $3" >> {calls}
case "$1" in
  present) curl -sf -m 5 -d "{{\\"host\\":\\"$2\\",\\"value\\":\\"$3\\"}}" http://127.0.0.1:{port}/set-txt ;;
  cleanup) curl -sf -m 5 -d "{{\\"host\\":\\"$2\\"}}" http://127.0.0.1:{port}/clear-txt ;;
  *) exit 2 ;;
esac
"""


def main():
    return acme_pebble.run_with_pebble(run)


def run(binary, tmp, pebble):
    calls = os.path.join(tmp, "calls")
    hook = os.path.join(tmp, "dns-hook.sh")
    with open(hook, "w") as f:
        f.write(HOOK.format(calls=calls, port=pebble.chall_mgmt))
    os.chmod(hook, 0o755)
    out = os.path.join(tmp, "out")
    config = os.path.join(tmp, "certs.Caddyfile")
    acme_pebble.write_certs_config(config, pebble, os.path.join(tmp, "storage"), f"""certificates *.w.test w.test {{
\tfullchain {out}/fullchain.pem
\tprivkey {out}/privkey.pem
}}
""", extra=f"\tacme_dns exec {hook}\n")
    code, log, raw, elapsed = acme_pebble.run_certs(binary, config)
    print(f"DNS-01 wildcard: exit {code} in {elapsed:.2f}s")
    check(code == 0, f"DNS-01 issuance succeeds:\n{raw[-3000:]}")
    fullchain = os.path.join(out, "fullchain.pem")
    if os.path.exists(fullchain):
        text = subprocess.run(["openssl", "x509", "-in", fullchain, "-noout", "-ext", "subjectAltName"],
                              capture_output=True, text=True, timeout=30).stdout
        check("DNS:*.w.test" in text and "DNS:w.test" in text, f"SANs: {text}")
        check(stat.S_IMODE(os.stat(os.path.join(out, "privkey.pem")).st_mode) == 0o600, "privkey is 0600")
    lines = open(calls).read().splitlines() if os.path.exists(calls) else []
    check(sum(1 for l in lines if l.startswith("present _acme-challenge.w.test. ")) == 2,
          f"present called per authorization with the FQDN: {lines}")
    check(sum(1 for l in lines if l.startswith("cleanup ")) == 2, f"cleanup called: {lines}")
    storage_name = os.path.join(tmp, "storage", "certificates", f"127.0.0.1-{pebble.port}-dir",
                                "wildcard_.w.testw.test")
    check(os.path.isdir(storage_name), f"stored under certmagic's safe name {storage_name}")


if __name__ == "__main__":
    sys.exit(main())
