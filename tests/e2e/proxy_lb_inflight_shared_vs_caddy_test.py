#!/usr/bin/env python3
"""End-to-end: requests in flight count per upstream address for the whole process, against caddy 2.6.2.

Caddy counts a request in flight on the upstream's Host (one per address, shared by every
request, handler and config naming it) from the start of its round trip to the end of the
response's copy, and a WebSocket/upgrade tunnel for as long as it is open. least_conn,
max_requests and unhealthy_request_count (the default max_requests) read that count.
Gatehouse counted per worker, so with W workers each saw 1/W of the load. The same JSON
config runs under gatehouse (--workers 3) and Debian's caddy; the upstreams hold each
request HOLD seconds and record how many they serve at once. Requests go on fresh
connections (spread over the workers), PAUSE apart, so every choice sees the ones before
(which request of a burst reaches the server first is the scheduler's business, so a
burst's answers are compared as a set):
- max_requests 2, 6 requests: 2 served, 4 answered 503 at once; the upstream never holds more than 2.
- least_conn over 3 upstreams, 6 requests: each upstream serves exactly 2, 2 at once.
- lb_policy first, unhealthy_request_count 2 (no max_requests) over 2 upstreams, 5 requests:
  two on A, two on B, one 503; {http.reverse_proxy.upstream.requests} is 0 and 1 on each
  (the requests already in flight when this one was sent, as Caddy sets it before counting it).
- unhealthy_request_count without fail_duration or max_fails: Caddy 2.6.2 leaves max_fails 0
  and compares 0 failures with it: 503 for every request.
- max_requests 1 and an upgrade: while the tunnel is open a request gets 503; once the
  client closed it, 200.
Exits 77 when caddy is not installed.
Usage: proxy_lb_inflight_shared_vs_caddy_test.py <gatehouse>
"""
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check  # noqa: E402
from caddy_peer import CaddyPeer  # noqa: E402
from proxy_upstreams import KeepAliveUpstream, read_response  # noqa: E402

HOLD = 3.0  # s an upstream holds each plain request
PAUSE = 0.12  # s between two requests of a burst


class Upstream(KeepAliveUpstream):
    """Holds a request HOLD s and answers its name, one request a connection; an Upgrade
    gets 101 and an echo until the client closes. Records the most requests it held at once."""

    keep_alive = False
    tunnels = True

    def __init__(self, name):
        self.now = 0
        self.most = 0
        self.served = 0
        super().__init__(name)

    def answer(self, path):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(HOLD)
        with self.lock:
            self.now -= 1
            self.served += 1
        return 200, self.name.encode()


def proxy(upstreams, **extra):
    h = {"handler": "reverse_proxy", "upstreams": upstreams,
         "headers": {"response": {"set": {"X-Req": ["{http.reverse_proxy.upstream.requests}"]}}}}
    h.update(extra)
    return h


def config(p, ups):
    def server(port, handler):
        return {"listen": ["127.0.0.1:%d" % port], "automatic_https": {"disable": True},
                "routes": [{"handle": [handler]}]}

    def dial(name):
        return "127.0.0.1:%d" % ups[name].port

    servers = {
        "max": server(p["max"], proxy([{"dial": dial("M"), "max_requests": 2}])),
        "least": server(p["least"], proxy([{"dial": dial(n)} for n in ("L1", "L2", "L3")],
                                          load_balancing={"selection_policy": {"policy": "least_conn"}})),
        "count": server(p["count"], proxy([{"dial": dial("A")}, {"dial": dial("B")}],
                                          load_balancing={"selection_policy": {"policy": "first"}},
                                          health_checks={"passive": {"unhealthy_request_count": 2,
                                                                     "fail_duration": 10 * 10**9}})),
        "alone": server(p["alone"], proxy([{"dial": dial("A")}],
                                          health_checks={"passive": {"unhealthy_request_count": 2}})),
        "tunnel": server(p["tunnel"], proxy([{"dial": dial("W"), "max_requests": 1}])),
    }
    return {"admin": {"listen": "127.0.0.1:%d" % p["admin"]}, "apps": {"http": {"servers": servers}}}


def one(port):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=15)
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        out = read_response(s)
        s.close()
        return out
    except OSError as e:
        return ("error", None, str(e))


def burst(port, n):
    """n requests on fresh connections, PAUSE apart, all in flight together: their answers in order."""
    out = [None] * n
    threads = []
    for i in range(n):
        def run(i=i):
            out[i] = one(port)
        t = threading.Thread(target=run, daemon=True)
        t.start()
        threads.append(t)
        time.sleep(PAUSE)
    for t in threads:
        t.join(HOLD + 20)
    return out


def tunnel_case(port):
    out = {}
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    out["upgrade"] = buf.split(b" ", 2)[1].decode() if buf else "closed"
    s.sendall(b"ping")
    echoed = buf.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in buf else b""
    deadline = time.time() + 5
    while len(echoed) < 4 and time.time() < deadline:
        d = s.recv(65536)
        if not d:
            break
        echoed += d
    out["echo"] = echoed.decode(errors="replace")
    out["while_open"] = [one(port)[0] for _ in range(3)]
    s.close()
    # The proxy notices the close and ends the tunnel (when the machine lets it): 503s until
    # then, bounded. A plain request is held HOLD s: one served shows the limit is free.
    deadline = time.time() + 5
    while True:
        out["after_close"] = one(port)[:3]
        if out["after_close"][0] != 503 or time.time() >= deadline:
            break
        time.sleep(0.1)
    return out


def exercise(p, ups, start):
    out = {}
    stop = start()
    try:
        out["max"] = sorted(r[0] for r in burst(p["max"], 6))
        out["least"] = [r[0] for r in burst(p["least"], 6)]
        out["count"] = sorted(burst(p["count"], 5), key=lambda r: tuple(str(x) for x in r))
        out["tunnel"] = tunnel_case(p["tunnel"])
        out["alone"] = one(p["alone"])
    finally:
        stop()
    out["most"] = {n: u.most for n, u in ups.items()}
    out["served"] = {n: u.served for n, u in ups.items()}
    return out


def run_gatehouse(binary, p, ups, tmp):
    path = os.path.join(tmp, "gatehouse.json")
    with open(path, "w") as f:
        json.dump(config(p, ups), f)

    def start():
        proc, _, drain, _ = harness.start(binary, path, adapter="json", workers=3)
        return lambda: harness.stop(proc, drain)

    return exercise(p, ups, start)


def run_caddy(p, ups):
    def start():
        peer = CaddyPeer(json.dumps(config(p, ups)), [p["tunnel"]], name="caddy-inflight", adapter="json")
        return peer.stop

    return exercise(p, ups, start)


def one_run(name, run):
    ups = {n: Upstream(n) for n in ("M", "L1", "L2", "L3", "A", "B", "W")}
    p = {k: harness.free_port() for k in ("admin", "max", "least", "count", "tunnel", "alone")}
    try:
        out = run(p, ups)
    finally:
        for u in ups.values():
            u.close()
    print("%s: %s" % (name, out), flush=True)
    return out


def expectations(out, who):
    check(out["max"] == [200, 200, 503, 503, 503, 503],
          "%s: max_requests 2: two served, the other four 503: %s" % (who, out["max"]))
    check(out["most"]["M"] == 2 and out["served"]["M"] == 2,
          "%s: the upstream held at most 2 at once (%d) and served 2 (%d)" % (who, out["most"]["M"], out["served"]["M"]))
    check(out["least"] == [200] * 6, "%s: least_conn: all six served: %s" % (who, out["least"]))
    spread = [(out["most"][n], out["served"][n]) for n in ("L1", "L2", "L3")]
    check(spread == [(2, 2)] * 3, "%s: least_conn: 2 at once on each upstream (most, served): %s" % (who, spread))
    check(out["count"] == [(200, "0", "A"), (200, "0", "B"), (200, "1", "A"), (200, "1", "B"), (503, None, "")],
          "%s: unhealthy_request_count 2, first: two on A, two on B, one 503, upstream.requests 0 1 on each: %s"
          % (who, out["count"]))
    check(out["alone"] == (503, None, ""),
          "%s: unhealthy_request_count without fail_duration or max_fails: never available: %s"
          % (who, out["alone"]))
    t = out["tunnel"]
    check(t["upgrade"] == "101" and t["echo"] == "ping", "%s: the upgrade is tunnelled: %s" % (who, t))
    check(t["while_open"] == [503] * 3, "%s: an open tunnel is a request in flight (max_requests 1): %s" % (who, t))
    check(t["after_close"] == (200, "0", "W"), "%s: once closed it is not: %s" % (who, t))


def main():
    binary = sys.argv[1]
    if shutil.which("caddy") is None:
        print("caddy not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="gh-lb-inflight-")
    try:
        results = {"gatehouse": one_run("gatehouse", lambda p, u: run_gatehouse(binary, p, u, tmp)),
                   "caddy": one_run("caddy", lambda p, u: run_caddy(p, u))}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for who, out in results.items():
        expectations(out, who)
    keys = ("max", "least", "count", "tunnel", "alone", "most", "served")
    check(all(results["gatehouse"][k] == results["caddy"][k] for k in keys), "every answer as caddy's")
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
