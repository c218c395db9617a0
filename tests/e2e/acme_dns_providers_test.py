#!/usr/bin/env python3
"""End-to-end: DNS-01 through the built-in providers added after Cloudflare and Alibaba
(route53, duckdns, digitalocean, hetzner, porkbun, desec, acmedns), each with `gatehouse certs` against a local fake of the provider's API
(tests/e2e/dns_api_fakes.py: method, path, authentication -- AWS SigV4 recomputed from the
request as received -- and body checked as the API documents them) that writes the TXT
record into a real BIND, which pebble's VA asks (pebble -dnsserver). For each provider: a
certificate for example.test and *.example.test (both validated through
_acme-challenge.example.test), every API call as documented, the record gone afterwards, and
no secret in the log (acme-dns has no delete: its two newest values stay). route53 also in
`gatehouse run` with sites example.test and *.example.test, whose two orders validate the
same name at once (the TXT set holds both values; none is lost). Also a wrong
route53 secret: the API's SignatureDoesNotMatch is logged, nothing is changed.
Usage: acme_dns_providers_test.py <path-to-gatehouse> [case ...]
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


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def obtain(binary, tmp, pebble, bind, label, provider_block, env, secrets, deletes=True):
    """`gatehouse certs` for example.test + *.example.test through `acme_dns <provider_block>`."""
    out = os.path.join(tmp, "out-" + label)
    config = os.path.join(tmp, label + ".Caddyfile")
    acme_pebble.write_certs_config(
        config, pebble, os.path.join(tmp, "storage-" + label),
        "certificates example.test *.example.test {\n\tfullchain %s/fullchain.pem\n\tprivkey %s/privkey.pem\n}\n"
        % (out, out),
        extra="\tacme_dns %s\n\ttls_resolvers %s\n" % (provider_block, bind.address))
    env = dict(os.environ, GATEHOUSE_TEST_DNS_AUTH_PORT=str(bind.port), **env)
    p = subprocess.run([binary, "certs", "--config", config], capture_output=True, text=True, timeout=150, env=env)
    check(p.returncode == 0, "%s: certs exit %d%s" % (label, p.returncode, "" if p.returncode == 0 else "\n" + p.stderr[-3000:]))
    fullchain = os.path.join(out, "fullchain.pem")
    text = ""
    if os.path.exists(fullchain):
        text = subprocess.run(["openssl", "x509", "-in", fullchain, "-noout", "-ext", "subjectAltName"],
                              capture_output=True, text=True, timeout=30).stdout
    check("DNS:*.example.test" in text and "DNS:example.test" in text,
          "%s: certificate for example.test and *.example.test written: %s" % (label, text.strip()))
    if deletes:
        check(bind.txt("_acme-challenge.example.test") == [], "%s: TXT record gone from BIND" % label)
    for s in secrets:
        check(s not in p.stderr, "%s: secret not in the log" % label)
    return p


def route53(binary, tmp, pebble, bind):
    key_id, secret, token = "AKIDGATEHOUSETEST", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "FwoGZXIvYXdzE+token/=="
    fake = dns_api_fakes.Route53(bind, key_id, secret, token)
    fake.throttle = 2  # the first two changes are throttled: retried after a backoff
    block = ("route53 {\n\t\taccess_key_id %s\n\t\tsecret_access_key {env.R53_SECRET}\n\t\ttoken %s\n"
             "\t\tregion eu-west-1\n\t\tmax_retries 2\n\t\twait_for_propagation true\n\t\tmax_wait_dur 30\n\t}"
             % (key_id, token))
    try:
        obtain(binary, tmp, pebble, bind, "route53", block,
               {"R53_SECRET": secret, "GATEHOUSE_TEST_ROUTE53_API": fake.endpoint}, [secret, token])
    finally:
        fake.stop()
    check(fake.violations == [], "route53: API used as documented (SigV4 verified): %s" % fake.violations)
    posts = [c for c in fake.calls if c[0] == "POST"]
    check(posts and posts[-1][1] == "DELETE" and all(c[1] in ("UPSERT", "DELETE") for c in posts),
          "route53: UPSERT to add, DELETE once empty: %s" % [c[1] for c in posts])
    check(fake.rrsets == {}, "route53: record set deleted")
    gap = fake.throttled[1] - fake.throttled[0] if len(fake.throttled) == 2 else 0
    polls = [status for _, status in fake.change_polls]
    check(polls == ["PENDING", "INSYNC"] * 2, "route53: wait_for_propagation polls GetChange until INSYNC: %s" % polls)
    check(len(fake.throttled) == 2 and gap >= 0.4, "route53: throttled changes retried after a backoff (%.2fs)" % gap)
    print("route53: most values in the set at once: %d" % fake.max_values)


def route53_run(binary, tmp, pebble, bind):
    """`gatehouse run` with sites example.test and *.example.test: two orders at once that
    both validate through _acme-challenge.example.test, so the provider's read-change-write
    of the TXT set must not lose a value (serial_ops.h)."""
    key_id, secret = "AKIDGATEHOUSERUN", "run/secret/key"
    fake = dns_api_fakes.Route53(bind, key_id, secret)
    cfg = os.path.join(tmp, "route53-run.Caddyfile")
    with open(cfg, "w") as f:
        f.write("{\n\temail a@b.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n\thttps_port %d\n"
                "\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n\tadmin off\n"
                "\tacme_dns route53 {\n\t\taccess_key_id %s\n\t\tsecret_access_key {env.R53_SECRET}\n\t}\n}\n\n"
                % (pebble.directory, pebble.cert, pebble.http_port, pebble.tls_port, os.path.join(tmp, "storage-r53run"),
                   key_id))
        f.write("example.test {\n\ttls {\n\t\tresolvers %s\n\t}\n\trespond \"apex\"\n}\n" % bind.address)
        f.write("*.example.test {\n\ttls {\n\t\tresolvers %s\n\t}\n\trespond \"wild\"\n}\n" % bind.address)
    roots = os.path.join(tmp, "roots-r53.pem")
    with open(roots, "w") as f:
        f.write(pebble.management("/roots/0"))
    env = dict(os.environ, R53_SECRET=secret, GATEHOUSE_TEST_ROUTE53_API=fake.endpoint,
               GATEHOUSE_TEST_DNS_AUTH_PORT=str(bind.port))
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile", env=env)
    served = {}
    try:
        deadline = time.time() + 120
        while time.time() < deadline and len(served) < 2:
            for host, body in (("example.test", "apex"), ("x.example.test", "wild")):
                if host in served:
                    continue
                rc, out, _ = tls_pki.curl(["--cacert", roots, "--resolve", "%s:%d:127.0.0.1" % (host, pebble.tls_port),
                                           "https://%s:%d/" % (host, pebble.tls_port)])
                if rc == 0 and out == body:
                    served[host] = True
            time.sleep(0.3)
        deadline = time.time() + 15  # cleanups follow validation in the background
        while time.time() < deadline and fake.rrsets:
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
    check(rc == 0, "route53 run: clean exit (rc=%s)" % rc)
    check(drain.finish() == "", "route53 run: no sanitizer report")
    check(len(served) == 2, "route53 run: example.test and *.example.test served with pebble certificates: %s"
          % sorted(served))
    check(fake.violations == [], "route53 run: API used as documented: %s" % fake.violations)
    check(fake.rrsets == {} and bind.txt("_acme-challenge.example.test") == [], "route53 run: record set deleted")
    check(secret not in drain.text(), "route53 run: no secret in the log")
    print("route53 run: most values in the set at once: %d" % fake.max_values)


def route53_wrong_secret(binary, tmp, pebble, bind):
    key_id, secret, wrong = "AKIDGATEHOUSETEST", "right/secret/key", "wrong/secret/key+Zx9"
    fake = dns_api_fakes.Route53(bind, key_id, secret)
    config = os.path.join(tmp, "route53-wrong.Caddyfile")
    acme_pebble.write_certs_config(
        config, pebble, os.path.join(tmp, "storage-route53-wrong"),
        "certificates wrong.example.test {\n\tfullchain %s/fc.pem\n\tprivkey %s/pk.pem\n}\n" % (tmp, tmp),
        extra="\tacme_dns route53 {\n\t\taccess_key_id %s\n\t\tsecret_access_key %s\n\t}\n\ttls_resolvers %s\n"
              % (key_id, wrong, bind.address))
    env = dict(os.environ, GATEHOUSE_TEST_DNS_AUTH_PORT=str(bind.port), GATEHOUSE_TEST_ROUTE53_API=fake.endpoint)
    try:
        p = subprocess.run([binary, "certs", "--config", config], capture_output=True, text=True, timeout=150, env=env)
    finally:
        fake.stop()
    check(p.returncode != 0, "route53 wrong secret: certs fails (exit %d)" % p.returncode)
    check("SignatureDoesNotMatch" in p.stderr, "route53 wrong secret: the API's error is logged")
    check(wrong not in p.stderr and secret not in p.stderr, "route53 wrong secret: no secret in the log")
    check(not any(c[0] == "POST" for c in fake.calls), "route53 wrong secret: nothing changed")


def duckdns(binary, tmp, pebble, bind):
    token = "a7c4d0ad-114e-40ef-ba1d-d217904a50f2"
    fake = dns_api_fakes.Duckdns(bind, token, "gatehouse-test")
    block = "duckdns {env.DUCKDNS_API_TOKEN} {\n\t\toverride_domain gatehouse-test.duckdns.org\n\t}"
    try:
        obtain(binary, tmp, pebble, bind, "duckdns", block,
               {"DUCKDNS_API_TOKEN": token, "GATEHOUSE_TEST_DUCKDNS_API": fake.base_url}, [token])
    finally:
        fake.stop()
    check(fake.violations == [], "duckdns: API used as documented: %s" % fake.violations)
    clears = [c.get("clear") == "true" for c in fake.calls]
    check(clears == [False, True, False, True], "duckdns: set, clear per name: %s" % clears)
    check(fake.txt == "", "duckdns: TXT cleared")


def bearer_json(binary, tmp, pebble, bind, label, fake, block, env, token):
    """A provider whose fake keeps `records`: obtain, then check the calls."""
    try:
        obtain(binary, tmp, pebble, bind, label, block, env, [token])
    finally:
        fake.stop()
    check(fake.violations == [], "%s: API used as documented: %s" % (label, fake.violations))
    methods = [c[0] for c in fake.calls]
    check(methods.count("POST") == 2 and methods.count("DELETE") == 2, "%s: two adds, two deletes: %s" % (label, methods))
    check(fake.records == {}, "%s: records deleted" % label)


def digitalocean(binary, tmp, pebble, bind):
    token = "dop_v1_4f2a9c0e1b7d3a5c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5"
    fake = dns_api_fakes.Digitalocean(bind, token)
    bearer_json(binary, tmp, pebble, bind, "digitalocean", fake, "digitalocean {env.DO_AUTH_TOKEN}",
                {"DO_AUTH_TOKEN": token, "GATEHOUSE_TEST_DIGITALOCEAN_API": fake.base_url}, token)


def hetzner(binary, tmp, pebble, bind):
    token = "LlGoDUQ39S6akqoav5meAsv5OIpeywhj"
    fake = dns_api_fakes.Hetzner(bind, token)
    bearer_json(binary, tmp, pebble, bind, "hetzner", fake, "hetzner {\n\t\tapi_token {env.HETZNER_API_TOKEN}\n\t}",
                {"HETZNER_API_TOKEN": token, "GATEHOUSE_TEST_HETZNER_API": fake.base_url}, token)
    check(fake.calls[0][1] == "/api/v1/zones", "hetzner: zone looked up first")


def porkbun(binary, tmp, pebble, bind):
    key, secret = "pk1_4c9ad34b0d2e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1", "sk1_0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    fake = dns_api_fakes.Porkbun(bind, key, secret)
    block = "porkbun {\n\t\tapi_key {env.PORKBUN_API_KEY}\n\t\tapi_secret_key {env.PORKBUN_API_SECRET_KEY}\n\t}"
    try:
        obtain(binary, tmp, pebble, bind, "porkbun", block,
               {"PORKBUN_API_KEY": key, "PORKBUN_API_SECRET_KEY": secret + "\n",  # trimmed, as the plugin does
                "GATEHOUSE_TEST_PORKBUN_API": fake.base_url}, [key, secret])
    finally:
        fake.stop()
    check(fake.violations == [], "porkbun: API used as documented: %s" % fake.violations)
    paths = [c[1].split("/")[5] for c in fake.calls]
    check(paths == ["create", "delete", "create", "delete"], "porkbun: create, delete per name: %s" % paths)
    check(fake.records == {}, "porkbun: records deleted")


def desec(binary, tmp, pebble, bind):
    token = "i-T3b1h_OI-H9ab8tRS98stGtURe"
    fake = dns_api_fakes.Desec(bind, token)
    block = "desec {\n\t\ttoken {env.DESEC_TOKEN}\n\t}"
    try:
        obtain(binary, tmp, pebble, bind, "desec", block,
               {"DESEC_TOKEN": token, "GATEHOUSE_TEST_DESEC_API": fake.base_url}, [token])
    finally:
        fake.stop()
    check(fake.violations == [], "desec: API used as documented: %s" % fake.violations)
    methods = [c[0] for c in fake.calls]
    check(methods == ["GET", "PATCH"] * 4, "desec: read then write the RRset, add and remove per name: %s" % methods)
    check(fake.rrsets == {}, "desec: RRset deleted")


def acmedns(binary, tmp, pebble, bind):
    user, password, sub = "c36f50e8-4632-44f0-83fe-e070fef28a10", "htB9mR9DYgcu9bX_afHF62erXaH2TS7bg9KW3F7Z", \
        "1be9d8e1-7b5e-4fc1-8f2a-1d1b6f0b2c3d"
    fake = dns_api_fakes.Acmedns(bind, user, password, sub)
    block = ("acmedns {\n\t\tconfig {\n\t\t\texample.test {\n\t\t\t\tusername %s\n\t\t\t\tpassword "
             "{env.ACMEDNS_PASSWORD}\n\t\t\t\tsubdomain %s\n\t\t\t\tfulldomain %s.auth.acme-dns.test\n"
             "\t\t\t\tserver_url %s\n\t\t\t}\n\t\t}\n\t}" % (user, sub, sub, fake.server_url))
    try:
        obtain(binary, tmp, pebble, bind, "acmedns", block, {"ACMEDNS_PASSWORD": password}, [password], deletes=False)
    finally:
        fake.stop()
    check(fake.violations == [], "acmedns: /update used as documented: %s" % fake.violations)
    check([c[0] + " " + c[1] for c in fake.calls] == ["POST /update"] * 2, "acmedns: one update per name: %s" % fake.calls)
    # acme-dns has no delete: the two newest values stay, as with the real server
    check(sorted(bind.txt("_acme-challenge.example.test")) == sorted(fake.values) and len(fake.values) == 2,
          "acmedns: the two newest values stay (acme-dns has no delete)")
    fake.bind.nsupdate("update delete _acme-challenge.%s. TXT" % bind.zone)  # leave BIND clean for later cases


def main():
    binary = sys.argv[1]
    acme_pebble.require_pebble()
    bind_dns.require_bind()
    if shutil.which("openssl") is None or shutil.which("curl") is None:
        print("SKIP: openssl or curl not installed")
        return 77
    only = sys.argv[2:]  # optional provider names, to run a few
    cases = {"route53": route53, "route53_run": route53_run, "route53_wrong_secret": route53_wrong_secret, "duckdns": duckdns, "digitalocean": digitalocean, "hetzner": hetzner, "porkbun": porkbun, "desec": desec, "acmedns": acmedns}
    with tempfile.TemporaryDirectory() as tmp:
        bind = bind_dns.Bind(tmp)
        try:
            pebble = acme_pebble.Pebble(tmp, dnsserver=bind.address)
            try:
                for name, run in cases.items():
                    if not only or name in only:
                        run(binary, tmp, pebble, bind)
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
