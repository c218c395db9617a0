#!/usr/bin/env python3
"""End-to-end: Gatehouse's acme_server (Caddy's built-in ACME CA) with a pki CA other than
`local`, against real ACME clients on loopback.

a. Gatehouse A serves `acme_server { ca test }`; Gatehouse B names A's directory as its
   `acme_ca` (with `acme_ca_root` = the pki root) and gets a certificate for `vm` (which
   /etc/hosts maps to 127.0.0.1), validated on ports 80/443 as RFC 8555 fixes them; B
   serves it and `curl --cacert root.crt` verifies it; the CA is stored in Caddy's layout
   (pki/authorities/test/); the leaf is signed by the test CA's intermediate for 12 h.
b. Debian's caddy 2.6.2 as the ACME client against A gets a certificate (interop oracle).
c. Gatehouse's client against caddy 2.6.2's acme_server gets a certificate.
d. Bad JWS, unknown account, wrong nonce, wrong url: RFC 8555 problem documents.
Needs root (ports 80 and 443 on 127.0.0.1). Usage: acme_server_test.py <path-to-gatehouse>
"""
import base64
import hashlib
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.dont_write_bytecode = True
import tls_pki  # noqa: E402
from harness import check, finish, stop, wait_port  # noqa: E402

NAME_B = "vm"      # /etc/hosts: 127.0.0.1
NAME_C = "runsc"   # /etc/hosts: 127.0.0.1


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def ca_caddyfile(store, hp, sp, extra_site=""):
    return """{
	storage file_system %s
	admin off
	skip_install_trust
	http_port %d
	https_port %d
	pki {
		ca test {
			name "Gatehouse Test CA"
		}
	}
}

localhost:%d {
	bind 127.0.0.1
	tls {
		issuer internal {
			ca test
		}
	}
	acme_server {
		ca test
	}
	%s
}
""" % (store, hp, sp, sp, extra_site)


def client_caddyfile(store, directory, root, name, tls_alpn_only=False):
    if tls_alpn_only:
        # An explicit issuer without the HTTP challenge: the acme_server must check tls-alpn-01.
        site_tls = """
	tls {
		issuer acme {
			dir %s
			trusted_roots %s
			disable_http_challenge
		}
	}""" % (directory, root)
        global_ca = ""
    else:
        site_tls = ""
        global_ca = "\tacme_ca %s\n\tacme_ca_root %s\n" % (directory, root)
    return """{
	storage file_system %s
	admin off
	http_port 80
	https_port 443
%s}

%s {
	bind 127.0.0.1%s
	respond "served by acme_server's certificate"
}
""" % (store, global_ca, name, site_tls)


def wait_for(path, proc, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if os.path.exists(path):
            return True
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.2)
    return False


def find_file(root, suffix):
    for d, _, files in os.walk(root):
        for f in files:
            if f.endswith(suffix):
                return os.path.join(d, f)
    return None


def https_ok(name, root):
    rc, out, err = tls_pki.curl(["--cacert", root, "--resolve", "%s:443:127.0.0.1" % name,
                                 "https://%s/" % name])
    return rc == 0 and out == "served by acme_server's certificate", (out + err).strip()[:300]


def leaf_facts(pem_path):
    p = subprocess.run(["openssl", "x509", "-noout", "-issuer", "-startdate", "-enddate", "-ext",
                        "subjectAltName", "-in", pem_path], capture_output=True, text=True, timeout=10)
    return p.stdout


def lifetime_hours(pem_path):
    p = subprocess.run(["openssl", "x509", "-noout", "-startdate", "-enddate", "-in", pem_path],
                       capture_output=True, text=True, timeout=10)
    dates = dict(line.split("=", 1) for line in p.stdout.strip().splitlines())
    fmt = "%b %d %H:%M:%S %Y %Z"
    a = time.mktime(time.strptime(dates["notBefore"], fmt))
    b = time.mktime(time.strptime(dates["notAfter"], fmt))
    return (b - a) / 3600


# --- (a) Gatehouse client against Gatehouse's acme_server -----------------------------

def gatehouse_client(binary, tmp, directory, root, tls_alpn_only=False):
    store = os.path.join(tmp, "store-b-alpn" if tls_alpn_only else "store-b")
    cfg = write(os.path.join(tmp, "B.Caddyfile"), client_caddyfile(store, directory, root, NAME_B, tls_alpn_only))
    began = time.time()
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        crt = None
        deadline = time.time() + 60
        while time.time() < deadline and crt is None:
            crt = find_file(os.path.join(store, "certificates"), NAME_B + ".crt")
            time.sleep(0.3)
        how = " through tls-alpn-01" if tls_alpn_only else ""
        if crt:
            print("measured: gatehouse client, start to stored certificate%s: %.2f s" % (how, time.time() - began))
        check(crt is not None, "B stored a certificate for %s from the acme_server%s" % (NAME_B, how))
        if tls_alpn_only:
            log = drain.text()
            check('"challenge_type":"tls-alpn-01"' in log and '"challenge_type":"http-01"' not in log,
                  "B solved tls-alpn-01 (and no http-01)")
        if crt is None:
            print(drain.text()[-3000:])
            return None
        ok, detail = False, ""
        for _ in range(50):
            ok, detail = https_ok(NAME_B, root)
            if ok:
                break
            time.sleep(0.2)
        check(ok, "B serves it; curl --cacert root.crt verifies: %s" % detail)
        return crt
    finally:
        stop(proc, drain)


# --- (d) problem documents ------------------------------------------------------------

def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class RawClient:
    """A minimal ACME client (ES256) built on `cryptography`, to send bad requests on purpose."""

    def __init__(self, directory, root, rsa=False):
        from cryptography.hazmat.primitives.asymmetric import ec, rsa as rsa_keys
        self.ctx = ssl.create_default_context(cafile=root)
        self.rsa = rsa
        if rsa:
            self.key = rsa_keys.generate_private_key(public_exponent=65537, key_size=2048)
            nums = self.key.public_key().public_numbers()
            self.jwk = {"e": b64(nums.e.to_bytes(3, "big")), "kty": "RSA", "n": b64(nums.n.to_bytes(256, "big"))}
        else:
            self.key = ec.generate_private_key(ec.SECP256R1())
            nums = self.key.public_key().public_numbers()
            self.jwk = {"crv": "P-256", "kty": "EC", "x": b64(nums.x.to_bytes(32, "big")),
                        "y": b64(nums.y.to_bytes(32, "big"))}
        self.dir = json.loads(self.fetch("GET", directory)[2])

    def fetch(self, method, url, body=None, ctype="application/jose+json"):
        req = urllib.request.Request(url, data=body, method=method)
        if body is not None:
            req.add_header("Content-Type", ctype)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=10) as r:
                return r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode()

    def nonce(self):
        return self.fetch("HEAD", self.dir["newNonce"])[1]["Replay-Nonce"]

    def sign(self, protected, payload, tamper=False):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
        p64 = b64(json.dumps(protected).encode())
        pl64 = "" if payload is None else b64(json.dumps(payload).encode())
        data = ("%s.%s" % (p64, pl64)).encode()
        if self.rsa:
            sig = self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        else:
            r, s = utils.decode_dss_signature(self.key.sign(data, ec.ECDSA(hashes.SHA256())))
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        if tamper:
            sig = bytes([sig[0] ^ 1]) + sig[1:]
        return json.dumps({"protected": p64, "payload": pl64, "signature": b64(sig)}).encode()

    def post(self, url, payload, kid=None, nonce=None, tamper=False, signed_url=None):
        prot = {"alg": "RS256" if self.rsa else "ES256", "nonce": nonce or self.nonce(), "url": signed_url or url}
        if kid:
            prot["kid"] = kid
        else:
            prot["jwk"] = self.jwk
        return self.fetch("POST", url, self.sign(prot, payload, tamper))


def problem_checks(directory, root):
    c = RawClient(directory, root)
    check(set(c.dir) >= {"newNonce", "newAccount", "newOrder"}, "directory lists newNonce/newAccount/newOrder")

    def is_problem(resp, typ, status, what):
        code, headers, body = resp
        try:
            doc = json.loads(body)
        except ValueError:
            doc = {}
        ok = (code == status and headers.get("Content-Type") == "application/problem+json" and
              doc.get("type") == "urn:ietf:params:acme:error:" + typ and doc.get("status") == status)
        check(ok, "%s -> %d %s problem document (got %d %s)" % (what, status, typ, code, body[:160]))
        check("Replay-Nonce" in headers, "%s answer carries a fresh Replay-Nonce" % what)

    is_problem(c.post(c.dir["newAccount"], {"termsOfServiceAgreed": True}, nonce="bm90LWEtbm9uY2U"),
               "badNonce", 400, "an unknown nonce")
    n = c.nonce()
    c.post(c.dir["newAccount"], {"onlyReturnExisting": True}, nonce=n)
    is_problem(c.post(c.dir["newAccount"], {"termsOfServiceAgreed": True}, nonce=n), "badNonce", 400,
               "a nonce used twice")
    is_problem(c.post(c.dir["newAccount"], {"termsOfServiceAgreed": True}, tamper=True), "malformed", 400,
               "a JWS whose signature does not verify")
    is_problem(c.fetch("POST", c.dir["newAccount"], b"{not json"), "malformed", 400, "a body that is not a JWS")
    is_problem(c.post(c.dir["newAccount"], {"onlyReturnExisting": True}), "accountDoesNotExist", 400,
               "onlyReturnExisting for a key without an account")
    base = c.dir["newAccount"].rsplit("/", 1)[0]
    is_problem(c.post(c.dir["newOrder"], {"identifiers": [{"type": "dns", "value": "x.test"}]},
                      kid=base + "/account/nosuchaccount"),
               "accountDoesNotExist", 400, "a kid naming an unknown account")
    is_problem(c.post(c.dir["newAccount"], {"termsOfServiceAgreed": True}, signed_url=c.dir["newOrder"]),
               "unauthorized", 401, "a JWS whose url is another endpoint's")
    code, headers, body = c.post(c.dir["newAccount"], {"termsOfServiceAgreed": True})
    check(code == 201 and headers.get("Location", "").startswith(base + "/account/"),
          "a good newAccount -> 201 with the account URL (%d %s)" % (code, body[:120]))
    kid = headers.get("Location")
    code, _, body = c.post(c.dir["newAccount"], {"termsOfServiceAgreed": True})
    check(code == 200, "the same key again -> 200, the existing account (%d)" % code)
    is_problem(c.fetch("POST", c.dir["newOrder"], c.sign({"alg": "ES256", "nonce": c.nonce(),
                                                          "url": c.dir["newOrder"], "kid": kid},
                                                         {"identifiers": []}), ctype="application/json"),
               "malformed", 415, "a Content-Type other than application/jose+json")
    is_problem(c.post(c.dir["newOrder"], {"identifiers": [{"type": "dns", "value": "bad name!"}]}, kid=kid),
               "rejectedIdentifier", 400, "an invalid DNS name")
    code, headers, body = c.post(c.dir["newOrder"], {"identifiers": [{"type": "dns", "value": "x.test"}]}, kid=kid)
    order = json.loads(body) if code == 201 else {}
    check(code == 201 and order.get("status") == "pending" and len(order.get("authorizations", [])) == 1,
          "newOrder -> 201 pending with one authorization (%d %s)" % (code, body[:160]))
    if order:
        is_problem(c.post(order["finalize"], {"csr": b64(b"junk")}, kid=kid), "orderNotReady", 403,
                   "finalize before the authorizations are valid")
        code, _, body = c.post(order["authorizations"][0], None, kid=kid)
        authz = json.loads(body) if code == 200 else {}
        types = [ch["type"] for ch in authz.get("challenges", [])]
        check(sorted(types) == ["dns-01", "http-01", "tls-alpn-01"],
              "the authorization offers dns-01, http-01 and tls-alpn-01: %s" % types)
    return c


def rs256_checks(directory, root):
    c = RawClient(directory, root, rsa=True)
    code, headers, body = c.post(c.dir["newAccount"], {"termsOfServiceAgreed": True})
    check(code == 201, "an RS256 (RSA 2048) account is registered (%d %s)" % (code, body[:120]))
    kid = headers.get("Location")
    code, _, body = c.post(c.dir["newOrder"], {"identifiers": [{"type": "ip", "value": "127.0.0.1"}]}, kid=kid)
    types = []
    if code == 201:
        authz = json.loads(c.post(json.loads(body)["authorizations"][0], None, kid=kid)[2])
        types = sorted(ch["type"] for ch in authz.get("challenges", []))
    check(code == 201 and types == ["http-01", "tls-alpn-01"],
          "an RS256-signed order for an IP: http-01 and tls-alpn-01 offered (%d %s)" % (code, types))
    is_bad = c.post(c.dir["newOrder"], {"identifiers": [{"type": "dns", "value": "x.test"}]}, kid=kid, tamper=True)
    check(is_bad[0] == 400 and "malformed" in is_bad[2], "a tampered RS256 signature is refused: %s" % is_bad[2][:120])


def account_kept(c):
    """After a restart the account (persisted in storage) is still known."""
    code, headers, body = c.post(c.dir["newAccount"], {"onlyReturnExisting": True})
    check(code == 200 and "/account/" in headers.get("Location", ""),
          "after a restart the account is still there (%d %s)" % (code, body[:120]))


# --- (b), (c) caddy 2.6.2 ---------------------------------------------------------------

def run_caddy(tmp, name, caddyfile):
    d = os.path.join(tmp, name)
    os.makedirs(d, exist_ok=True)
    cfg = write(os.path.join(d, "Caddyfile"), caddyfile)
    log = open(os.path.join(d, "caddy.log"), "w")
    env = dict(os.environ, HOME=d, XDG_DATA_HOME=os.path.join(d, "data"), XDG_CONFIG_HOME=os.path.join(d, "config"))
    proc = subprocess.Popen(["caddy", "run", "--config", cfg, "--adapter", "caddyfile"], stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    return proc, log, d


def stop_caddy(proc, log):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    log.close()


def caddy_client(tmp, directory, root):
    store = os.path.join(tmp, "store-caddy-client")
    began = time.time()
    proc, log, d = run_caddy(tmp, "caddy-client", client_caddyfile(store, directory, root, NAME_C))
    try:
        crt = None
        deadline = time.time() + 60
        while time.time() < deadline and crt is None and proc.poll() is None:
            crt = find_file(os.path.join(store, "certificates"), NAME_C + ".crt")
            time.sleep(0.3)
        check(crt is not None, "caddy 2.6.2 got a certificate for %s from Gatehouse's acme_server" % NAME_C)
        if crt:
            print("measured: caddy client, start to stored certificate: %.2f s" % (time.time() - began))
        if crt is None:
            with open(os.path.join(d, "caddy.log")) as f:
                print(f.read()[-4000:])
            return
        ok, detail = False, ""
        for _ in range(50):
            ok, detail = https_ok(NAME_C, root)
            if ok:
                break
            time.sleep(0.2)
        check(ok, "caddy serves it; curl --cacert root.crt verifies: %s" % detail)
    finally:
        stop_caddy(proc, log)


def gatehouse_against_caddy(binary, tmp):
    sp = tls_pki.free_port()
    caddy_store = os.path.join(tmp, "store-caddy-ca")
    proc, log, d = run_caddy(tmp, "caddy-ca", ca_caddyfile(caddy_store, tls_pki.free_port(), sp))
    try:
        root = os.path.join(caddy_store, "pki", "authorities", "test", "root.crt")
        if not (wait_for(root, proc, 20) and wait_port(sp, proc)):
            check(False, "caddy's acme_server started")
            return
        directory = "https://localhost:%d/acme/test/directory" % sp
        sub = os.path.join(tmp, "against-caddy")
        os.makedirs(sub)
        crt = gatehouse_client(binary, sub, directory, root)
        check(crt is not None, "Gatehouse's client got a certificate from caddy 2.6.2's acme_server")
    finally:
        stop_caddy(proc, log)


def main():
    binary = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        print("skipped: needs root for ports 80 and 443")
        return 77
    tmp = tempfile.mkdtemp(prefix="gh-acme-server-")
    try:
        store = os.path.join(tmp, "store-a")
        sp = tls_pki.free_port()
        cfg = write(os.path.join(tmp, "A.Caddyfile"), ca_caddyfile(store, tls_pki.free_port(), sp))
        proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
        try:
            ca_dir = os.path.join(store, "pki", "authorities", "test")
            for f in ("root.crt", "root.key", "intermediate.crt", "intermediate.key"):
                p = os.path.join(ca_dir, f)
                check(os.path.exists(p) and (os.stat(p).st_mode & 0o777) == 0o600,
                      "pki CA 'test' stored in Caddy's layout: %s 0600" % f)
            root = os.path.join(ca_dir, "root.crt")
            directory = "https://localhost:%d/acme/test/directory" % sp
            rc, out, err = tls_pki.curl(["--cacert", root, directory])
            check(rc == 0 and "newAccount" in out, "directory over HTTPS with the test root: %s" % (out + err)[:200])
            raw = problem_checks(directory, root)
            rs256_checks(directory, root)
            crt = gatehouse_client(binary, tmp, directory, root)
            if crt:
                facts = leaf_facts(crt)
                check("Gatehouse Test CA - ECC Intermediate" in facts,
                      "the leaf is issued by the test CA's intermediate: %s" % facts)
                hours = lifetime_hours(crt)
                check(11.9 <= hours <= 12.1, "the leaf lives 12 hours (Caddy's default): %.2f" % hours)
            gatehouse_client(binary, tmp, directory, root, tls_alpn_only=True)
            caddy_client(tmp, directory, root)
        finally:
            stop(proc, drain)
        proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
        try:
            account_kept(raw)
        finally:
            stop(proc, drain)
        gatehouse_against_caddy(binary, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
