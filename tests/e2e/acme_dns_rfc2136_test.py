#!/usr/bin/env python3
"""End-to-end: DNS-01 through RFC 2136 dynamic updates signed with TSIG, to a real BIND.

BIND (`named`, started here on a loopback port, zone example.test with a TSIG key) is the
authoritative server; pebble's VA resolves through it (pebble -dnsserver), so the TXT
records Gatehouse writes are what pebble validates. Pebble keeps its default 5% nonce
rejection.

 1. `gatehouse run` with `acme_dns rfc2136 { key_name key_alg key server }` (the
    caddy-dns/rfc2136 syntax) and `tls { resolvers <bind> }`: certificates for example.test
    and *.example.test, obtained through DNS-01 (propagation checked at the zone's
    authoritative server) and served: curl --cacert with pebble's roots verifies both names.
    The TXT records are gone from the zone afterwards.
 2. `gatehouse certs` with the same provider writes a certificate for *.example.test.
 3. A wrong TSIG key: the update is refused by BIND, the order fails with that reason
    logged and a retry scheduled (no hang, no crash).
 4. CNAME delegation: _acme-challenge.alias.example.test is a CNAME to
    _acme-challenge.delegated.example.test and `dns_challenge_override_domain` names the
    latter: the record goes there, pebble follows the CNAME, alias.example.test is served.
Usage: acme_dns_rfc2136_test.py <path-to-gatehouse>
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import bind_dns  # noqa: E402
import tls_pki  # noqa: E402

FAILURES = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def provider_block(bind, key=None):
    return ("\tacme_dns rfc2136 {\n\t\tkey_name %s\n\t\tkey_alg hmac-sha256\n\t\tkey %s\n\t\tserver %s\n\t}\n"
            % (bind.key_name, key or bind.secret, bind.address))


def write_caddyfile(tmp, pebble, bind, storage, name="Caddyfile", key=None):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("{\n\temail a@b.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n\thttps_port %d\n"
                "\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n\tadmin off\n%s}\n\n"
                % (pebble.directory, pebble.cert, pebble.http_port, pebble.tls_port, storage,
                   provider_block(bind, key)))
        f.write("example.test, *.example.test {\n\ttls {\n\t\tresolvers %s\n\t}\n"
                "\trespond \"hello {http.request.tls.server_name}\"\n}\n" % bind.address)
    return path


def roots_file(tmp, pebble):
    path = os.path.join(tmp, "pebble-roots.pem")
    with open(path, "w") as f:
        f.write(pebble.management("/roots/0"))
    return path


curl_https = acme_pebble.curl_https


wait_serving = acme_pebble.wait_serving


def stop(proc, drain):
    rc, report, lines = acme_pebble.stop_server(proc, drain, 30)
    check(rc == 0, "clean exit (rc=%s)" % rc)
    check(report == "", "no sanitizer report")
    return lines


def msgs(lines, msg):
    return [e for e in lines if e.get("msg") == msg]


def env_for(bind):
    # The zone's NS (ns1.example.test = 127.0.0.1) listens on BIND's test port, not 53.
    return dict(os.environ, GATEHOUSE_TEST_DNS_AUTH_PORT=str(bind.port))


def dns_challenges(binary, cfg):
    """challenges.dns of every ACME issuer in `gatehouse adapt`'s JSON."""
    import json
    p = subprocess.run([binary, "adapt", "--config", cfg], capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, "adapt succeeds: %s" % p.stderr[-500:])
    out = []
    policies = json.loads(p.stdout or "{}").get("apps", {}).get("tls", {}).get("automation", {}).get("policies", [])
    for pol in policies:
        for iss in pol.get("issuers", []):
            if "dns" in iss.get("challenges", {}):
                out.append(iss["challenges"]["dns"])
    return out


def run_mode(binary, tmp, pebble, bind):
    storage = os.path.join(tmp, "storage-run")
    cfg = write_caddyfile(tmp, pebble, bind, storage)
    # The JSON the caddy-dns/rfc2136 plugin serializes: provider "name" plus its four fields.
    dns = dns_challenges(binary, cfg)
    want = {"name": "rfc2136", "key_name": bind.key_name, "key_alg": "hmac-sha256", "key": bind.secret,
            "server": bind.address}
    check(dns and all(d.get("provider") == want for d in dns), "adapt: the plugin's provider JSON: %s" % dns)
    check(any(d.get("resolvers") == [bind.address] for d in dns), "adapt: the site's resolvers: %s" % dns)
    roots = roots_file(tmp, pebble)
    started = time.time()
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile", env=env_for(bind))
    try:
        for name in ("example.test", "foo.example.test"):
            took = wait_serving(name, pebble.tls_port, roots, 90)
            check(took is not None, "%s served with a pebble certificate (%.1fs from start)"
                  % (name, time.time() - started))
            rc, out, err = curl_https(name, pebble.tls_port, roots)
            check(rc == 0 and out == "hello " + name, "%s answers over verified HTTPS: %r %s" % (name, out, err))
        # Cleanup runs right after validation; give it a moment.
        deadline = time.time() + 10
        while time.time() < deadline and bind.txt("_acme-challenge.example.test"):
            time.sleep(0.2)
        check(bind.txt("_acme-challenge.example.test") == [], "TXT records removed from the zone")
    finally:
        lines = stop(proc, drain)
    obtained = sorted(e.get("identifier") for e in msgs(lines, "certificate obtained successfully"))
    check(obtained == ["*.example.test", "example.test"], "log: both obtained: %s" % obtained)
    types = {e.get("challenge_type") for e in msgs(lines, "trying to solve challenge")}
    check(types == {"dns-01"}, "only dns-01 was used: %s" % types)
    presented = msgs(lines, "presenting DNS-01 TXT record")
    check(presented and all(e.get("provider") == "rfc2136" and e.get("zone") == "example.test."
                            and e.get("record") == "_acme-challenge.example.test." for e in presented),
          "log: record, zone and provider named: %s" % presented[:1])
    check(len(msgs(lines, "TXT record is served by the authoritative nameservers")) >= 2,
          "log: propagation confirmed at the authoritative server")
    check(len(msgs(lines, "TXT record removed")) >= 2, "log: records removed")
    issuer = "127.0.0.1-%d-dir" % pebble.port
    check(os.path.exists(os.path.join(storage, "certificates", issuer, "wildcard_.example.test",
                                      "wildcard_.example.test.crt")), "wildcard stored under certmagic's name")


def certs_mode(binary, tmp, pebble, bind):
    out = os.path.join(tmp, "out")
    config = os.path.join(tmp, "certs.Caddyfile")
    acme_pebble.write_certs_config(config, pebble, os.path.join(tmp, "storage-certs"),
                                   "certificates *.example.test {\n\tfullchain %s/fullchain.pem\n"
                                   "\tprivkey %s/privkey.pem\n}\n" % (out, out),
                                   extra=provider_block(bind) + "\ttls_resolvers %s\n" % bind.address)
    start = time.time()
    p = subprocess.run([binary, "certs", "--config", config], capture_output=True, text=True, timeout=150,
                       env=env_for(bind))
    check(p.returncode == 0, "certs with acme_dns rfc2136: exit %d in %.1fs%s"
          % (p.returncode, time.time() - start, "" if p.returncode == 0 else "\n" + p.stderr[-3000:]))
    fullchain = os.path.join(out, "fullchain.pem")
    if os.path.exists(fullchain):
        text = subprocess.run(["openssl", "x509", "-in", fullchain, "-noout", "-ext", "subjectAltName"],
                              capture_output=True, text=True, timeout=30).stdout
        check("DNS:*.example.test" in text, "certs: wildcard SAN: %s" % text.strip())


def wrong_key(binary, tmp, pebble, bind):
    import base64
    storage = os.path.join(tmp, "storage-badkey")
    bad = base64.b64encode(b"x" * 32).decode()
    cfg = write_caddyfile(tmp, pebble, bind, storage, name="Caddyfile.badkey", key=bad)
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile", env=env_for(bind))
    try:
        deadline = time.time() + 30
        seen = False
        while time.time() < deadline and not seen:
            time.sleep(0.5)
            seen = "will retry" in drain.text()
    finally:
        lines = stop(proc, drain)
    errors = [e for e in lines if e.get("msg") == "DNS provider could not add the TXT record; the order fails and is retried later"]
    check(errors and "refused the update" in errors[0].get("error", "") or
          errors and "TSIG" in errors[0].get("error", "").upper(), "bad key: BIND's refusal logged: %s" % errors[:1])
    check(any(msgs(lines, "will retry")), "bad key: a retry is scheduled")
    check(bad not in drain.text() and bind.secret not in drain.text(), "no key material in the log")


def override_domain(binary, tmp, pebble, bind):
    bind.nsupdate("update add _acme-challenge.alias.example.test. 60 IN CNAME _acme-challenge.delegated.example.test.")
    storage = os.path.join(tmp, "storage-override")
    cfg = os.path.join(tmp, "Caddyfile.override")
    with open(cfg, "w") as f:
        f.write("{\n\temail a@b.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n\thttps_port %d\n"
                "\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n\tadmin off\n}\n\n"
                % (pebble.directory, pebble.cert, pebble.http_port, pebble.tls_port, storage))
        f.write("alias.example.test {\n\ttls {\n\t\tdns rfc2136 {\n\t\t\tkey_name %s\n\t\t\tkey_alg hmac-sha256\n"
                "\t\t\tkey %s\n\t\t\tserver %s\n\t\t}\n\t\tresolvers %s\n"
                "\t\tdns_challenge_override_domain _acme-challenge.delegated.example.test\n\t}\n"
                "\trespond \"alias\"\n}\n" % (bind.key_name, bind.secret, bind.address, bind.address))
    roots = roots_file(tmp, pebble)
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile", env=env_for(bind))
    try:
        check(wait_serving("alias.example.test", pebble.tls_port, roots, 60) is not None,
              "override domain: alias.example.test served")
    finally:
        lines = stop(proc, drain)
    records = {e.get("record") for e in msgs(lines, "TXT record added")}
    check(records == {"_acme-challenge.delegated.example.test."}, "override domain: record written there: %s" % records)


def main():
    binary = sys.argv[1]
    acme_pebble.require_pebble()
    bind_dns.require_bind()
    if shutil.which("curl") is None:
        print("SKIP: curl not installed")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        bind = bind_dns.Bind(tmp)
        try:
            pebble = acme_pebble.Pebble(tmp, dnsserver=bind.address)
            try:
                run_mode(binary, tmp, pebble, bind)
                certs_mode(binary, tmp, pebble, bind)
                wrong_key(binary, tmp, pebble, bind)
                override_domain(binary, tmp, pebble, bind)
            finally:
                pebble.stop()
        finally:
            bind.stop()
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
