#!/usr/bin/env python3
"""End-to-end: the selection policies whose outcome is fixed by Caddy's algorithms, with three
real upstreams (A, B, C).

- lb_policy cookie: no cookie -> the fallback (first) picks A and the response sets
  lb=HMAC-SHA256(secret, A's dial) (hex; Path=/; HttpOnly; SameSite=Lax); a cookie holding C's
  hash goes to C and sets nothing; an unknown cookie falls back and is replaced; a cookie for an
  upstream that is down moves to a live one.
- weighted_round_robin 2 1 0: A B A A B A (Caddy's counter walk), C never.
- header / uri_hash: the upstream is the one with the highest xxhash64(dial + key), as in
  current Caddy (computed here independently).
Usage: proxy_lb_sticky_test.py <path-to-gatehouse>
"""
import hashlib
import hmac
import http.client
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import proxy_upstreams as pu  # noqa: E402

FAILURES = []
M = (1 << 64) - 1
P1, P2, P3 = 11400714785074694791, 14029467366897019727, 1609587929392839161
P4, P5 = 9650029242287828579, 2870177450012600261


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M


def _round(acc, v):
    return (_rotl((acc + v * P2) & M, 31) * P1) & M


def xxh64(b):
    """XXH64 with seed 0 (the reference algorithm), written out independently of the server."""
    n, i = len(b), 0
    if n >= 32:
        v = [(P1 + P2) & M, P2, 0, (-P1) & M]
        while i + 32 <= n:
            for k in range(4):
                v[k] = _round(v[k], struct.unpack_from("<Q", b, i + 8 * k)[0])
            i += 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & M
        for x in v:
            h = ((h ^ _round(0, x)) * P1 + P4) & M
    else:
        h = P5
    h = (h + n) & M
    while i + 8 <= n:
        h = (_rotl(h ^ _round(0, struct.unpack_from("<Q", b, i)[0]), 27) * P1 + P4) & M
        i += 8
    if i + 4 <= n:
        h = (_rotl(h ^ ((struct.unpack_from("<I", b, i)[0] * P1) & M), 23) * P2 + P3) & M
        i += 4
    while i < n:
        h = (_rotl(h ^ ((b[i] * P5) & M), 11) * P1) & M
        i += 1
    h ^= h >> 33
    h = (h * P2) & M
    h ^= h >> 29
    h = (h * P3) & M
    return h ^ (h >> 32)


def route(prefix, dials, policy):
    h = {"handler": "reverse_proxy", "upstreams": [{"dial": d} for d in dials],
         "load_balancing": {"selection_policy": policy}}
    return {"match": [{"path": [prefix + "/*"]}],
            "handle": [{"handler": "rewrite", "strip_path_prefix": prefix}, h]}


def get(addr, path, headers=None):
    c = http.client.HTTPConnection(addr[0], addr[1], timeout=10)
    h = {"Host": "a"}
    h.update(headers or {})
    c.request("GET", path, headers=h)
    r = c.getresponse()
    r.read()
    c.close()
    return r.status, r.getheader("X-Upstream"), r.getheader("Set-Cookie")


def main():
    binary = sys.argv[1]
    a, b, c = pu.Upstream("A"), pu.Upstream("B"), pu.Upstream("C")
    dead = "127.0.0.1:%d" % pu.unused_port()
    dials = [a.dial, b.dial, c.dial]
    cookie = {"policy": "cookie", "name": "lb", "secret": "s3cr3t", "fallback": {"policy": "first"}}
    cfg = {"admin": {"disabled": True}, "apps": {"http": {"servers": {"srv0": {
        "listen": ["127.0.0.1:0"], "routes": [
            route("/cookie", dials, cookie),
            route("/cookiedead", [dead, b.dial], dict(cookie, fallback={"policy": "random"})),
            route("/wrr", dials, {"policy": "weighted_round_robin", "weights": [2, 1, 0]}),
            route("/hdr", dials, {"policy": "header", "field": "X-User"}),
            route("/uri", dials, {"policy": "uri_hash"}),
        ]}}}}}
    proc, servers, drain = pu.start_gatehouse(binary, cfg)

    def mac(dial):
        return hmac.new(b"s3cr3t", dial.encode(), hashlib.sha256).hexdigest()

    try:
        addr = pu.addr_of(servers)
        st, who, sc = get(addr, "/cookie/echo")
        check((st, who) == (200, "A"), "no cookie: the fallback (first) picks A: %r" % ((st, who),))
        check(sc == "lb=%s; Path=/; HttpOnly; SameSite=Lax" % mac(a.dial), "Set-Cookie for A: %r" % sc)
        st, who, sc = get(addr, "/cookie/echo", {"Cookie": "x=1; lb=" + mac(c.dial)})
        check((st, who, sc) == (200, "C", None), "C's cookie sticks to C, sets nothing: %r" % ((st, who, sc),))
        st, who, sc = get(addr, "/cookie/echo", {"Cookie": "lb=bogus"})
        check(who == "A" and sc is not None and mac(a.dial) in sc, "an unknown cookie is replaced: %r" % ((who, sc),))
        st, who, sc = get(addr, "/cookiedead/echo", {"Cookie": "lb=" + mac(dead)})
        # the dead upstream is still "available" without health checks: the cookie sends the
        # request there and the dial fails (502), as in Caddy
        check(st == 502, "cookie of an upstream nobody listens on: 502, got %d" % st)
        seq = "".join(get(addr, "/wrr/echo")[1] or "-" for _ in range(6))
        check(seq == "ABAABA", "weighted_round_robin 2 1 0: ABAABA, got %s" % seq)
        names = "ABC"
        for user in ("alice", "bob", "carol", "dave", "erin", "frank"):
            want = names[max(range(3), key=lambda i: xxh64((dials[i] + user).encode()))]
            got = get(addr, "/hdr/echo", {"X-User": user})[1]
            check(got == want, "header hash for %s: want %s, got %s" % (user, want, got))
        for path in ("/echo/1", "/echo/2?x=y", "/echo/3", "/echo/abc"):
            want = names[max(range(3), key=lambda i: xxh64((dials[i] + path).encode()))]
            got = get(addr, "/uri" + path)[1]
            check(got == want, "uri_hash for %s: want %s, got %s" % (path, want, got))
    finally:
        pu.stop_gatehouse(proc, drain, FAILURES)
        a.close()
        b.close()
        c.close()
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
