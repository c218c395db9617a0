#!/usr/bin/env python3
"""End-to-end: `dns_ttl` of DNS-01 (JSON challenges.dns.ttl) with RFC 2136 updates to a real
BIND. The TXT record Gatehouse adds is looked up at BIND (dig) while the challenge is
presented (propagation_delay keeps it there for a few seconds) and its TTL must be the
configured one; without dns_ttl it is the provider's default (120 s, as libdns/rfc2136). The
zone's journal (named-journalprint) confirms the TTL of every update. Pebble (default 5%
nonce rejection) validates through BIND; curl --cacert verifies the certificate.
Usage: acme_dns_ttl_test.py <path-to-gatehouse>
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import bind_dns  # noqa: E402
import harness  # noqa: E402
import tls_pki  # noqa: E402

check = harness.check


def write_caddyfile(tmp, pebble, bind, name, site, ttl):
    path = os.path.join(tmp, "Caddyfile." + name)
    ttl_line = "\t\tdns_ttl %s\n" % ttl if ttl else ""
    with open(path, "w") as f:
        f.write("{\n\temail a@b.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n\thttps_port %d\n"
                "\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n\tadmin off\n}\n\n"
                % (pebble.directory, pebble.cert, pebble.http_port, pebble.tls_port,
                   os.path.join(tmp, "storage-" + name)))
        f.write("%s {\n\ttls {\n\t\tdns rfc2136 {\n\t\t\tkey_name %s\n\t\t\tkey_alg hmac-sha256\n"
                "\t\t\tkey %s\n\t\t\tserver %s\n\t\t}\n\t\tresolvers %s\n%s\t\tpropagation_delay 4s\n\t}\n"
                "\trespond \"ttl\"\n}\n" % (site, bind.key_name, bind.secret, bind.address, bind.address, ttl_line))
    return path


def txt_ttls(bind, name):
    """TTLs of the TXT records of `name` in BIND's answer (dig +noall +answer)."""
    p = subprocess.run(["dig", "+noall", "+answer", "+time=2", "+tries=1", "-p", str(bind.port), "@127.0.0.1",
                        name, "TXT"], capture_output=True, text=True, timeout=15)
    out = []
    for line in p.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[3] == "TXT":
            out.append(int(fields[1]))
    return out


def journal_adds(bind, name):
    """TTLs of the TXT additions for `name` in the zone's journal."""
    jnl = os.path.join(bind.dir, bind.zone + ".jnl")
    tool = shutil.which("named-journalprint") or "/usr/sbin/named-journalprint"
    if not os.path.exists(jnl):
        return []
    p = subprocess.run([tool, jnl], capture_output=True, text=True, timeout=15)
    out = []
    for line in p.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[0] == "add" and fields[1] == name + "." and fields[4] == "TXT":
            out.append(int(fields[2]))
    return out


def scenario(binary, tmp, pebble, bind, site, ttl, want):
    cfg = write_caddyfile(tmp, pebble, bind, site.split(".")[0], site, ttl)
    adapted = subprocess.run([binary, "adapt", "--config", cfg], capture_output=True, text=True, timeout=30)
    dns = [iss.get("challenges", {}).get("dns", {})
           for pol in json.loads(adapted.stdout or "{}").get("apps", {}).get("tls", {}).get("automation", {})
           .get("policies", []) for iss in pol.get("issuers", [])]
    if ttl:
        ttls = [d.get("ttl") for d in dns]
        check(want * 10**9 in ttls, "adapt: challenges.dns.ttl = %d s: %s" % (want, ttls))
    record = "_acme-challenge." + site
    roots = os.path.join(tmp, "pebble-roots.pem")
    with open(roots, "w") as f:
        f.write(pebble.management("/roots/0"))
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile", env=dict(
        os.environ, GATEHOUSE_TEST_DNS_AUTH_PORT=str(bind.port)))
    seen = []
    try:
        deadline = time.time() + 30
        while time.time() < deadline and not seen:
            seen = txt_ttls(bind, record)
            if not seen:
                time.sleep(0.1)
        check(seen and seen[0] <= want and seen[0] >= want - 2,
              "%s: BIND serves the TXT record with TTL %d (dig: %s)" % (site, want, seen))
        check(acme_pebble.wait_serving(site, pebble.tls_port, roots, 60) is not None,
              "%s served with a pebble certificate" % site)
        rc, out, _ = acme_pebble.curl_https(site, pebble.tls_port, roots)
        check(rc == 0 and out == "ttl", "curl --cacert verifies %s: %r" % (site, out))
    finally:
        rc, report, lines = acme_pebble.stop_server(proc, drain, 30)
    check(rc == 0 and report == "", "clean exit, no sanitizer report (rc=%s)" % rc)
    adds = journal_adds(bind, record)
    check(adds and all(t == want for t in adds), "%s: the journal's TXT additions have TTL %d: %s"
          % (site, want, adds))


def main():
    binary = sys.argv[1]
    acme_pebble.require_pebble()
    bind_dns.require_bind()
    with tempfile.TemporaryDirectory() as tmp:
        bind = bind_dns.Bind(tmp)
        try:
            pebble = acme_pebble.Pebble(tmp, dnsserver=bind.address)
            try:
                scenario(binary, tmp, pebble, bind, "ttl.example.test", "97s", 97)
                scenario(binary, tmp, pebble, bind, "minutes.example.test", "3m", 180)
                scenario(binary, tmp, pebble, bind, "default.example.test", None, 120)
            finally:
                pebble.stop()
        finally:
            bind.stop()
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
