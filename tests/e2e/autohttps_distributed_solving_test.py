#!/usr/bin/env python3
"""End-to-end: certmagic's distributed challenge solving, the reading half, against Debian's
pebble: the server that orders is NOT the one pebble's validation reaches.

B (Gatehouse) holds the ports pebble's VA validates on (its HTTP and TLS ports) and serves
the names only on demand, so it never orders them itself. All share one storage.
  First, B alone with a challenge file written by hand: answered only for its token and
      Host (case-insensitive), GET only; acme-tls/1 by SNI with the stored key authorization.
  (a) A (Gatehouse, on ports pebble never reaches) orders g.test over HTTP-01 and h.test
      over TLS-ALPN-01: A writes acme/<issuer>/challenge_tokens/<name>.json, pebble's
      request reaches B, and B answers from storage (read off its loop).
  (b) caddy 2.6.2 (on ports pebble never reaches) orders c1.test over HTTP-01 and c2.test
      over TLS-ALPN-01: B answers the challenges caddy stored.
Each certificate comes without a failed attempt; the challenge files are gone afterwards;
B logs what caddy 2.6.2 logs for each answer ("served key authentication" on its http
logger, "served key authentication certificate" on tls, both with distributed: true). (The reverse,
Gatehouse ordering and caddy answering: autohttps_shared_storage_test.py.)
Loopback only; every wait is bounded. Skips (77) without pebble, caddy or curl.
Usage: autohttps_distributed_solving_test.py <path-to-gatehouse>
"""
import hashlib
import json
import os
import shutil
import socket
import ssl
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import caddy_peer  # noqa: E402
import harness  # noqa: E402
from harness import check  # noqa: E402

HTTP_ONLY = "\ttls {\n\t\tissuer acme {\n\t\t\tdisable_tlsalpn_challenge\n\t\t}\n\t}\n"
TLS_ONLY = "\ttls {\n\t\tissuer acme {\n\t\t\tdisable_http_challenge\n\t\t}\n\t}\n"


def global_options(pebble, storage, http_port, https_port):
    return ("{\n\temail a@b.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n\thttps_port %d\n"
            "\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n\tadmin off\n}\n\n"
            % (pebble.directory, pebble.cert, http_port, https_port, storage))


def site(name, tls):
    return "%s {\n%s\trespond \"%s\"\n}\n\n" % (name, tls, name)


def write(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def served_from_storage(lines, name):
    return [e for e in lines if e.get("msg") == "served key authentication" and e.get("identifier") == name
            and e.get("challenge") == "http-01" and e.get("distributed") is True
            and e.get("logger") == "http" and str(e.get("remote", "")).startswith("127.0.0.1:")]


def served_cert_from_storage(lines, name):
    """caddy 2.6.2's line for an acme-tls/1 answer (logger tls, its fields)."""
    return [e for e in lines if e.get("msg") == "served key authentication certificate"
            and e.get("server_name") == name and e.get("challenge") == "tls-alpn-01"
            and e.get("distributed") is True and e.get("logger") == "tls"
            and str(e.get("remote", "")).startswith("127.0.0.1:")]


def token_files(storage, pebble):
    tokens = os.path.join(storage, "acme", "127.0.0.1-%d-dir" % pebble.port, "challenge_tokens")
    return os.listdir(tokens) if os.path.isdir(tokens) else []


def run_ours_ordering(binary, tmp, pebble, storage, roots):
    """(a): Gatehouse A orders, Gatehouse B answers."""
    ours = acme_pebble.free_port()
    cfg = write(tmp, "A.Caddyfile", global_options(pebble, storage, acme_pebble.free_port(), ours)
                + site("g.test", HTTP_ONLY) + site("h.test", TLS_ONLY))
    proc, _, drain, _ = harness.start(binary, cfg, adapter="caddyfile")
    try:
        for name in ("g.test", "h.test"):
            took = acme_pebble.wait_serving(name, ours, roots, 60)
            check(took is not None, "A: %s obtained through B's answer from storage (%s s)" % (name, took))
            rc, out, _ = acme_pebble.curl_https(name, ours, roots)
            check(rc == 0 and out == name, "A: %s served over verified HTTPS: %r" % (name, out))
    finally:
        harness.stop(proc, drain)
    lines = acme_pebble.parse_log(drain.text())
    check(not [e for e in lines if e.get("msg") in ("challenge failed", "will retry")],
          "A: the first challenges succeeded (no failure, no backoff)")
    obtained = {e.get("identifier") for e in lines if e.get("msg") == "certificate obtained successfully"}
    check(obtained >= {"g.test", "h.test"}, "A logged both certificates obtained: %s" % obtained)


def run_caddy_ordering(tmp, pebble, storage):
    """(b): caddy 2.6.2 orders, Gatehouse B answers."""
    peer_https = acme_pebble.free_port()
    peer = caddy_peer.CaddyPeer(global_options(pebble, storage, acme_pebble.free_port(), peer_https)
                                + site("c1.test", HTTP_ONLY) + site("c2.test", TLS_ONLY),
                                [peer_https], name="caddy-orders")
    try:
        deadline = time.time() + 60
        log = ""
        while time.time() < deadline:
            log = peer.read_log()
            if log.count("certificate obtained successfully") >= 2:
                break
            time.sleep(0.2)
        lines = acme_pebble.parse_log(log)
        obtained = {e.get("identifier") for e in lines if e.get("msg") == "certificate obtained successfully"}
        check(obtained == {"c1.test", "c2.test"}, "caddy obtained c1.test (HTTP-01) and c2.test (TLS-ALPN-01) "
              "through B's answers: %s" % obtained)
        failures = [e for e in lines if e.get("level") == "error"]
        check(not failures, "caddy logged no error (no failed challenge): %s" % failures[:3])
    finally:
        peer.stop()


def alpn_challenge_cert(port, name):
    """An acme-tls/1 handshake with B for `name`: the certificate's DER, or None when B
    refuses the handshake."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["acme-tls/1"])
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=name) as tls:
                der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        return None
    return der  # the acmeIdentifier extension holds the digest as an OCTET STRING


def http_get(port, host, path, method="GET"):
    """(status, body) of one request to B's HTTP port with this Host."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(("%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (method, path, host)).encode())
        data = b""
        while len(data) < 1 << 16:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode(errors="replace")


def run_checks(pebble, storage):
    """What B answers for a stored challenge it reads (as certmagic): the token of the path and
    the Host must both match; GET only; acme-tls/1 by SNI; nothing for other names."""
    key_auth = "tok-n.thumb"
    tokens = os.path.join(storage, "acme", "127.0.0.1-%d-dir" % pebble.port, "challenge_tokens")
    os.makedirs(tokens, exist_ok=True)
    path = os.path.join(tokens, "n.test.json")
    with open(path, "w") as f:
        json.dump({"type": "http-01", "url": "x", "status": "pending", "token": "tok-n",
                   "keyAuthorization": key_auth, "identifier": {"type": "dns", "value": "n.test"}}, f)
    try:
        port = pebble.http_port
        check(http_get(port, "n.test:%d" % port, "/.well-known/acme-challenge/tok-n") == (200, key_auth),
              "B: stored token and host: the key authorization")
        status, body = http_get(port, "N.TEST", "/.well-known/acme-challenge/tok-n")
        check((status, body) == (200, key_auth), "B: host compared case-insensitively: %d" % status)
        status, body = http_get(port, "n.test", "/.well-known/acme-challenge/other")
        check(status != 200 and key_auth not in body, "B: another token is not answered (%d)" % status)
        status, body = http_get(port, "m.test", "/.well-known/acme-challenge/tok-n")
        check(status != 200 and key_auth not in body, "B: another Host is not answered (%d)" % status)
        status, body = http_get(port, "n.test", "/.well-known/acme-challenge/tok-n", "HEAD")
        check(status != 200, "B: HEAD is not answered from storage, as certmagic (%d)" % status)
        der = alpn_challenge_cert(pebble.tls_port, "n.test")
        digest = hashlib.sha256(key_auth.encode()).digest()
        check(der is not None and digest in der, "B: acme-tls/1 for n.test carries the stored key authorization")
        check(alpn_challenge_cert(pebble.tls_port, "m.test") is None, "B: acme-tls/1 for another name refused")
    finally:
        os.remove(path)


def run(binary, tmp, pebble):
    roots = write(tmp, "roots.pem", pebble.management("/roots/0"))
    storage = os.path.join(tmp, "shared-storage")
    cfg = write(tmp, "B.Caddyfile", global_options(pebble, storage, pebble.http_port, pebble.tls_port)
                + "g.test, h.test, c1.test, c2.test {\n\ttls {\n\t\ton_demand\n\t}\n\trespond \"B\"\n}\n")
    proc, _, drain, _ = harness.start(binary, cfg, adapter="caddyfile")
    try:
        run_checks(pebble, storage)
        run_ours_ordering(binary, tmp, pebble, storage, roots)
        check(token_files(storage, pebble) == [], "A's challenge_tokens cleaned up: %s" % token_files(storage, pebble))
        run_caddy_ordering(tmp, pebble, storage)
        check(token_files(storage, pebble) == [],
              "caddy's challenge_tokens cleaned up: %s" % token_files(storage, pebble))
    finally:
        harness.stop(proc, drain)
    lines = acme_pebble.parse_log(drain.text())
    for name in ("g.test", "c1.test"):
        check(served_from_storage(lines, name), "B logged serving %s's stored HTTP-01 key authentication" % name)
    for name in ("h.test", "c2.test"):
        check(served_cert_from_storage(lines, name), "B logged serving %s's stored TLS-ALPN-01 certificate" % name)
    ordered = [e for e in lines if e.get("msg") in ("obtaining certificate", "certificate obtained successfully")]
    check(not ordered, "B ordered nothing itself: %s" % ordered[:2])


def main():
    binary = sys.argv[1]
    acme_pebble.require_pebble()
    for tool in ("caddy", "curl"):
        if shutil.which(tool) is None:
            print("SKIP: %s not installed" % tool)
            return 77
    with tempfile.TemporaryDirectory(prefix="gh-distributed-") as tmp:
        pebble = acme_pebble.Pebble(tmp)
        try:
            run(binary, tmp, pebble)
        finally:
            pebble.stop()
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
