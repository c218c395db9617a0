#!/usr/bin/env python3
"""End-to-end: passive health failures count for the whole process, against caddy 2.6.2.

Caddy counts a passive failure on the upstream's Host (one per address, shared by every
request and handler) and forgets it after fail_duration. Gatehouse counted per worker, so
with W workers an upstream that reached max_fails on one worker stayed available on the
others; now every worker reads the process-wide count (and each worker's timer drops its
own failures on time, whether or not it serves again). The same Caddyfile runs under
gatehouse (--workers 3) and Debian's caddy: reverse_proxy to one upstream with
fail_duration 3s, max_fails 2, unhealthy_status 500. Two requests on two fresh connections
get the upstream's 500 (counted as failures); then 12 fresh connections and 3 keep-alive
connections (4 requests each) all get 503 (no upstream available); once fail_duration has
passed the same burst is all 200 again. Exits 77 when caddy is not installed.
Usage: proxy_health_passive_shared_vs_caddy_test.py <gatehouse>
"""
import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check  # noqa: E402
from caddy_peer import CaddyPeer  # noqa: E402
from proxy_upstreams import KeepAliveUpstream, burst, fresh  # noqa: E402

FAIL_DURATION = 3.0



class Upstream(KeepAliveUpstream):
    """Answers "ok" (200), or 500 "bad" for the next `bad` requests."""

    def __init__(self):
        self.bad = 0
        super().__init__()

    def answer(self, path):
        with self.lock:
            status, body = (500, b"bad") if self.bad > 0 else (200, b"ok")
            self.bad = max(0, self.bad - 1)
        return status, body


def caddyfile(p):
    return """{
	admin 127.0.0.1:%(admin)d
	auto_https off
}
http://127.0.0.1:%(site)d {
	reverse_proxy 127.0.0.1:%(up)d {
		fail_duration 3s
		max_fails 2
		unhealthy_status 500
	}
}
""" % p


def exercise(p, up, start):
    out = {}
    stop = start()
    try:
        out["before"] = fresh(p["site"], 2)
        with up.lock:
            up.bad = 2
        t0 = time.time()  # no failure is counted before this: none can be forgotten before t0 + 3 s
        out["failing"] = fresh(p["site"], 2)
        t1 = time.time()  # both were counted by now
        out["down"] = burst(p["site"])
        out["in_time"] = time.time() - t0 < FAIL_DURATION - 0.3
        # forgotten fail_duration after they were counted: one request shows when (a loaded
        # machine may run the proxy's timer late), then every connection must agree
        time.sleep(max(0.0, t1 + FAIL_DURATION - time.time()))
        deadline = t1 + FAIL_DURATION + 3
        while time.time() < deadline and fresh(p["site"], 1)[0] != (200, "ok"):
            time.sleep(0.05)
        out["after"] = burst(p["site"])
    finally:
        stop()
    return out


def run_gatehouse(binary, p, up, tmp):
    path = os.path.join(tmp, "gatehouse.Caddyfile")
    with open(path, "w") as f:
        f.write(caddyfile(p))

    def start():
        proc, _, drain, _ = harness.start(binary, path, adapter="caddyfile", workers=3)
        return lambda: harness.stop(proc, drain)

    return exercise(p, up, start)


def run_caddy(p, up):
    def start():
        return CaddyPeer(caddyfile(p), [p["site"]], name="caddy-health-passive").stop

    return exercise(p, up, start)


def one_run(name, run):
    up = Upstream()
    p = {"admin": harness.free_port(), "site": harness.free_port(), "up": up.port}
    try:
        out = run(p, up)
    finally:
        up.close()
    print("%s: %s" % (name, out), flush=True)
    return out


def expectations(out, who):
    check(out["before"] == [(200, "ok")] * 2, "%s: the upstream serves" % who)
    check(out["failing"] == [(500, "bad")] * 2, "%s: its two 500s are passed on (and counted)" % who)
    check(out["in_time"], "%s: the burst ended within fail_duration" % who)
    check(out["down"] == [(503, "")] * 24,
          "%s: max_fails reached: every request on every connection gets 503: %s" % (who, out["down"]))
    check(out["after"] == [(200, "ok")] * 24, "%s: after fail_duration every request is served again: %s"
          % (who, out["after"]))


def main():
    binary = sys.argv[1]
    if shutil.which("caddy") is None:
        print("caddy not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="gh-health-passive-")
    try:
        results = {"gatehouse": one_run("gatehouse", lambda p, u: run_gatehouse(binary, p, u, tmp)),
                   "caddy": one_run("caddy", run_caddy)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for who, out in results.items():
        expectations(out, who)
    keys = ("before", "failing", "down", "after")
    check(all(results["gatehouse"][k] == results["caddy"][k] for k in keys), "every answer as caddy's")
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
