#!/usr/bin/env python3
"""End-to-end: reverse_proxy load balancing and passive health checks with two real
upstreams (A, B) and one address nobody listens on.

round_robin alternates; first sticks to the first available; header hashing keeps a key on
one upstream; a dead first upstream is retried away from within lb_try_duration and then
skipped while its failure counts (fail_duration); unhealthy_status marks an upstream down;
without retries a dead upstream gives 502; active health checks (health_uri, expect
status) take failing upstreams out of selection, 503 when none is left. One worker, so per-worker state is the whole.
Usage: proxy_lb_test.py <path-to-gatehouse>
"""
import http.client
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import proxy_upstreams as pu  # noqa: E402

FAILURES = []
# A retry waits this long: long enough that a request that skips the dead upstream is told
# apart from one that tried it by far more than a loaded machine's scheduling delays.
TRY_INTERVAL_MS = 1000


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


def route(prefix, dials, **extra):
    h = {"handler": "reverse_proxy", "upstreams": [{"dial": d} for d in dials]}
    h.update(extra)
    return {"match": [{"path": [prefix + "/*"]}],
            "handle": [{"handler": "rewrite", "strip_path_prefix": prefix}, h]}


def config(a, b, dead):
    passive = {"passive": {"fail_duration": "5s", "max_fails": 1}}
    return {
        "admin": {"disabled": True},
        "apps": {"http": {"servers": {"srv0": {"listen": ["127.0.0.1:0"], "routes": [
            route("/rr", [a.dial, b.dial], load_balancing={"selection_policy": {"policy": "round_robin"}}),
            route("/first", [a.dial, b.dial], load_balancing={"selection_policy": {"policy": "first"}}),
            route("/hash", [a.dial, b.dial],
                  load_balancing={"selection_policy": {"policy": "header", "field": "X-User"}}),
            route("/retry", [dead, a.dial], health_checks=passive,
                  load_balancing={"selection_policy": {"policy": "first"}, "try_duration": "5s",
                                  "try_interval": "%dms" % TRY_INTERVAL_MS}),
            route("/noretry", [dead, a.dial], load_balancing={"selection_policy": {"policy": "first"}}),
            route("/status", [a.dial, b.dial],
                  health_checks={"passive": {"fail_duration": "5s", "max_fails": 1, "unhealthy_status": [5]}},
                  load_balancing={"selection_policy": {"policy": "first"}}),
            route("/active", [dead, b.dial], load_balancing={"selection_policy": {"policy": "first"}},
                  health_checks={"active": {"uri": "/echo/hc", "interval": "200ms", "timeout": "1s"}}),
            route("/allbad", [a.dial, b.dial],
                  health_checks={"active": {"uri": "/status?code=500", "interval": "200ms", "timeout": "1s"}}),
        ]}}}},
    }


def get(addr, path, headers=None):
    c = http.client.HTTPConnection(addr[0], addr[1], timeout=10)
    h = {"Host": "a"}
    h.update(headers or {})
    c.request("GET", path, headers=h)
    r = c.getresponse()
    r.read()
    c.close()
    return r.status, r.getheader("X-Upstream")


def test_active(addr):
    # The checks run from start-up (each worker starts them as it takes the config, as Caddy
    # does when it provisions the handler): no request is needed to start them.
    seq = [get(addr, "/active/echo") for _ in range(3)]
    check(seq == [(200, "B")] * 3, "active checks take the dead first upstream out: %r" % seq)
    status, _ = get(addr, "/allbad/echo")
    check(status == 503, "every upstream failing its health check: 503, got %d" % status)


def main():
    binary = sys.argv[1]
    a, b = pu.Upstream("A"), pu.Upstream("B")
    dead = "127.0.0.1:%d" % pu.unused_port()
    proc, servers, drain = pu.start_gatehouse(binary, config(a, b, dead))
    try:
        addr = pu.addr_of(servers)
        seq = [get(addr, "/rr/echo")[1] for _ in range(6)]
        check(all(seq[i] != seq[i + 1] for i in range(5)) and set(seq) == {"A", "B"}, "round_robin alternates: %r" % seq)
        seq = [get(addr, "/first/echo")[1] for _ in range(4)]
        check(seq == ["A"] * 4, "first sticks to A: %r" % seq)
        for user in ("alice", "bob", "carol"):
            seq = {get(addr, "/hash/echo", {"X-User": user})[1] for _ in range(4)}
            check(len(seq) == 1, "header hash keeps %s on one upstream: %r" % (user, seq))
        status, who = get(addr, "/noretry/echo")
        check(status == 502, "dead first upstream without retries: 502, got %d" % status)
        t0 = time.time()
        status, who = get(addr, "/retry/echo")
        t1 = time.time()
        check(status == 200 and who == "A" and t1 - t0 >= TRY_INTERVAL_MS / 1000,
              "dead upstream retried away after try_interval: %d %r (%.0f ms)" % (status, who, (t1 - t0) * 1000))
        status, who = get(addr, "/retry/echo")
        took = time.time() - t1
        check(status == 200 and who == "A" and took < 0.9 * TRY_INTERVAL_MS / 1000,
              "then skipped while it counts as failed, no try_interval waited (%.0f ms)" % (took * 1000))
        print("retry after a dial failure took %.0f ms; next request %.0f ms" % ((t1 - t0) * 1000, took * 1000))
        status, who = get(addr, "/status/status?code=503")
        check(status == 503 and who is None, "a 503 from A is passed on: %d" % status)
        status, who = get(addr, "/status/echo")
        check(who == "B", "A is unhealthy after its 5xx, B answers: %r" % who)
        test_active(addr)
    finally:
        pu.stop_gatehouse(proc, drain, FAILURES)
        a.close()
        b.close()
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
