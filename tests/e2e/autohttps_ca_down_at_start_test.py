#!/usr/bin/env python3
"""End-to-end: the ACME CA is unreachable when `gatehouse run` starts, and comes back.

Pebble's directory port is closed at start (its process stopped). Meanwhile:
- the other site (`tls internal`) is served over HTTPS at once, and the ACME site's
  HTTP->HTTPS redirect answers on the HTTP port (neither waits on the CA);
- the failed attempt is logged naming the CA, then "will retry" with certmagic's first
  step, 60 s (caddy 2.6.2 logs `"retrying_in":60` for the same failure);
- pebble comes back 5 s later: the certificate is obtained by that retry, not sooner than
  the backoff and not much later (55-80 s after the failure), and served.
Loopback only; every wait is bounded. Usage: autohttps_ca_down_at_start_test.py <gatehouse>
"""
import os
import socket
import ssl
import sys
import time

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import harness  # noqa: E402
import tls_pki  # noqa: E402
from harness import check  # noqa: E402


def verified(port, name, roots):
    ctx = ssl.create_default_context(cafile=roots)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            with ctx.wrap_socket(sock, server_hostname=name):
                return True
    except (OSError, ssl.SSLError):
        return False


def first(lines, msg, name):
    return next((e for e in lines if e.get("msg") == msg and e.get("identifier") == name), None)


def scenario(binary, tmp, pebble):
    # The CA goes away before the server starts (challtestsrv stays).
    pebble.proc.terminate()
    pebble.proc.wait(10)
    storage = os.path.join(tmp, "storage")
    cfg = os.path.join(tmp, "Caddyfile")
    with open(cfg, "w") as f:
        f.write("{\n\temail a@b.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n\thttps_port %d\n"
                "\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n\tadmin off\n}\n\n"
                'a.test {\n\trespond "acme site"\n}\n'
                'i.test {\n\ttls internal\n\trespond "internal site"\n}\n'
                % (pebble.directory, pebble.cert, pebble.http_port, pebble.tls_port, storage))
    started = time.time()
    proc, _, drain, _ = harness.start(binary, cfg, adapter="caddyfile")
    try:
        resolve = ["--resolve", "i.test:%d:127.0.0.1" % pebble.tls_port]
        ok = False
        deadline = time.time() + 10
        while not ok and time.time() < deadline:
            rc, out, _ = tls_pki.curl(["-k", *resolve, "https://i.test:%d/" % pebble.tls_port])
            ok = rc == 0 and "internal site" in out
            if not ok:
                time.sleep(0.2)
        check(ok, "the tls internal site is served while the CA is down (%.1f s)" % (time.time() - started))
        rc, out, _ = tls_pki.curl(["-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                                   "--resolve", "a.test:%d:127.0.0.1" % pebble.http_port,
                                   "http://a.test:%d/x" % pebble.http_port])
        check(rc == 0 and out.startswith("308 https://a.test"), "the ACME site's HTTP->HTTPS redirect answers: %r" % out)
        time.sleep(max(0.0, started + 5 - time.time()))
        pebble.restart_ca()
        came_back = time.time()
        roots = os.path.join(tmp, "roots.pem")
        with open(roots, "w") as f:
            f.write(pebble.management("/roots/0"))
        served_after = None
        deadline = came_back + 85
        while time.time() < deadline:
            if verified(pebble.tls_port, "a.test", roots):
                served_after = time.time() - started
                break
            time.sleep(0.5)
        check(served_after is not None, "a.test served after the CA came back (%s s after start)" % served_after)
    finally:
        harness.stop(proc, drain)
    lines = acme_pebble.parse_log(drain.text())
    err = first(lines, "could not get certificate from issuer", "a.test")
    check(err is not None and err.get("ca") == pebble.directory and "/dir" in str(err.get("error")),
          "the failure names the CA and its directory: %s" % (err and str(err.get("error"))[:200]))
    retry = first(lines, "will retry", "a.test")
    check(retry is not None and retry.get("retrying_in") == 60 and retry.get("attempt") == 1,
          "first retry in 60 s, as certmagic: %s" % retry)
    got = first(lines, "certificate obtained successfully", "a.test")
    check(got is not None and err is not None and 55 <= got["ts"] - err["ts"] <= 80,
          "obtained by the retry: %.1f s after the failure" % ((got["ts"] - err["ts"]) if got and err else -1))
    tries = sum(1 for e in lines if e.get("msg") == "obtaining certificate" and e.get("identifier") == "a.test")
    check(tries == 2, "two attempts in all (%d)" % tries)


if __name__ == "__main__":
    sys.exit(acme_pebble.run_with_pebble(scenario))
