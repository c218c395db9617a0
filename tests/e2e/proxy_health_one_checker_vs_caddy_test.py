#!/usr/bin/env python3
"""End-to-end: one active health checker per reverse_proxy handler, however many workers,
against caddy 2.6.2.

Caddy runs one checker per handler: each upstream gets one check per health_interval, and
every request reads the same verdict. Gatehouse used to run a checker on every worker (W
checks per interval, W verdicts that could disagree); now one worker runs the handler's
checker and every worker reads its verdicts. The same Caddyfile runs under gatehouse
(--workers 3) and Debian's caddy, with real upstreams on 127.0.0.1 that count the checks
they get:
- rate: an upstream checked every 250 ms gets about one check per interval over 3 s
  (bounded tolerance), and so after a reload (the old handler's checker stops, the new
  one's runs alone);
- flip: an upstream whose next check (3 s interval) is answered 500, and only that one,
  is out for every request until the check after it passes: once one request shows the
  verdict (the proxy acts on the check's answer when the machine lets it), 24 requests over
  12 fresh connections and 3 keep-alive connections, all before the next check reached the
  upstream, are all served by the second upstream (lb_policy first); a lone upstream's
  handler answers all of them 503; once the next check passed, the first upstream serves
  again. With a checker per worker only the worker whose check failed would skip it.
Answers are compared with caddy's. Exits 77 when caddy is not installed.
Usage: proxy_health_one_checker_vs_caddy_test.py <gatehouse>
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check  # noqa: E402
from caddy_peer import CaddyPeer  # noqa: E402
from proxy_upstreams import KeepAliveUpstream, burst, fresh  # noqa: E402

WORKERS = 3
RATE_INTERVAL = 0.25
RATE_WINDOW = 3.0
FLIP_INTERVAL = 3.0
VERDICT_LIMIT = 2.0  # how long a proxy may take to act on a check's answer (a loaded machine)
RELOADED = "\t\theader_up X-Reloaded 1\n"  # what a reload adds to each proxy



class Upstream(KeepAliveUpstream):
    """/health answered 200 (or 500 once, when armed), counted with its time once answered;
    anything else answered 200 with the upstream's name as the body."""

    def __init__(self, name):
        self.checks = []  # (time answered, status)
        self.arrived = 0  # checks received (a check's verdict cannot be in before it arrives)
        self.fail_next = False
        super().__init__(name)

    def answer(self, path):
        status = 200
        if path.startswith("/health"):
            with self.lock:
                self.arrived += 1
                status = 500 if self.fail_next else 200
                self.fail_next = False
        return status, self.name.encode()

    def answered(self, path, status):
        if path.startswith("/health"):
            with self.lock:
                self.checks.append((time.time(), status))

    def count(self):
        with self.lock:
            return len(self.checks)

    def arrivals(self):
        with self.lock:
            return self.arrived

    def arm(self):
        with self.lock:
            self.fail_next = True

    def last_check(self):
        with self.lock:
            return self.checks[-1] if self.checks else (0.0, 0)


def caddyfile(p, extra=""):
    """rate: one upstream checked every 250 ms; first: flip+spare with lb_policy first (2 s);
    alone: a lone flipping upstream."""
    return """{
	admin 127.0.0.1:%(admin)d
	auto_https off
}
http://127.0.0.1:%(rate)d {
	reverse_proxy 127.0.0.1:%(rate_up)d {
		health_uri /health
		health_interval 250ms
		health_timeout 1s
%(extra)s	}
}
http://127.0.0.1:%(first)d {
	reverse_proxy 127.0.0.1:%(flip_up)d 127.0.0.1:%(spare_up)d {
		lb_policy first
		health_uri /health
		health_interval 3s
		health_timeout 1s
%(extra)s	}
}
http://127.0.0.1:%(alone)d {
	reverse_proxy 127.0.0.1:%(lone_up)d {
		health_uri /health
		health_interval 3s
		health_timeout 1s
%(extra)s	}
}
""" % dict(p, extra=extra)


def rate(up):
    """Checks the upstream got in RATE_WINDOW, per interval."""
    start = up.count()
    time.sleep(RATE_WINDOW)
    return (up.count() - start) * RATE_INTERVAL / RATE_WINDOW


def wait_until(cond, limit):
    end = time.time() + limit
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.01)
    return False


def flip(up, port, down_answer, up_answer):
    """Arms `up`'s next check to fail; returns (answers while it is out, whether they all came
    before the next check reached the upstream, answers once the next check passed).
    down_answer/up_answer: what one request gets while the upstream is out / in."""
    before = up.count()
    up.arm()
    failed = wait_until(lambda: up.count() > before, 3 * FLIP_INTERVAL)
    _, status = up.last_check()
    if not failed or status != 500:
        return [("no failed check", status)], False, []
    arrived = up.arrivals()
    # the verdict is published once the proxy has read the 500: one request shows when
    wait_until(lambda: fresh(port, 1)[0] == down_answer, VERDICT_LIMIT)
    down = burst(port)
    in_time = up.arrivals() == arrived  # the next check's verdict cannot have been in
    wait_until(lambda: up.count() > before + 1, 3 * FLIP_INTERVAL)
    wait_until(lambda: fresh(port, 1)[0] == up_answer, VERDICT_LIMIT)
    return down, in_time, burst(port)


def exercise(p, ups, start, reload):
    out = {}
    stop = start()
    try:
        time.sleep(0.5)
        out["rate"] = rate(ups["rate_up"])
        out["first_down"], out["first_in_time"], out["first_up"] = flip(ups["flip_up"], p["first"], (200, "spare"),
                                                                        (200, "flip"))
        out["alone_down"], out["alone_in_time"], out["alone_up"] = flip(ups["lone_up"], p["alone"], (503, ""),
                                                                        (200, "lone"))
        out["reload_rc"] = reload()
        time.sleep(0.5)
        out["rate_reloaded"] = rate(ups["rate_up"])
    finally:
        stop()
    return out


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def run_gatehouse(binary, p, ups, tmp):
    path = os.path.join(tmp, "gatehouse.Caddyfile")
    write(path, caddyfile(p))

    def start():
        proc, _, drain, _ = harness.start(binary, path, adapter="caddyfile", workers=WORKERS)
        return lambda: harness.stop(proc, drain)

    def reload():
        write(path, caddyfile(p, RELOADED))
        return subprocess.run([binary, "reload", "--config", path, "--adapter", "caddyfile"],
                              capture_output=True, timeout=60).returncode

    return exercise(p, ups, start, reload)


def run_caddy(p, ups):
    peer = {}

    def start():
        peer["caddy"] = CaddyPeer(caddyfile(p), [p["alone"]], name="caddy-health-one")
        return peer["caddy"].stop

    def reload():
        return peer["caddy"].reload(caddyfile(p, RELOADED), p["admin"])

    return exercise(p, ups, start, reload)


def one_run(name, run):
    """Fresh upstreams and ports for one server; returns its answers."""
    ups = {k: Upstream(k.split("_")[0]) for k in ("rate_up", "flip_up", "spare_up", "lone_up")}
    p = {k: harness.free_port() for k in ("admin", "rate", "first", "alone")}
    p.update({k: u.port for k, u in ups.items()})
    try:
        out = run(p, ups)
    finally:
        for u in ups.values():
            u.close()
    print("%s: %s" % (name, out), flush=True)
    return out


def expectations(out, who):
    # Bounds wide enough for a loaded machine (late ticks), narrow enough that two
    # checkers (2.0 and up) can never pass.
    check(0.4 <= out["rate"] <= 1.4, "%s: about one check per interval: %.2f" % (who, out["rate"]))
    check(0.4 <= out["rate_reloaded"] <= 1.4,
          "%s: about one check per interval after a reload: %.2f" % (who, out["rate_reloaded"]))
    check(out["first_in_time"] and out["alone_in_time"], "%s: the bursts ended before the next check came" % who)
    check(out["first_down"] == [(200, "spare")] * 24,
          "%s: a failed check takes the upstream out for every request: %s" % (who, out["first_down"]))
    check(out["first_up"] == [(200, "flip")] * 24, "%s: and the next passing one brings it back" % who)
    check(out["alone_down"] == [(503, "")] * 24,
          "%s: a lone upstream's failed check: 503 for every request: %s" % (who, out["alone_down"]))
    check(out["alone_up"] == [(200, "lone")] * 24, "%s: then 200 again" % who)
    check(out["reload_rc"] == 0, "%s: reload succeeds" % who)


def main():
    binary = sys.argv[1]
    if shutil.which("caddy") is None:
        print("caddy not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="gh-health-one-")
    try:
        results = {"gatehouse": one_run("gatehouse", lambda p, u: run_gatehouse(binary, p, u, tmp)),
                   "caddy": one_run("caddy", run_caddy)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for who, out in results.items():
        expectations(out, who)
    g, c = results["gatehouse"], results["caddy"]
    # The rates are each held to one checker's class above; the two runs come one after the
    # other, under whatever load the machine has then, so their difference says nothing more.
    print("check rates: gatehouse %.2f/%.2f, caddy %.2f/%.2f" % (g["rate"], g["rate_reloaded"], c["rate"],
                                                                 c["rate_reloaded"]))
    keys = ("first_down", "first_up", "alone_down", "alone_up", "reload_rc")
    check(all(g[k] == c[k] for k in keys), "every answer as caddy's")
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
