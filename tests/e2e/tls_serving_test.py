#!/usr/bin/env python3
"""End-to-end: gatehouse serving HTTPS from loaded certificates.

Covers certificate selection (exact SNI, one-label wildcard, default_sni, the connection's
IP without SNI), policy settings (protocol_max), ALPN, TLS placeholders, client_auth,
session resumption across workers, and bad handshakes not hurting the server. Uses curl
and openssl s_client against 127.0.0.1 only, with a CA made for the run.
Usage: tls_serving_test.py <path-to-gatehouse>
"""
import hashlib
import json
import os
import shutil
import signal
import socket
import sys
import tempfile

sys.dont_write_bytecode = True
import tls_pki  # noqa: E402
from harness import FAILURES, check, finish  # noqa: E402,F401


BODY = ("{http.request.tls.server_name}|{http.request.tls.version}|{http.request.tls.proto}|"
        "{http.request.scheme}|{http.request.tls.cipher_suite}|{http.request.tls.client.subject}")


def read_text(path):
    with open(path) as f:
        return f.read()


def pem_body(path):
    """The base64 DER inside a PEM certificate file (Caddy's trusted_leaf_certs form)."""
    with open(path) as f:
        return "".join(line.strip() for line in f if not line.startswith("-----"))


def config(tmp, ca, certs, client_ca, client, pem_cert):
    return {
        "admin": {"disabled": True},
        "apps": {
            "http": {"servers": {"srv0": {
                "listen": ["127.0.0.1:0"],
                "automatic_https": {"disable": True},
                "strict_sni_host": True,
                "routes": [
                    {"match": [{"path": ["/big.bin"]}], "handle": [{"handler": "file_server", "root": tmp}]},
                    {"match": [{"protocol": "https"}],
                     "handle": [{"handler": "static_response", "body": BODY}]},
                    {"handle": [{"handler": "static_response", "status_code": 500, "body": "not https"}]},
                ],
                "tls_connection_policies": [
                    {"match": {"sni": ["mtls.test"]},
                     "client_authentication": {"trusted_ca_certs_pem_files": [client_ca[0]],
                                               "mode": "require_and_verify"}},
                    {"match": {"sni": ["pin.test"]},
                     "client_authentication": {"trusted_leaf_certs": [pem_body(client[0])]}},
                    {"match": {"sni": ["old.test"]}, "protocol_max": "tls1.2",
                     "cipher_suites": ["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"], "curves": ["secp384r1"]},
                    {"default_sni": "default.test"},
                ],
            }}},
            "tls": {"certificates": {
                "load_files": [{"certificate": c, "key": k} for c, k in certs[:-1]],
                "load_pem": [{"certificate": read_text(pem_cert[0]), "key": read_text(pem_cert[1])}],
                "load_folders": [os.path.join(tmp, "folder")]}},
        },
    }


def get(port, name, extra=()):
    return tls_pki.curl(["--cacert", CA_CRT, "--resolve", "%s:%d:127.0.0.1" % (name, port),
                         "https://%s:%d/" % (name, port)] + list(extra))


def main():
    global CA_CRT
    binary = sys.argv[1]
    for tool in ("curl", "openssl"):
        if shutil.which(tool) is None:
            print("skip: %s not installed" % tool)
            return 77
    with tempfile.TemporaryDirectory() as tmp:
        ca = tls_pki.make_ca(tmp)
        CA_CRT = ca[0]
        certs = [tls_pki.make_leaf(tmp, "a.test", ["DNS:a.test"], ca),
                 tls_pki.make_leaf(tmp, "wild", ["DNS:*.wild.test"], ca),
                 tls_pki.make_leaf(tmp, "default.test", ["DNS:default.test"], ca),
                 tls_pki.make_leaf(tmp, "ip", ["IP:127.0.0.1"], ca),
                 tls_pki.make_leaf(tmp, "mtls.test", ["DNS:mtls.test", "DNS:old.test", "DNS:pin.test"], ca)]
        # The last one is loaded from a folder of PEM bundles (chain and key in one file).
        folder_cert = tls_pki.make_leaf(tmp, "folder.test", ["DNS:folder.test"], ca)
        os.mkdir(os.path.join(tmp, "folder"))
        with open(os.path.join(tmp, "folder", "bundle.pem"), "w") as out:
            for part in folder_cert:
                with open(part) as f:
                    out.write(f.read())
        certs.append(folder_cert)
        client_ca = tls_pki.make_ca(tmp, "clientca")
        client = tls_pki.make_leaf(tmp, "alice", [], client_ca, client=True)
        stranger_ca = tls_pki.make_ca(tmp, "strangerca")
        stranger = tls_pki.make_leaf(tmp, "mallory", [], stranger_ca, client=True)
        cfg_path = os.path.join(tmp, "config.json")
        with open(cfg_path, "w") as f:
            pem_cert = tls_pki.make_leaf(tmp, "pem.test", ["DNS:pem.test"], ca)
            json.dump(config(tmp, ca, certs, client_ca, client, pem_cert), f)
        proc, servers, drain, _ = tls_pki.start(binary, cfg_path, workers=2)
        port = tls_pki.port_of(servers["srv0"][0])
        try:
            run_checks(port, tmp, client, stranger)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(15)
            except Exception:
                proc.kill()
                rc = None
            check(rc == 0, "clean exit after SIGTERM (rc=%s)" % rc)
            report = drain.finish()
            check(report == "", "no sanitizer report")
            if report:
                print(report)
    return finish()


def run_checks(port, tmp, client, stranger):
    # Exact SNI, TLS 1.3, h2 via ALPN (curl's default), placeholders.
    rc, out, err = get(port, "a.test")
    fields = out.split("|")
    check(rc == 0 and fields[:4] == ["a.test", "tls1.3", "h2", "https"],
          "exact SNI a.test over TLS 1.3: %r %s" % (out, err.strip()))
    check(rc == 0 and fields[4].startswith("TLS_"), "cipher suite placeholder: %r" % out)
    # A client offering h2 and http/1.1 gets h2; one offering only http/1.1 gets that.
    rc, out, err = get(port, "a.test", ["--http2"])
    check(rc == 0 and out.split("|")[2] == "h2", "ALPN h2,http/1.1 -> h2: %r %s" % (out, err.strip()))
    rc, out, err = get(port, "a.test", ["--http1.1"])
    check(rc == 0 and out.split("|")[2] == "http/1.1", "ALPN http/1.1 -> http/1.1: %r %s" % (out, err.strip()))
    rc, out, err = get(port, "folder.test")
    check(rc == 0 and out.startswith("folder.test|"), "certificate from load_folders: %s" % err.strip())
    # One-label wildcard; two labels are not covered. default_sni stands in only for a missing
    # SNI: an SNI naming no certificate fails with internal_error, as caddy 2.6.2 does.
    rc, out, err = get(port, "x.wild.test")
    check(rc == 0 and out.startswith("x.wild.test|"), "wildcard *.wild.test serves x.wild.test: %s" % err.strip())
    out = tls_pki.s_client(port, ["-servername", "a.b.wild.test"], b"")
    check("alert internal error" in out and "CN = default.test" not in out,
          "two labels under a wildcard: no certificate, default_sni not used")
    out = tls_pki.s_client(port, ["-servername", "unknown.test"], b"")
    check("alert internal error" in out and "CN = default.test" not in out,
          "unknown SNI: no certificate (default_sni is for a missing SNI only)")
    # No SNI: certmagic tries the local address first (this server has a 127.0.0.1
    # certificate), default_sni only after it, as caddy 2.6.2 does (tls_fuzz.py compares it).
    out = tls_pki.s_client(port, ["-noservername"], b"")
    check("CN = ip" in out, "no SNI to 127.0.0.1 gets the 127.0.0.1 certificate before default_sni's")
    # TLS 1.2 on request, with one of Caddy's ECDHE AEAD suites.
    rc, out, err = get(port, "a.test", ["--tls-max", "1.2"])
    fields = out.split("|")
    suite = fields[4] if len(fields) > 4 else ""
    check(rc == 0 and fields[1] == "tls1.2" and suite.startswith("TLS_ECDHE_") and ("GCM" in suite or
          "CHACHA20" in suite), "TLS 1.2 with an ECDHE AEAD suite: %r %s" % (out, err.strip()))
    # TLS 1.1 is below Caddy's minimum.
    rc, out, err = get(port, "a.test", ["--tlsv1.1", "--tls-max", "1.1"])
    check(rc != 0, "TLS 1.1 refused (curl rc=%d)" % rc)
    # A policy with protocol_max tls1.2.
    rc, out, err = get(port, "old.test")
    check(rc == 0 and out.split("|")[1] == "tls1.2", "protocol_max tls1.2 policy: %r %s" % (out, err.strip()))
    check(rc == 0 and out.split("|")[4] == "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
          "policy cipher_suites honoured: %r" % out)
    out = tls_pki.s_client(port, ["-servername", "old.test"], b"")
    check("Server Temp Key: ECDH, secp384r1" in out, "policy curves honoured (secp384r1)")
    rc, out, err = get(port, "old.test", ["--tlsv1.3"])
    check(rc != 0, "protocol_max tls1.2 refuses a TLS 1.3-only client (rc=%d)" % rc)
    # A client whose only ALPN protocol is unknown: no_application_protocol, as Go.
    out = tls_pki.s_client(port, ["-servername", "a.test", "-alpn", "spdy/1"], b"")
    check("no application protocol" in out or "alert" in out.lower(), "unknown ALPN refused")
    # acme-tls/1 without a pending challenge: refused, never answered with a site certificate.
    out = tls_pki.s_client(port, ["-servername", "a.test", "-alpn", "acme-tls/1"], b"")
    check("CN = a.test" not in out, "acme-tls/1 gets no site certificate")
    # trusted_leaf_certs: only the pinned client certificate, no CA needed.
    rc, out, err = get(port, "pin.test", ["--cert", client[0], "--key", client[1]])
    check(rc == 0 and out.split("|")[5] == "CN=alice,O=Gatehouse", "pinned client leaf accepted: %s" % err.strip())
    rc, out, err = get(port, "pin.test", ["--cert", stranger[0], "--key", stranger[1]])
    check(rc != 0, "a client leaf that is not pinned is refused (rc=%d)" % rc)
    rc, out, err = get(port, "pem.test")
    check(rc == 0 and out.startswith("pem.test|"), "certificate from load_pem: %s" % err.strip())
    # strict_sni_host: a Host other than the SNI is misdirected.
    rc, out, err = get(port, "a.test", ["-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: x.wild.test"])
    check(out == "421", "strict_sni_host: Host differing from SNI gets 421 (got %s)" % out)
    # client_auth require_and_verify.
    rc, out, err = get(port, "mtls.test")
    check(rc != 0, "client_auth: no client certificate refused (rc=%d)" % rc)
    rc, out, err = get(port, "mtls.test", ["--cert", client[0], "--key", client[1]])
    check(rc == 0 and out.split("|")[5] == "CN=alice,O=Gatehouse",
          "client_auth: trusted client certificate accepted, subject placeholder: %r %s" % (out, err.strip()))
    out = tls_pki.s_client(port, ["-servername", "mtls.test"], b"")
    names = out.split("Acceptable client certificate CA names", 1)[-1][:200]
    check("Gatehouse Test clientca" in names, "CertificateRequest names the trusted client CA")
    rc, out, err = get(port, "mtls.test", ["--cert", stranger[0], "--key", stranger[1]])
    check(rc != 0, "client_auth: certificate from an untrusted CA refused (rc=%d)" % rc)
    # Bad handshakes: garbage, plain HTTP, a half ClientHello, an abrupt close.
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")
    reply = s.recv(4096)
    s.close()
    check(reply.startswith(b"HTTP/1.0 400 Bad Request"), "plain HTTP on the TLS port gets Go's 400: %r" % reply[:40])
    for junk in (b"\x16\x03\x01\x00\x05hello", os.urandom(300), b"\x16\x03\x01\x40\x00" + os.urandom(100), b""):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        if junk:
            s.sendall(junk)
        if junk[:1] == b"\x16" and len(junk) > 10:
            s.shutdown(socket.SHUT_WR)
        try:
            s.recv(4096)
        except OSError:
            pass
        s.close()
    rc, out, err = get(port, "a.test")
    check(rc == 0 and out.startswith("a.test|"), "server still serves after bad handshakes")
    check_large_body(port, tmp)
    check_resumption(port, tmp)


def check_large_body(port, tmp):
    # A body far larger than the socket buffers, read slowly: the TLS layer must keep the
    # session's backpressure (drained/onDrained) and deliver every byte in order.
    with open(os.path.join(tmp, "big.bin"), "wb") as f:
        f.write(os.urandom(6 * 1024 * 1024 + 123))
    with open(os.path.join(tmp, "big.bin"), "rb") as f:
        want = hashlib.sha256(f.read()).hexdigest()
    got_path = os.path.join(tmp, "got.bin")
    rc, out, err = tls_pki.curl(["--cacert", CA_CRT, "--resolve", "a.test:%d:127.0.0.1" % port, "--limit-rate", "4M",
                                 "-o", got_path, "https://a.test:%d/big.bin" % port], timeout=30)
    with open(got_path, "rb") as f:
        got = hashlib.sha256(f.read()).hexdigest()
    check(rc == 0 and got == want, "6 MiB body over TLS to a slow reader arrives intact (rc=%d %s)" % (rc, err.strip()))


def check_resumption(port, tmp):
    # Several connections resume one session, whichever of the 2 workers accepts them:
    # the ticket keys are shared.
    for version in ("-tls1_3", "-tls1_2"):
        sess = os.path.join(tmp, "sess%s.pem" % version)
        request = b"GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"
        out = tls_pki.s_client(port, ["-servername", "a.test", version, "-sess_out", sess, "-ign_eof"], request)
        check("New, TLSv1" in out and os.path.exists(sess), "first %s connection is a full handshake" % version)
        reused = 0
        for _ in range(6):
            out = tls_pki.s_client(port, ["-servername", "a.test", version, "-sess_in", sess, "-ign_eof"], request)
            if "Reused, TLSv1" in out:
                reused += 1
        check(reused == 6, "%s session resumed on 6 of 6 later connections (got %d)" % (version, reused))


if __name__ == "__main__":
    sys.exit(main())
