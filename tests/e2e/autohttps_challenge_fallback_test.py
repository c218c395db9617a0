#!/usr/bin/env python3
"""End-to-end: automatic HTTPS in `gatehouse run` when a challenge or a name fails, against
Debian's pebble and pebble-challtestsrv, beside caddy 2.6.2 on the same pebble.

 1. HTTP-01 blocked (pebble's VA sends it to a port nothing listens on): the failed
    challenge is not waited out for a backoff period; a new order answers TLS-ALPN-01 a
    second later and the certificate is served within seconds, as caddy 2.6.2 does (its
    client also drops a challenge type that failed with a connection problem).
 2. One name of three cannot be validated (challtestsrv points it at 127.0.0.2, where
    nothing listens): the two others are served at once (caddy too), the failing one tried
    with both challenge types, logged with the CA's problem, and retried after the 60 s
    backoff; once its DNS is fixed that retry obtains it while the others keep serving.
Loopback only; every wait is bounded. Skips (77) without pebble, caddy or curl.
Usage: autohttps_challenge_fallback_test.py <path-to-gatehouse>
"""
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.request

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import caddy_peer  # noqa: E402
import harness  # noqa: E402
from harness import check  # noqa: E402


def caddyfile(pebble, http_port, https_port, sites, storage=None):
    text = "{\n\temail a@b.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n\thttps_port %d\n" \
           "\tdefault_bind 127.0.0.1\n\tadmin off\n" % (pebble.directory, pebble.cert, http_port, https_port)
    if storage:
        text += "\tstorage file_system %s\n" % storage
    text += "}\n\n"
    for name in sites:
        text += '%s {\n\trespond "%s"\n}\n\n' % (name, name)
    return text


def roots_file(tmp, pebble):
    path = os.path.join(tmp, "pebble-roots.pem")
    with open(path, "w") as f:
        f.write(pebble.management("/roots/0"))
    return path


def entries(drain, msg=None):
    lines = acme_pebble.parse_log(drain.text())
    return [e for e in lines if msg is None or e.get("msg") == msg]


def wait_log(drain, pred, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = [e for e in entries(drain) if pred(e)]
        if found:
            return found
        time.sleep(0.2)
    return []


def challtest(pebble, path, body):
    req = urllib.request.Request("http://127.0.0.1:%d/%s" % (pebble.chall_mgmt, path),
                                 data=json.dumps(body).encode(), method="POST")
    urllib.request.urlopen(req, timeout=5).read()


def caddy_serves(tmp, pebble, roots, http_port, sites, timeout):
    """Seconds caddy 2.6.2 took to serve each of `sites` (None: not within `timeout`)."""
    peer = caddy_peer.CaddyPeer(caddyfile(pebble, http_port, pebble.tls_port, sites), [pebble.tls_port],
                                name="caddy-fallback")
    try:
        start = time.time()
        return {name: acme_pebble.wait_serving(name, pebble.tls_port, roots, max(1, timeout - (time.time() - start)))
                for name in sites}
    finally:
        peer.stop()


def http01_blocked(binary, tmp):
    os.makedirs(os.path.join(tmp, "p1"))
    pebble = acme_pebble.Pebble(os.path.join(tmp, "p1"))
    try:
        roots = roots_file(tmp, pebble)
        blocked = acme_pebble.free_port()  # our http_port: pebble's VA knocks on another one
        storage = os.path.join(tmp, "storage1")
        cfg = os.path.join(tmp, "Caddyfile1")
        with open(cfg, "w") as f:
            f.write(caddyfile(pebble, blocked, pebble.tls_port, ["fb.test"], storage))
        started = time.time()
        proc, _, drain, _ = harness.start(binary, cfg, adapter="caddyfile")
        try:
            took = acme_pebble.wait_serving("fb.test", pebble.tls_port, roots, 30)
            check(took is not None and took < 15,
                  "HTTP-01 blocked: fb.test served through TLS-ALPN-01 within 15 s (%s s)" % took)
        finally:
            harness.stop(proc, drain)
        failed = entries(drain, "challenge failed")
        check(len(failed) == 1 and failed[0].get("challenge_type") == "http-01"
              and failed[0].get("problem_type", "").endswith(":connection"),
              "log: http-01 failed with pebble's connection problem: %s" % failed)
        tried = [e.get("challenge_type") for e in entries(drain, "trying to solve challenge")]
        check(tried == ["http-01", "tls-alpn-01"], "log: http-01, then tls-alpn-01 (%s)" % tried)
        check(not entries(drain, "will retry"), "log: no backoff was needed")
        check(len(entries(drain, "certificate obtained successfully")) == 1, "log: obtained once")
        print("gatehouse: %.2f s from start to fb.test served" % (time.time() - started))
        caddy = caddy_serves(tmp, pebble, roots, blocked, ["fb.test"], 30)
        check(caddy["fb.test"] is not None, "caddy 2.6.2 on the same pebble also gets fb.test (%s s)"
              % caddy["fb.test"])
    finally:
        pebble.stop()


def one_name_fails(binary, tmp):
    os.makedirs(os.path.join(tmp, "p2"))
    pebble = acme_pebble.Pebble(os.path.join(tmp, "p2"))
    try:
        roots = roots_file(tmp, pebble)
        challtest(pebble, "add-a", {"host": "bad.test", "addresses": ["127.0.0.2"]})
        sites = ["ok1.test", "ok2.test", "bad.test"]
        caddy = caddy_serves(tmp, pebble, roots, pebble.http_port, ["ok1.test", "ok2.test"], 30)
        check(all(v is not None for v in caddy.values()), "caddy 2.6.2 serves the good names: %s" % caddy)

        storage = os.path.join(tmp, "storage2")
        cfg = os.path.join(tmp, "Caddyfile2")
        with open(cfg, "w") as f:
            f.write(caddyfile(pebble, pebble.http_port, pebble.tls_port, sites, storage))
        proc, _, drain, _ = harness.start(binary, cfg, adapter="caddyfile")
        try:
            for name in ("ok1.test", "ok2.test"):
                took = acme_pebble.wait_serving(name, pebble.tls_port, roots, 30)
                check(took is not None, "%s served while bad.test fails (%s s)" % (name, took))
            retry = wait_log(drain, lambda e: e.get("msg") == "will retry" and e.get("identifier") == "bad.test", 30)
            check(len(retry) == 1 and retry[0].get("attempt") == 1 and retry[0].get("retrying_in") == 60,
                  "bad.test: retried after 60 s: %s" % retry)
            err = [e for e in entries(drain, "could not get certificate from issuer") if e.get("identifier") == "bad.test"]
            check(len(err) == 1 and "127.0.0.2" in err[0].get("error", ""),
                  "bad.test: the error names the address pebble could not reach: %s" % err[:1])
            kinds = [e.get("challenge_type") for e in entries(drain, "challenge failed")
                     if e.get("identifier") == "bad.test"]
            check(sorted(kinds) == ["http-01", "tls-alpn-01"], "bad.test: both challenge types tried (%s)" % kinds)
            rc, _, _ = acme_pebble.curl_https("bad.test", pebble.tls_port, roots)
            check(rc != 0, "bad.test has no certificate yet (curl rc=%s)" % rc)
            # Fixed DNS: the scheduled retry obtains it without a restart.
            challtest(pebble, "clear-a", {"host": "bad.test"})
            took = acme_pebble.wait_serving("bad.test", pebble.tls_port, roots, 90)
            check(took is not None, "bad.test served after its retry (%s s after the DNS fix)" % took)
            rc, out, _ = acme_pebble.curl_https("ok1.test", pebble.tls_port, roots)
            check(rc == 0 and out == "ok1.test", "ok1.test still served: %r" % out)
        finally:
            harness.stop(proc, drain)
        got = [e.get("identifier") for e in entries(drain, "certificate obtained successfully")]
        check(sorted(got) == sorted(sites), "log: each name obtained once: %s" % got)
    finally:
        pebble.stop()


def main():
    binary = sys.argv[1]
    acme_pebble.require_pebble()
    for tool in ("caddy", "curl"):
        if shutil.which(tool) is None:
            print("SKIP: %s not installed" % tool)
            return 77
    with tempfile.TemporaryDirectory(prefix="gh-fallback-") as tmp:
        http01_blocked(binary, tmp)
        one_name_fails(binary, tmp)
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
