#!/usr/bin/env python3
"""End-to-end: certmagic's distributed challenge solving between Gatehouse and caddy 2.6.2
sharing one storage, against Debian's pebble.

caddy 2.6.2 holds the ports pebble's VA validates on (its HTTP and TLS ports) and has the
same site (with `auto_https disable_certs`, so that it leaves ordering to Gatehouse, as one
node of a cluster does while another holds the lock); Gatehouse, on ports pebble never
reaches, orders g.test. While its challenge is presented Gatehouse
writes acme/<issuer>/challenge_tokens/g.test.json as certmagic does, so caddy answers the
TLS-ALPN-01 validation from storage and Gatehouse gets its certificate without a failed attempt; the
file is gone afterwards.
Loopback only; every wait is bounded. Skips (77) without pebble, caddy or curl.
Usage: autohttps_shared_storage_test.py <path-to-gatehouse>
"""
import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import caddy_peer  # noqa: E402
import harness  # noqa: E402
from harness import check  # noqa: E402


def caddyfile(pebble, storage, http_port, https_port, site, extra="", tls=""):
    return ("{\n\temail a@b.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n\thttps_port %d\n"
            "\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n\tadmin off\n%s}\n\n%s {\n%s\trespond \"%s\"\n}\n"
            % (pebble.directory, pebble.cert, http_port, https_port, storage, extra, site, tls, site))


def run(binary, tmp, pebble):
    roots = os.path.join(tmp, "roots.pem")
    with open(roots, "w") as f:
        f.write(pebble.management("/roots/0"))
    storage = os.path.join(tmp, "shared-storage")
    peer = caddy_peer.CaddyPeer(caddyfile(pebble, storage, pebble.http_port, pebble.tls_port, "g.test",
                                          "\tauto_https disable_certs\n"),
                                [pebble.http_port, pebble.tls_port], name="caddy-shared")
    try:
        ours = acme_pebble.free_port()
        cfg = os.path.join(tmp, "Caddyfile")
        with open(cfg, "w") as f:
            # TLS-ALPN-01 only: caddy 2.6.2 looks up a stored HTTP-01 challenge only for a Host
            # without a port (port 80 in real life), and pebble's VA sends its test port.
            f.write(caddyfile(pebble, storage, acme_pebble.free_port(), ours, "g.test",
                              tls="\ttls {\n\t\tissuer acme {\n\t\t\tdisable_http_challenge\n\t\t}\n\t}\n"))
        proc, _, drain, _ = harness.start(binary, cfg, adapter="caddyfile")
        try:
            took = acme_pebble.wait_serving("g.test", ours, roots, 30)
            check(took is not None, "g.test obtained through caddy's answer from storage (%s s)" % took)
            rc, out, _ = acme_pebble.curl_https("g.test", ours, roots)
            check(rc == 0 and out == "g.test", "g.test served over verified HTTPS: %r" % out)
        finally:
            harness.stop(proc, drain)
        lines = acme_pebble.parse_log(drain.text())
        check(not [e for e in lines if e.get("msg") in ("challenge failed", "will retry")],
              "the first challenge succeeded (no failure, no backoff)")
        issuer = "127.0.0.1-%d-dir" % pebble.port
        tokens = os.path.join(storage, "acme", issuer, "challenge_tokens")
        left = os.listdir(tokens) if os.path.isdir(tokens) else []
        check(left == [], "challenge_tokens cleaned up: %s" % left)
        caddy_log = peer.read_log()
        check("g.test" in caddy_log and "served key authentication" in caddy_log,
              "caddy's log shows it answered g.test's challenge")
    finally:
        peer.stop()


def main():
    binary = sys.argv[1]
    acme_pebble.require_pebble()
    for tool in ("caddy", "curl"):
        if shutil.which(tool) is None:
            print("SKIP: %s not installed" % tool)
            return 77
    with tempfile.TemporaryDirectory(prefix="gh-shared-") as tmp:
        pebble = acme_pebble.Pebble(tmp)
        try:
            run(binary, tmp, pebble)
        finally:
            pebble.stop()
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
