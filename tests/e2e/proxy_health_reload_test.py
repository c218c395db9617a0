#!/usr/bin/env python3
"""End-to-end: active health checks of a reverse_proxy handler that a reload removed stop.

A worker keeps a handler's upstream pool, and the health checker in it, until it next drops
the locals of handlers that are gone; the handler itself (and its config the checker reads)
is freed as soon as no connection holds the old config, possibly on another worker's thread.
The checker used to go on probing out of freed memory (ThreadSanitizer: heap-use-after-free
in HealthChecker::Probe::start, found by scripts/tsan_soak.py). Now it holds the config and
starts no round once the handler is gone.
Checks, with 2 workers: checks (counted as requests: they keep one connection alive, as
caddy's) reach the upstream every 100 ms while the handler is
configured; after `gatehouse reload` to a config without it (and every client connection
closed), no check reaches the upstream any more, and the new config serves. 127.0.0.1 only.
Usage: proxy_health_reload_test.py <path-to-gatehouse>
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import proxy_upstreams as pu  # noqa: E402

FAILURES = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def config(admin_port, dial, with_proxy):
    routes = [{"handle": [{"handler": "static_response", "body": "v2"}]}]
    if with_proxy:
        proxy = {"handler": "reverse_proxy", "upstreams": [{"dial": dial}],
                 "health_checks": {"active": {"uri": "/echo", "interval": "100ms", "timeout": "2s"}}}
        routes = [{"match": [{"path": ["/echo*"]}], "handle": [proxy], "terminal": True},
                  {"handle": [{"handler": "static_response", "body": "v1"}]}]
    return {"admin": {"listen": "127.0.0.1:%d" % admin_port},
            "apps": {"http": {"servers": {"srv0": {"listen": ["127.0.0.1:0"], "routes": routes,
                                                    "automatic_https": {"disable": True}}}}}}


def fetch(addr, path):
    s = socket.create_connection(addr, timeout=20)
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path).encode())
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    s.close()
    return data


def reload_cli(binary, cfg):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cfg, f)
    try:
        p = subprocess.run([binary, "reload", "--config", f.name, "--adapter", "json"], capture_output=True,
                           text=True, timeout=60)
        return p.returncode, p.stderr
    finally:
        os.unlink(f.name)


def main():
    binary = sys.argv[1]
    up = pu.Upstream()
    admin_port = pu.unused_port()
    proc, servers, drain = pu.start_gatehouse(binary, config(admin_port, up.dial, True), workers=2)
    try:
        addr = pu.addr_of(servers)
        # Several connections, so that both workers are likely to start a pool and its checker.
        for _ in range(6):
            check(fetch(addr, "/echo").startswith(b"HTTP/1.1 200"), "proxied request answered")
        start = up.requests
        time.sleep(1.0)
        check(up.requests - start >= 3, "health checks run every 100 ms: %d in 1 s" % (up.requests - start))
        rc, err = reload_cli(binary, config(admin_port, up.dial, False))
        check(rc == 0, "gatehouse reload succeeds: %s" % err.strip())
        check(fetch(addr, "/").endswith(b"v2"), "the new config serves")
        # a check already under way may still finish (late, on a loaded machine): settled
        # once no check came for 0.6 s, six of the old 100 ms intervals (bounded)
        settled, quiet_since, deadline = up.requests, time.time(), time.time() + 5
        while time.time() - quiet_since < 0.6 and time.time() < deadline:
            time.sleep(0.05)
            if up.requests != settled:
                settled, quiet_since = up.requests, time.time()
        time.sleep(1.5)
        check(up.requests == settled, "no health check after the handler is gone: %d in 1.5 s"
              % (up.requests - settled))
    finally:
        pu.stop_gatehouse(proc, drain, FAILURES)
        up.close()
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("all ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
