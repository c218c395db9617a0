#!/usr/bin/env python3
"""End-to-end: the selection policies whose outcome is fixed by Caddy's algorithms, with three
real upstreams (A, B, C).

- lb_policy cookie: no cookie -> the fallback (first) picks A and the response sets
  lb=HMAC-SHA256(secret, A's dial) (hex; Path=/; HttpOnly; SameSite=Lax); a cookie holding C's
  hash goes to C and sets nothing; an unknown cookie falls back and is replaced; a cookie for an
  upstream that is down moves to a live one.
- weighted_round_robin 2 1 0: A B A A B A (Caddy's counter walk), C never.
- header / uri_hash: the upstream is the one with the highest FNV-1a 32 of key + dial, as in
  caddy 2.6.2 (computed here independently).
Usage: proxy_lb_sticky_test.py <path-to-gatehouse>
"""
import hashlib
import hmac
import http.client
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import proxy_upstreams as pu  # noqa: E402

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


def fnv1a32(b):
    """FNV-1a 32 (the reference algorithm), written out independently of the server."""
    h = 0x811C9DC5
    for c in b:
        h = ((h ^ c) * 0x01000193) & 0xFFFFFFFF
    return h


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
            want = names[max(range(3), key=lambda i: fnv1a32((user + dials[i]).encode()))]
            got = get(addr, "/hdr/echo", {"X-User": user})[1]
            check(got == want, "header hash for %s: want %s, got %s" % (user, want, got))
        for path in ("/echo/1", "/echo/2?x=y", "/echo/3", "/echo/abc"):
            want = names[max(range(3), key=lambda i: fnv1a32((path + dials[i]).encode()))]
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
