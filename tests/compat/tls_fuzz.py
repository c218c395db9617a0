#!/usr/bin/env python3
"""Differential TLS fuzzer: Gatehouse vs Debian's caddy 2.6.2 on the handshake and the first
request.

Per case (seeded, reproducible): a Caddyfile with 1-4 sites on one HTTPS port, each with
certificates from `tls CERT KEY` (generated: exact names, wildcards, IP SANs, RSA and ECDSA
keys, a common name outside the SANs, a chain in the file or not, names shared by two
sites' certificates), `tls internal` or nothing (the names are under .localhost, so both
servers issue from their own local CA), an options block (`protocols`, `ciphers`,
`curves`, `alpn`, `client_auth { mode; trusted_ca_cert_file }`), and global options
(`default_sni`, `local_certs`, `auto_https off|disable_redirects`, `servers {
strict_sni_host }`). Then clients, each run against both servers:

- "py": Python's ssl: SNI as a site name, a wildcard's name, unknown, absent, upper-case,
  an IP literal or with a trailing dot; ALPN lists (h2, http/1.1, none, unknown); TLS 1.2
  and/or 1.3; a TLS 1.2 cipher list; one ECDHE curve; a client certificate from the trusted
  CA, from another CA, or none. After the handshake one request with a Host equal to the
  SNI or not: HTTP/1.1, or HTTP/2 (raw frames) when ALPN chose h2.
- "ossl": `openssl s_client` (handshake only) with the same SNI/ALPN/version choices plus
  TLS 1.3 suites, groups (X25519, X448...) and signature algorithms; it shows what Python
  cannot: the key exchange group, the signature type and the certificate chain's length.

Compared: handshake success or the failure (the alert, as the client reports it), version,
cipher, ALPN, group, signature type, the certificate served (subject, SANs, issuer, chain
length; serials and dates are not compared, and certificates from the two servers' own
local CAs compare by their names, which both make the same) and the first answer (status
and body; the body names the site and the TLS placeholders it saw).

Usage: tls_fuzz.py <gatehouse> [--seed S] [--seeds N] [--cases N] [--only K] [--clients N]
                   [--time-limit SEC] [--keep] [--verbose]
  --seed S --seeds N  seeds S..S+N-1 (default 1 and 1); --cases N per seed (default 6)
  --only K            only case K of the seed (as a DIFF line names it)
  --keep              keep the work directory (Caddyfiles, logs) and print its path
Exit: 0 no unexplained difference, 1 some, 77 caddy, openssl or cryptography is missing.
"""
import os
import random
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import ports  # noqa: E402

VERBOSE = "--verbose" in sys.argv
START_TIMEOUT = 15.0
IO_TIMEOUT = 5.0

NAMES = ["a.localhost", "b.localhost", "c.localhost", "*.w.localhost", "127.0.0.1", "localhost"]
GO_CIPHERS = ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
              "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
              "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
              "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
              "TLS_RSA_WITH_AES_128_GCM_SHA256"]
GO_CURVES = ["x25519", "secp256r1", "secp384r1", "secp521r1"]
CLIENT_AUTH_MODES = ["request", "require", "verify_if_given", "require_and_verify"]
PY_CIPHERS = ["ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384",
              "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256",
              "AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES128-SHA",
              "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"]
PY_CURVES = ["prime256v1", "secp384r1", "secp521r1"]
OSSL_GROUPS = ["X25519", "P-256", "P-384:X25519", "P-521", "X448", "P-256:P-384"]
OSSL_SUITES = ["TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"]
OSSL_SIGALGS = ["ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256", "RSA+SHA256", "ECDSA+SHA384:rsa_pss_rsae_sha384"]
ALPNS = [None, ["h2", "http/1.1"], ["http/1.1"], ["h2"], ["foo"], ["foo", "http/1.1"], ["http/1.1", "h2"]]
BODY = '"{host} sni={http.request.tls.server_name} proto={http.request.proto} ' \
       'client={http.request.tls.client.subject}"'



def _no_cert_alert(case, c, a, b):
    """A client without a certificate where one is required: the alerts aside, equal."""
    if c["cert"] is not None:
        return False
    swap = {"TLSV13_ALERT_CERTIFICATE_REQUIRED": "SSLV3_ALERT_BAD_CERTIFICATE",
            "SSLV3_ALERT_HANDSHAKE_FAILURE": "SSLV3_ALERT_BAD_CERTIFICATE",
            "tlsv13 alert certificate required": "sslv3 alert bad certificate",
            "sslv3 alert handshake failure": "sslv3 alert bad certificate"}
    b2 = {}
    for k, v in b.items():
        if isinstance(v, str):
            for old, new in swap.items():
                v = v.replace(old, new)
        b2[k] = v
    return b2 == a and "bad" in repr(a).lower()


# Differences judged legitimate: (predicate over the case, client and both observations, reason).
KNOWN = [
    (_no_cert_alert,
     "no client certificate where client_auth requires one: Go 1.19 (caddy 2.6.2) sends bad_certificate; "
     "OpenSSL 3.0 hard-codes handshake_failure (TLS 1.2) and certificate_required (TLS 1.3, RFC 8446 "
     "4.4.2.4) in tls_process_client_certificate, with no callback to choose another"),
]


# ---------------------------------------------------------------- generation

def gen_site_tls(rng, name, all_names):
    """The `tls` lines of one site (list of lines, may be empty) and what its cert covers."""
    kind = rng.choice(["file", "file", "file", "internal", "none"])
    head = None
    if kind == "file":
        sans = [name]
        for other in all_names:
            if other != name and rng.random() < 0.2:
                sans.append(other)
        if name.startswith("*.") and rng.random() < 0.3:
            sans = ["*.w.localhost"]
        if rng.random() < 0.12:  # a certificate that does not cover its own site
            sans = [rng.choice(["other.localhost", "127.0.0.1", "*.w.localhost"])]
        cn = rng.choice(["", sans[0], "cn-only.localhost"])
        spec = (rng.choice(["ec", "rsa"]), rng.choice(["ec", "rsa"]), cn, tuple(sans), rng.random() < 0.5)
        head = ("file", spec)
    elif kind == "internal":
        head = ("internal", None)
    opts = []
    if rng.random() < 0.5:
        if rng.random() < 0.4:
            lo, hi = rng.choice([("tls1.2", "tls1.3"), ("tls1.3", None), ("tls1.2", "tls1.2"), ("tls1.3", "tls1.3")])
            opts.append("protocols " + lo + (" " + hi if hi else ""))
        if rng.random() < 0.3:
            opts.append("ciphers " + " ".join(rng.sample(GO_CIPHERS, rng.randint(1, 3))))
        if rng.random() < 0.3:
            opts.append("curves " + " ".join(rng.sample(GO_CURVES, rng.randint(1, 2))))
        if rng.random() < 0.3:
            opts.append("alpn " + " ".join(rng.choice([["h2"], ["http/1.1"], ["http/1.1", "h2"], ["h2", "http/1.1"]])))
        if rng.random() < 0.4:
            mode = rng.choice(CLIENT_AUTH_MODES + [None])
            ca = []
            if mode in ("verify_if_given", "require_and_verify", None) or rng.random() < 0.5:
                ca = ["trusted_ca_cert_file {CLIENT_CA}"]
            opts.append(("client_auth", ([("mode " + mode)] if mode else []) + ca))
    return {"head": head, "opts": opts}


def gen_case(rng):
    n = rng.randint(1, 4)
    names = rng.sample(NAMES, n)
    sites = [dict(name=nm, **gen_site_tls(rng, nm, names)) for nm in names]
    glob = {}
    if rng.random() < 0.35:
        glob["default_sni"] = rng.choice(names + ["b.localhost", "zz.localhost"])
    if rng.random() < 0.25:
        glob["local_certs"] = True
    glob["auto_https"] = rng.choice([None, None, "disable_redirects", "off"])
    if rng.random() < 0.35:
        glob["strict_sni_host"] = rng.choice(["", "on", "insecure_off"])
    return {"sites": sites, "globals": glob}


def gen_client(rng, case):
    names = [s["name"] for s in case["sites"]]
    sni_kind = rng.choice(["site", "site", "site", "wild", "unknown", "none", "upper", "ip", "dot", "cn"])
    plain = [n for n in names if not n.startswith("*.") and n != "127.0.0.1"] or ["a.localhost"]
    sni = {"site": rng.choice(plain), "wild": "x.w.localhost", "unknown": "zz.localhost", "none": None,
           "upper": rng.choice(plain).upper(), "ip": "127.0.0.1", "dot": rng.choice(plain) + ".",
           "cn": "cn-only.localhost"}[sni_kind]
    c = {"kind": "py" if rng.random() < 0.7 else "ossl", "sni": sni, "alpn": rng.choice(ALPNS),
         "version": rng.choice([None, None, "1.2", "1.3"]),
         "cert": rng.choice([None, None, "good", "wrong"])}
    if c["kind"] == "py":
        if c["version"] != "1.3" and rng.random() < 0.3:
            c["ciphers"] = rng.choice(PY_CIPHERS)
        if rng.random() < 0.25:
            c["curve"] = rng.choice(PY_CURVES)
        base = (sni or rng.choice(plain)).rstrip(".").lower()
        c["host"] = rng.choice([base, base, base, rng.choice(plain), "zz.localhost", base.upper(),
                                base + ":{PORT}"])
    else:
        if rng.random() < 0.3:
            c["suites"] = rng.choice(OSSL_SUITES)
        if rng.random() < 0.3:
            c["groups"] = rng.choice(OSSL_GROUPS)
        if rng.random() < 0.3:
            c["sigalgs"] = rng.choice(OSSL_SIGALGS)
        if c["version"] != "1.3" and rng.random() < 0.2:
            c["ciphers"] = rng.choice(PY_CIPHERS)
    return c


def render(case, pki, port, http_port):
    g = case["globals"]
    out = ["{", "\tadmin off", "\tdefault_bind 127.0.0.1", "\tskip_install_trust",
           "\thttp_port %d" % http_port, "\thttps_port %d" % port]
    if g.get("default_sni"):
        out.append("\tdefault_sni " + g["default_sni"])
    if g.get("local_certs"):
        out.append("\tlocal_certs")
    if g.get("auto_https"):
        out.append("\tauto_https " + g["auto_https"])
    if "strict_sni_host" in g:
        out += ["\tservers {", ("\t\tstrict_sni_host " + g["strict_sni_host"]).rstrip(), "\t}"]
    out.append("}")
    for s in case["sites"]:
        out.append("")
        out.append("%s:%d {" % (s["name"], port))
        tls = []
        head = s["head"]
        if head is not None and head[0] == "file":
            cert, key = pki.leaf(head[1])
            tls = ["tls", cert, key]
        elif head is not None:
            tls = ["tls", "internal"]
        if s["opts"]:
            tls = tls or ["tls"]
            out.append("\t" + " ".join(tls) + " {")
            for o in s["opts"]:
                if isinstance(o, tuple):
                    out.append("\t\tclient_auth {")
                    out += ["\t\t\t" + x.replace("{CLIENT_CA}", pki.client_ca_file) for x in o[1]]
                    out.append("\t\t}")
                else:
                    out.append("\t\t" + o)
            out.append("\t}")
        elif tls:
            out.append("\t" + " ".join(tls))
        out.append("\trespond " + BODY.replace("{host}", s["name"]))
        out.append("}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- servers

class Server:
    def __init__(self, name, argv, work, text, port):
        self.name, self.port = name, port
        home = os.path.join(work, name)
        os.makedirs(home, exist_ok=True)
        self.config = os.path.join(home, "Caddyfile")
        with open(self.config, "w") as f:
            f.write(text)
        env = dict(os.environ, HOME=os.path.join(home, "home"), XDG_CONFIG_HOME=os.path.join(home, "config"),
                   XDG_DATA_HOME=os.path.join(home, "data"))
        self.log_path = os.path.join(home, "log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(argv + [self.config], env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=home)
        self.error = self._wait()

    def _wait(self):
        deadline = time.time() + START_TIMEOUT
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return "exited %s" % self.proc.returncode
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return None
            except OSError:
                time.sleep(0.05)
        return "not listening"

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()


def wait_internal_certs(port, case):
    """Servers issue local-CA certificates in the background: wait (bounded) until every
    site name without a loaded file is answered with a certificate."""
    names = []
    for s in case["sites"]:
        if s["head"] is None or s["head"][0] != "file":
            n = s["name"].replace("*", "x")
            names.append(None if n == "127.0.0.1" else n)
    deadline = time.time() + 6
    for n in names:
        while time.time() < deadline:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
                    with ctx.wrap_socket(raw, server_hostname=n):
                        break
            except ssl.SSLError as e:
                if "INTERNAL_ERROR" not in str(e):
                    break
            except OSError:
                pass
            time.sleep(0.1)


# ---------------------------------------------------------------- clients

def cert_summary(der_list):
    """Subject, SANs, issuer of the leaf (and the chain's length) in comparable form."""
    from cryptography import x509
    if not der_list:
        return None
    leaf = x509.load_der_x509_certificate(der_list[0])
    try:
        sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        san_list = sorted(str(v.value) for v in sans)
    except x509.ExtensionNotFound:
        san_list = []
    key = type(leaf.public_key()).__name__.replace("_", "").lower()
    key = "rsa" if "rsa" in key else "ec" if "ellipticcurve" in key else key
    return {"subject": leaf.subject.rfc4514_string(), "sans": san_list, "issuer": leaf.issuer.rfc4514_string(),
            "key": key}


def py_client(port, c, pki, auth_anywhere):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    if c["version"] == "1.2":
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif c["version"] == "1.3":
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    if c.get("ciphers"):
        ctx.set_ciphers(c["ciphers"])
    if c.get("curve"):
        ctx.set_ecdh_curve(c["curve"])
    if c["alpn"]:
        ctx.set_alpn_protocols(c["alpn"])
    if c["cert"]:
        ctx.load_cert_chain(*pki.clients[c["cert"]])
    obs = {}
    raw = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
    try:
        try:
            s = ctx.wrap_socket(raw, server_hostname=c["sni"])
        except ssl.SSLError as e:
            obs["handshake"] = "failed: " + (e.reason or str(e))
            return obs
        except OSError as e:
            obs["handshake"] = "failed: " + type(e).__name__
            return obs
        obs["handshake"] = "ok"
        obs["version"], obs["cipher"] = s.version(), s.cipher()[0]
        obs["alpn"] = s.selected_alpn_protocol()
        obs["cert"] = cert_summary([s.getpeercert(binary_form=True)])
        host = c["host"].replace("{PORT}", str(port))
        early = b""
        if obs["version"] == "TLSv1.3" and auth_anywhere:
            # A TLS 1.3 server judges the client's certificate after the client's Finished:
            # read its alert (if any) before writing, or the write may meet a closed socket.
            try:
                s.settimeout(0.15)
                early = s.recv(65536)
            except (socket.timeout, ssl.SSLWantReadError):
                pass
            except ssl.SSLError as e:
                obs["answer"] = "read failed: " + (e.reason or str(e))
                return obs
            except OSError as e:
                obs["answer"] = "read failed: " + type(e).__name__
                return obs
            s.settimeout(IO_TIMEOUT)
        obs["answer"] = h2_request(s, host, early) if obs["alpn"] == "h2" else h1_request(s, host)
        s.close()
    finally:
        raw.close()
    return obs


def h1_request(s, host):
    s.sendall(("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % host).encode())
    data = b""
    deadline = time.time() + IO_TIMEOUT
    try:
        while time.time() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except ssl.SSLError as e:
        if not data:
            return "read failed: " + (e.reason or str(e))
    except OSError as e:
        if not data:
            return "read failed: " + type(e).__name__
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0]:
        return "closed without an answer"
    status = lines[0].split(" ")[1] if " " in lines[0] else lines[0]
    return "%s %s" % (status, body.decode("utf-8", "replace"))


def h2_request(s, host, early=b""):
    import h2_frames as h2
    import h2_tls_client
    from hpack_inflate import Inflater
    conn = object.__new__(h2_tls_client.Conn)
    conn.sock, conn.buf, conn.inflater = s, early, Inflater()
    try:
        block = h2.hpack([(":method", "GET"), (":scheme", "https"), (":authority", host), (":path", "/")])
        s.sendall(h2.PREFACE + h2.settings([]) + h2.frame(h2.HEADERS, h2.END_STREAM | h2.END_HEADERS, 1, block))
        ev = h2_tls_client.events(conn, time.time() + IO_TIMEOUT, quiet=1.0)
    except ssl.SSLError as e:
        return "read failed: " + (e.reason or str(e))
    except OSError as e:
        return "read failed: " + type(e).__name__
    status, body = None, b""
    for e in ev:
        if e[0] == "HEADERS" and e[1] == 1:
            status = dict(e[3]).get(":status", status)
        elif e[0] == "DATA" and e[1] == 1:
            body += e[3]
        elif e[0] in ("RST", "GOAWAY") and status is None:
            return "%s %s" % (e[0], e[-1])
    return "h2 %s %s" % (status, body.decode("utf-8", "replace"))


def ossl_client(port, c, pki, auth_anywhere):
    argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-showcerts"]
    argv += ["-servername", c["sni"]] if c["sni"] else ["-noservername"]
    if c["alpn"]:
        argv += ["-alpn", ",".join(c["alpn"])]
    if c["version"]:
        argv.append("-tls1_2" if c["version"] == "1.2" else "-tls1_3")
    for opt in ("ciphers", "suites", "groups", "sigalgs"):
        if c.get(opt):
            argv += [{"ciphers": "-cipher", "suites": "-ciphersuites"}.get(opt, "-" + opt), c[opt]]
    if c["cert"]:
        argv += ["-cert", pki.clients[c["cert"]][0], "-key", pki.clients[c["cert"]][1]]
    # A TLS 1.3 server judges a client certificate after the client's Finished: with stdin
    # open a moment longer s_client reads that alert (or nothing) before it leaves, instead
    # of racing the server (caddy's alert was seen, ours often not, or the reverse).
    hold = 0.5 if auth_anywhere and c["version"] != "1.2" else 0
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        if hold:
            time.sleep(hold)
        raw, _ = p.communicate(input=b"", timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        return {"handshake": "s_client timed out"}
    out = raw.decode("utf-8", "replace")
    obs = {}
    m = re.search(r"^New, (\S+), Cipher is (\S+)", out, re.M)
    errs = re.findall(r":SSL routines:[^:]*:([^:]+):", out)
    if not m or m.group(2) == "(NONE)":
        obs["handshake"] = "failed: " + (errs[0] if errs else "no handshake")
        return obs
    obs["handshake"] = "ok"
    obs["version"], obs["cipher"] = m.group(1), m.group(2)
    a = re.search(r"^ALPN protocol: (\S+)", out, re.M)
    obs["alpn"] = a.group(1) if a else None
    for key, pat in (("group", r"^Server Temp Key: ([^,\n]+)"), ("sigtype", r"^Peer signature type: (\S+)")):
        mm = re.search(pat, out, re.M)
        obs[key] = mm.group(1) if mm else None
    pems = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", out, re.S)
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    ders = [x509.load_pem_x509_certificate(p_.encode()).public_bytes(serialization.Encoding.DER) for p_ in pems]
    obs["cert"] = cert_summary(ders)
    obs["chain"] = len(ders)
    if errs:
        obs["after"] = errs[0]  # an alert after the client's Finished (TLS 1.3 client auth)
    return obs


def observe(port, c, pki, case):
    auth_anywhere = any(isinstance(o, tuple) for s in case["sites"] for o in s["opts"])
    try:
        return (py_client if c["kind"] == "py" else ossl_client)(port, c, pki, auth_anywhere)
    except Exception as e:  # noqa: BLE001  (a client-side problem shows as a difference, not a crash)
        return {"client error": "%s: %s" % (type(e).__name__, e)}


# ---------------------------------------------------------------- comparing

def normalise(obs):
    """Local-CA issuers carry the server's own CA name and the year: compare their shape."""
    out = dict(obs)
    cert = out.get("cert")
    if cert:
        cert = dict(cert)
        cert["issuer"] = re.sub(r"Caddy Local Authority - \d{4} ECC", "Caddy Local Authority - YEAR ECC",
                                cert["issuer"])
        out["cert"] = cert
    return out


def known(case, c, a, b):
    for pred, reason in KNOWN:
        if pred(case, c, a, b):
            return reason
    return None


def describe_client(c):
    return " ".join("%s=%s" % (k, v) for k, v in c.items() if v is not None)


def run_case(seed, k, gatehouse, caddy, pki, work, n_clients, keep):
    rng = random.Random("%d/%d" % (seed, k))
    case = gen_case(rng)
    clients = [gen_client(rng, case) for _ in range(n_clients)]
    servers = []
    diffs, n_known = [], 0
    try:
        for name, argv in (("caddy", [caddy, "run", "--adapter", "caddyfile", "--config"]),
                           ("gatehouse", [gatehouse, "run", "--adapter", "caddyfile", "--workers", "1", "--config"])):
            port, http_port = ports.free_port(), ports.free_port()
            servers.append(Server(name, argv, work, render(case, pki, port, http_port), port))
        if servers[0].error or servers[1].error:
            if bool(servers[0].error) != bool(servers[1].error):
                diffs.append("start: caddy %s, gatehouse %s\n  caddy log: %s\n  gatehouse log: %s" % (
                    servers[0].error or "ok", servers[1].error or "ok", servers[0].log_text()[-600:],
                    servers[1].log_text()[-600:]))
            return case, servers, diffs, n_known
        for srv in servers:
            wait_internal_certs(srv.port, case)
        for i, c in enumerate(clients):
            a = normalise(observe(servers[0].port, c, pki, case))
            b = normalise(observe(servers[1].port, c, pki, case))
            if "--show" in sys.argv:
                print("  client %d: %s\n    caddy:     %s\n    gatehouse: %s" % (i, describe_client(c), a, b))
            if a == b:
                continue
            reason = known(case, c, a, b)
            if reason:
                n_known += 1
                if VERBOSE:
                    print("KNOWN seed %d case %d client %d: %s" % (seed, k, i, reason))
                continue
            diffs.append("client %d: %s\n    caddy:     %s\n    gatehouse: %s" % (i, describe_client(c), a, b))
    finally:
        for srv in servers:
            srv.close()
    return case, servers, diffs, n_known


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        print(__doc__)
        return 2
    gatehouse = os.path.abspath(args[0])

    def opt(name, default):
        return int(args[args.index(name) + 1]) if name in args else default
    seed, seeds, cases, clients = opt("--seed", 1), opt("--seeds", 1), opt("--cases", 6), opt("--clients", 10)
    only, limit = opt("--only", -1), opt("--time-limit", 0)
    caddy = shutil.which("caddy")
    if not caddy or not shutil.which("openssl"):
        print("SKIP: caddy or openssl is not installed")
        return 77
    try:
        import cryptography  # noqa: F401
    except ImportError:
        print("SKIP: python3-cryptography is not installed")
        return 77
    import tls_pki_gen
    work = tempfile.mkdtemp(prefix="tls-fuzz-")
    started = time.time()
    pki = tls_pki_gen.Pki(os.path.join(work, "pki"))
    failed = n_cases = n_known = 0
    try:
        out_of_time = False
        for s in range(seed, seed + seeds):
            for k in range(cases):
                if only >= 0 and k != only:
                    continue
                if limit and time.time() - started > limit:
                    out_of_time = True
                    break
                case_dir = os.path.join(work, "s%d-c%d" % (s, k))
                case, servers, diffs, kn = run_case(s, k, gatehouse, caddy, pki, case_dir, clients, "--keep" in args)
                n_cases += 1
                n_known += kn
                if diffs:
                    failed += 1
                    print("DIFF seed %d case %d (--seed %d --only %d):" % (s, k, s, k))
                    with open(servers[1].config) as f:
                        print("  " + f.read().replace("\n", "\n  "))
                    for d in diffs:
                        print("  " + d)
            if out_of_time:
                print("time limit reached")
                break
    finally:
        if "--keep" in args:
            print("work directory kept: " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("%d cases, %d with unexplained differences, %d known differences, %.1f s" % (
        n_cases, failed, n_known, time.time() - started))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
