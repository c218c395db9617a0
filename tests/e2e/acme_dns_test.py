#!/usr/bin/env python3
"""End-to-end: DNS-01 through `acme_dns exec` (lego's exec protocol) for a wildcard name.

The exec program publishes the TXT record in pebble-challtestsrv (the DNS server pebble's VA
asks) through its management API, then removes it on cleanup.
 1. `gatehouse certs` with `acme_dns exec <hook>`: *.w.test and w.test in one certificate.
 2. `gatehouse run` with `tls { dns exec <hook> }` on a *.r.test site: the wildcard
    certificate is obtained through DNS-01 and served; curl --cacert with pebble's root
    verifies it for a name under the wildcard. Pebble keeps its default 5% nonce rejection.
Usage: acme_dns_test.py <path-to-gatehouse>
"""
import os
import stat
import subprocess
import sys

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import harness  # noqa: E402

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
    run_mode(binary, tmp, pebble, hook)


def run_mode(binary, tmp, pebble, hook):
    roots = os.path.join(tmp, "pebble-roots.pem")
    with open(roots, "w") as f:
        f.write(pebble.management("/roots/0"))
    cfg = os.path.join(tmp, "Caddyfile")
    with open(cfg, "w") as f:
        f.write(f"""{{
\temail a@b.test
\tacme_ca {pebble.directory}
\tacme_ca_root {pebble.cert}
\thttp_port {pebble.http_port}
\thttps_port {pebble.tls_port}
\tdefault_bind 127.0.0.1
\tstorage file_system {tmp}/storage-run
\tadmin off
}}

*.r.test {{
\ttls {{
\t\tdns exec {hook}
\t\tpropagation_timeout -1
\t}}
\trespond "wild {{http.request.host}}"
}}
""")
    proc, _, drain, _ = harness.start(binary, cfg, adapter="caddyfile")
    try:
        took = acme_pebble.wait_serving("x.r.test", pebble.tls_port, roots, 60)
        check(took is not None, "run: *.r.test served with a pebble certificate through DNS-01 exec")
        rc, out, err = acme_pebble.curl_https("x.r.test", pebble.tls_port, roots)
        check(rc == 0 and out == "wild x.r.test", f"run: verified HTTPS answer {rc} {out!r} {err}")
    finally:
        rc, report, lines = acme_pebble.stop_server(proc, drain, 30)
    check(rc == 0 and report == "", f"run: clean exit ({rc}), no sanitizer report:\n{report[-2000:]}")
    obtained = [e for e in lines if e.get("msg") == "certificate obtained successfully"]
    check([e.get("identifier") for e in obtained] == ["*.r.test"], f"run: one wildcard order: {obtained}")
    tried = [e for e in lines if e.get("msg") == "obtaining certificate"]
    check(tried and tried[0].get("challenges") == ["dns-01"], f"run: DNS-01 was the challenge: {tried}")


if __name__ == "__main__":
    sys.exit(main())
