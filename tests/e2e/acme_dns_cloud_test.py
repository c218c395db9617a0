#!/usr/bin/env python3
"""End-to-end: DNS-01 through the Cloudflare and Alibaba Cloud DNS providers, against local
fakes of their APIs (tests/e2e/dns_api_fakes.py: they check method, path, headers, the
bearer token / Alibaba's request signature and the body as the APIs document them) that
write the TXT record into a real BIND, which pebble's VA asks (pebble -dnsserver). Pebble
keeps its default 5% nonce rejection.

 1. Cloudflare, `gatehouse run`: `tls { dns cloudflare {env.CF_API_TOKEN} }` for
    cf.example.test; served and verified with pebble's roots; record deleted afterwards.
 2. Alibaba Cloud DNS, `gatehouse certs`: `acme_dns alidns { access_key_id ...
    access_key_secret ... }` for *.example.test; certificate written; record deleted.
 3. A wrong Cloudflare token: the API's error is logged with what happens next.
Usage: acme_dns_cloud_test.py <path-to-gatehouse>
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
import dns_api_fakes  # noqa: E402
import tls_pki  # noqa: E402

FAILURES = []
CF_TOKEN = "cf-test-token-Yr5mE0"
ALI_ID = "LTAI5tTestKeyId"
ALI_SECRET = "aliTestSecret/+="  # characters that need encoding


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def msgs(lines, msg):
    return [e for e in lines if e.get("msg") == msg]


def cloudflare_run(binary, tmp, pebble, bind, token):
    fake = dns_api_fakes.Cloudflare(bind, CF_TOKEN)
    storage = os.path.join(tmp, "storage-cf-" + token[:4])
    cfg = os.path.join(tmp, "Caddyfile.cf-" + token[:4])
    with open(cfg, "w") as f:
        f.write("{\n\temail a@b.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n\thttps_port %d\n"
                "\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n\tadmin off\n}\n\n"
                % (pebble.directory, pebble.cert, pebble.http_port, pebble.tls_port, storage))
        f.write("cf.example.test {\n\ttls {\n\t\tdns cloudflare {env.CF_API_TOKEN}\n\t\tresolvers %s\n\t}\n"
                "\trespond \"cf\"\n}\n" % bind.address)
    roots = os.path.join(tmp, "roots.pem")
    with open(roots, "w") as f:
        f.write(pebble.management("/roots/0"))
    env = dict(os.environ, CF_API_TOKEN=token, GATEHOUSE_TEST_CLOUDFLARE_API=fake.base_url,
               GATEHOUSE_TEST_DNS_AUTH_PORT=str(bind.port))
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile", env=env)
    served = False
    try:
        deadline = time.time() + (90 if token == CF_TOKEN else 20)
        while time.time() < deadline and not served:
            rc, out, _ = tls_pki.curl(["--cacert", roots, "--resolve", "cf.example.test:%d:127.0.0.1" % pebble.tls_port,
                                       "https://cf.example.test:%d/" % pebble.tls_port])
            served = rc == 0 and out == "cf"
            if token != CF_TOKEN and "will retry" in drain.text():
                break
            time.sleep(0.3)
        # the cleanup DELETE follows validation, in the background: bounded wait for it
        deadline = time.time() + 10
        while served and time.time() < deadline and "DELETE" not in [c[0] for c in fake.calls]:
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
            rc = None
        fake.stop()
    check(rc == 0, "clean exit (rc=%s)" % rc)
    check(drain.finish() == "", "no sanitizer report")
    lines = acme_pebble.parse_log(drain.text())
    if token == CF_TOKEN:
        check(served, "cloudflare: cf.example.test served with a verified pebble certificate")
        check(fake.violations == [], "cloudflare: API used as documented: %s" % fake.violations)
        methods = [c[0] for c in fake.calls]
        check(methods == ["GET", "POST", "DELETE"], "cloudflare: zone lookup, create, delete: %s" % methods)
        check(fake.records == {} and bind.txt("_acme-challenge.cf.example.test") == [], "cloudflare: record deleted")
        check(any(e.get("provider") == "cloudflare" for e in msgs(lines, "TXT record added")), "log: provider named")
    else:
        check(not served, "cloudflare with a wrong token: no certificate")
        errs = msgs(lines, "DNS provider could not add the TXT record; the order fails and is retried later")
        check(errs and "Authentication error" in errs[0].get("error", ""),
              "cloudflare wrong token: API error logged: %s" % errs[:1])
        check(any(msgs(lines, "will retry")), "cloudflare wrong token: retry scheduled")
        check(token not in drain.text() and CF_TOKEN not in drain.text(), "no token in the log")


def alidns_certs(binary, tmp, pebble, bind):
    fake = dns_api_fakes.Alidns(bind, ALI_ID, ALI_SECRET)
    out = os.path.join(tmp, "out-ali")
    config = os.path.join(tmp, "certs-ali.Caddyfile")
    acme_pebble.write_certs_config(
        config, pebble, os.path.join(tmp, "storage-ali"),
        "certificates *.example.test {\n\tfullchain %s/fullchain.pem\n\tprivkey %s/privkey.pem\n}\n" % (out, out),
        extra="\tacme_dns alidns {\n\t\taccess_key_id %s\n\t\taccess_key_secret \"%s\"\n\t}\n\ttls_resolvers %s\n"
              % (ALI_ID, ALI_SECRET, bind.address))
    env = dict(os.environ, GATEHOUSE_TEST_ALIDNS_ENDPOINT=fake.endpoint, GATEHOUSE_TEST_DNS_AUTH_PORT=str(bind.port))
    try:
        p = subprocess.run([binary, "certs", "--config", config], capture_output=True, text=True, timeout=150, env=env)
    finally:
        fake.stop()
    check(p.returncode == 0, "alidns: certs exit %d%s" % (p.returncode, "" if p.returncode == 0 else "\n" + p.stderr[-3000:]))
    check(fake.violations == [], "alidns: API used as documented (signature verified): %s" % fake.violations)
    actions = [c.get("Action") for c in fake.calls]
    check(actions == ["AddDomainRecord", "DeleteDomainRecord"], "alidns: add then delete: %s" % actions)
    check(fake.records == {} and bind.txt("_acme-challenge.example.test") == [], "alidns: record deleted")
    fullchain = os.path.join(out, "fullchain.pem")
    if os.path.exists(fullchain):
        text = subprocess.run(["openssl", "x509", "-in", fullchain, "-noout", "-ext", "subjectAltName"],
                              capture_output=True, text=True, timeout=30).stdout
        check("DNS:*.example.test" in text, "alidns: wildcard certificate written: %s" % text.strip())
    check(ALI_SECRET not in p.stderr, "no secret in the log")


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
                cloudflare_run(binary, tmp, pebble, bind, CF_TOKEN)
                alidns_certs(binary, tmp, pebble, bind)
                cloudflare_run(binary, tmp, pebble, bind, "wrong-token")
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
