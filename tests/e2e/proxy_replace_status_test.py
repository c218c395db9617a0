#!/usr/bin/env python3
"""End-to-end: reverse_proxy replace_status (handle_response entries with status_code and
response matchers) against a real upstream, and a reverse_proxy inside handle_response routes.

The first entry whose matcher takes the upstream's status and header fields sets the status
the client gets; the upstream's body and fields pass unchanged; a reverse_proxy inside
handle_response routes sends the request on to another upstream, whose answer the client gets.
Usage: proxy_replace_status_test.py <path-to-gatehouse>
"""
import http.client
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import proxy_upstreams as pu  # noqa: E402

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


def config(dial, handle_response):
    return {"admin": {"disabled": True}, "apps": {"http": {"servers": {"srv0": {
        "listen": ["127.0.0.1:0"], "routes": [{"handle": [
            {"handler": "reverse_proxy", "upstreams": [{"dial": dial}],
             "handle_response": handle_response}]}]}}}}}


def get(addr, path):
    c = http.client.HTTPConnection(addr[0], addr[1], timeout=10)
    c.request("GET", path, headers={"Host": "a"})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, r.getheader("X-Upstream"), body


def main():
    binary = sys.argv[1]
    up = pu.Upstream("A")
    rules = [
        {"match": {"status_code": [404]}, "status_code": 200},
        {"match": {"headers": {"X-Upstream": ["A*"]}, "status_code": [2]}, "status_code": 203},
        {"match": {"status_code": [5]}, "status_code": 503},
    ]
    proc, servers, drain = pu.start_gatehouse(binary, config(up.dial, rules))
    try:
        addr = pu.addr_of(servers)
        st, _, body = get(addr, "/status?code=404")
        check(st == 200, "404 replaced by 200: %d" % st)
        st, who, body = get(addr, "/echo/x")
        check(st == 203 and who == "A" and b"/echo/x" in body,
              "2xx from A (header matcher) -> 203, body and fields kept: %d %r" % (st, who))
        st, _, _ = get(addr, "/status?code=502")
        check(st == 503, "5xx class -> 503: %d" % st)
        st, _, _ = get(addr, "/status?code=301")
        check(st == 301, "no entry matches 301: %d" % st)
    finally:
        pu.stop_gatehouse(proc, drain, FAILURES)
        up.close()
    # a proxy inside handle_response routes hands the request on (an X-Accel-Redirect-style
    # hand-over): A's echo (X-Upstream: A) goes on to B, whose answer the client gets
    up = pu.Upstream("A")
    other = pu.Upstream("B")
    inner = {"handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": other.dial}]}]}
    proc, servers, drain = pu.start_gatehouse(
        binary, config(up.dial, [{"match": {"headers": {"X-Upstream": ["A"]}}, "routes": [inner]}]))
    try:
        addr = pu.addr_of(servers)
        for _ in range(3):  # also on the keep-alive connections the first calls left
            st, who, body = get(addr, "/echo/handed")
            check(st == 200 and who == "B" and b"/echo/handed" in body,
                  "a proxy in handle_response routes answers from B: %d %r" % (st, who))
        st, who, _ = get(addr, "/status?code=404")
        check(st == 404 and who is None, "no match: A's own 404: %d %r" % (st, who))
    finally:
        pu.stop_gatehouse(proc, drain, FAILURES)
        up.close()
        other.close()
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
