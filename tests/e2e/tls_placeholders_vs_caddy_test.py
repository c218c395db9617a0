"""{http.request.tls.*} against Debian's caddy 2.6.2: the same Caddyfile (a loaded leaf,
client_auth verify_if_given) served by both, each placeholder of the TLS family rendered in
a `respond` body and compared line by line, over HTTP/2 and HTTP/1.1, TLS 1.3 and 1.2, with
and without a client certificate (one with DNS, email, IP and URI SANs), and with a client
that prefers ChaCha20 (Go then picks it; OpenSSL does with PRIORITIZE_CHACHA); and a site with
its own `ciphers` list, from which Go picks in its own order.
Usage: tls_placeholders_vs_caddy_test.py <path-to-gatehouse>
"""
import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True
import tls_pki  # noqa: E402
from caddy_peer import CaddyPeer  # noqa: E402
from harness import check, finish, free_port, start, stop  # noqa: E402

BODY = "\n".join([
    "v={http.request.tls.version}|cs={http.request.tls.cipher_suite}|p={http.request.tls.proto}",
    "pm={http.request.tls.proto_mutual}|sn={http.request.tls.server_name}|r={http.request.tls.resumed}",
    "upper={http.request.tls.VERSION}|nope={http.request.tls.nope}|short={tls_cipher}/{tls_version}",
    "subj={http.request.tls.client.subject}|iss={http.request.tls.client.issuer}",
    "ser={http.request.tls.client.serial}|fp={http.request.tls.client.fingerprint}",
    "pk={http.request.tls.client.public_key}|pks={http.request.tls.client.public_key_sha256}",
    "der={http.request.tls.client.certificate_der_base64}|shder={tls_client_certificate_der_base64}",
    "dns={http.request.tls.client.san.dns_names}|dns0={http.request.tls.client.san.dns_names.0}",
    "dns1={http.request.tls.client.san.dns_names.1}|dns5={http.request.tls.client.san.dns_names.5}",
    "dnsx={http.request.tls.client.san.dns_names.x}|dnsneg={http.request.tls.client.san.dns_names.-1}",
    "dnsdot={http.request.tls.client.san.dns_names.}|dnsjunk={http.request.tls.client.san.dns_namesXY}",
    "em={http.request.tls.client.san.emails}|em0={http.request.tls.client.san.emails.0}",
    "ips={http.request.tls.client.san.ips}|ip0={http.request.tls.client.san.ips.0}",
    "ip1={http.request.tls.client.san.ips.1}|ip2={http.request.tls.client.san.ips.2}",
    "uris={http.request.tls.client.san.uris}|uri0={http.request.tls.client.san.uris.0}",
    "sannope={http.request.tls.client.san.nope}|cnope={http.request.tls.client.nope}",
    "upperclient={http.request.tls.CLIENT.SUBJECT}",
    "short={tls_client_subject}/{tls_client_issuer}/{tls_client_serial}/{tls_client_fingerprint}",
    "scheme={scheme}|host={host}|proto={http.request.proto}",
    "pem={http.request.tls.client.certificate_pem}",
])

CADDYFILE = """{
	admin off
	auto_https disable_redirects
	default_bind 127.0.0.1
	skip_install_trust
}
https://example.test:%(port)d {
	tls %(crt)s %(key)s {
		client_auth {
			mode verify_if_given
			trusted_ca_cert_file %(cca)s
		}
	}
	respond "%(body)s"
}
https://example.test:%(port2)d {
	tls %(crt)s %(key)s {
		protocols tls1.2 tls1.2
		ciphers TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
	}
	respond "{http.request.tls.version} {http.request.tls.cipher_suite}"
}
"""


def fetch(port, ca, extra):
    rc, out, err = tls_pki.curl(["--cacert", ca, "--resolve", "example.test:%d:127.0.0.1" % port,
                                 "https://example.test:%d/" % port] + extra)
    return out.replace(str(port), "PORT") if rc == 0 else "curl failed (%d): %s" % (rc, err.strip())


def compare(gport, cport, ca, label, extra):
    ours, theirs = fetch(gport, ca, extra), fetch(cport, ca, extra)
    if ours != theirs:
        for a, b in zip(theirs.splitlines(), ours.splitlines()):
            if a != b:
                print("  caddy:     %s\n  gatehouse: %s" % (a[:200], b[:200]))
    check(ours == theirs and theirs.startswith("v=tls"), "%s: same TLS placeholders as caddy" % label)


def main():
    binary = os.path.abspath(sys.argv[1])
    if not shutil.which("caddy") or not shutil.which("curl") or not shutil.which("openssl"):
        print("SKIP: needs caddy, curl and openssl")
        return 77
    tmp = tempfile.mkdtemp(prefix="gh-tlsph-")
    try:
        ca = tls_pki.make_ca(tmp, "ca")
        crt, key = tls_pki.make_leaf(tmp, "srv", ["DNS:example.test", "IP:127.0.0.1"], ca)
        cca = tls_pki.make_ca(tmp, "cca")
        client = tls_pki.make_leaf(tmp, "client", ["DNS:c1.test", "DNS:c2.test", "email:a@b.test", "IP:10.0.0.1",
                                                   "IP:::1", "URI:spiffe://x/y"], cca, client=True)
        gport, cport, gport2, cport2 = free_port(), free_port(), free_port(), free_port()
        values = {"crt": crt, "key": key, "cca": cca[0], "body": BODY}
        cfg = os.path.join(tmp, "Caddyfile")
        with open(cfg, "w") as f:
            f.write(CADDYFILE % dict(values, port=gport, port2=gport2))
        proc, _, drain, _ = start(binary, cfg, adapter="caddyfile", workers=1)
        caddy = CaddyPeer(CADDYFILE % dict(values, port=cport, port2=cport2), [cport, cport2], name="tlsph")
        try:
            cert = ["--cert", client[0], "--key", client[1]]
            compare(gport, cport, ca[0], "h2, TLS 1.3, client certificate", cert)
            compare(gport, cport, ca[0], "HTTP/1.1, TLS 1.3, client certificate", cert + ["--http1.1"])
            compare(gport, cport, ca[0], "h2, TLS 1.3, no client certificate", [])
            compare(gport, cport, ca[0], "HTTP/1.1, TLS 1.2", ["--http1.1", "--tlsv1.2", "--tls-max", "1.2"])
            compare(gport, cport, ca[0], "TLS 1.2, client certificate", cert + ["--tlsv1.2", "--tls-max", "1.2"])
            compare(gport, cport, ca[0], "TLS 1.2, a client preferring ChaCha20",
                    ["--tlsv1.2", "--tls-max", "1.2", "--ciphers",
                     "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256"])
            compare(gport, cport, ca[0], "TLS 1.2, a client preferring AES-256",
                    ["--tlsv1.2", "--tls-max", "1.2", "--ciphers",
                     "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256"])
            compare(gport, cport, ca[0], "TLS 1.3, a client preferring ChaCha20",
                    ["--tls13-ciphers", "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"])
            # Go picks from a configured list in its own order, not the list's.
            for label, extra in (("a configured list, default client", []),
                                 ("a configured list, ChaCha20-preferring client",
                                  ["--ciphers", "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384"])):
                ours, theirs = fetch(gport2, ca[0], extra), fetch(cport2, ca[0], extra)
                check(ours == theirs and theirs.startswith("tls1.2 "),
                      "%s: the suite caddy picks (%r, gatehouse %r)" % (label, theirs, ours))
        finally:
            caddy.stop()
            stop(proc, drain)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
