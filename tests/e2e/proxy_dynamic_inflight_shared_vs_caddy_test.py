#!/usr/bin/env python3
"""End-to-end: dynamic upstreams count requests in flight and passive failures per address
for the whole process, against caddy 2.6.2.

Caddy takes a Host from its process-wide pool (one per address) for every address a dynamic
source (`dynamic a`, JSON dynamic_upstreams) answers, at each try, and lets it go when the
try ends: the requests in flight and the failures counted on it are every request's while
one holds it, and are forgotten once none does (the next request gets a new Host). Gatehouse
counted them per worker, so with W workers least_conn and unhealthy_request_count saw about
1/W of the load, and a failure kept a worker's upstream out for fail_duration. The same JSON
config runs under gatehouse (--workers 3) and Debian's caddy, both asking a real BIND
(loopback port) for the names; the upstreams hold a request HOLD s (/fail answers 500 and
/quick 200 at once). Requests go on fresh connections (spread over the workers), PAUSE
apart, so every choice sees the ones before (which request of a burst reaches the server
first is the scheduler's business, so a burst's answers are compared as a set):
- unhealthy_request_count 2 (fail_duration set) on a one-address name, 5 requests: two
  served, three 503; {http.reverse_proxy.upstream.requests} 0 and 1.
- least_conn over a two-address name (127.0.0.1 and 127.0.0.2), 6 requests: 3 on each; the
  admin API's /reverse_proxy/upstreams counts them (num_requests 3 on each address).
- max_fails 1, unhealthy_status 500, fail_duration 10s on a one-address name: a 500 alone is
  forgotten (the next requests are served); a 500 while a held request keeps the address
  taken makes every request 503 until the held one ends; then they are served again. The
  admin API's /reverse_proxy/upstreams lists the address (num_requests 1, fails 0 then 1)
  only while a request holds it.
- an upgrade through a dynamic upstream: listed with 1 in flight while the tunnel is open,
  gone once the client closed it.
Exits 77 when caddy or named is not installed.
Usage: proxy_dynamic_inflight_shared_vs_caddy_test.py <gatehouse>
"""
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import bind_dns  # noqa: E402
import harness  # noqa: E402
from harness import check  # noqa: E402
from caddy_peer import CaddyPeer  # noqa: E402
from proxy_upstreams import read_response  # noqa: E402

HOLD = 3.0  # s an upstream holds each plain request
PAUSE = 0.12  # s between two requests of a burst


class Upstream:
    """HTTP/1.1 upstream on host:port: /fail answers 500 and /quick 200 at once, an Upgrade 101
    and an echo until the client closes, anything else 200 after HOLD s; the body is its
    name. Records the most requests it held at once."""

    def __init__(self, name, host="127.0.0.1", port=0):
        self.name = name
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0
        self.served = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        conn.settimeout(30)
        buf = b""
        try:
            while b"\r\n\r\n" not in buf:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            path = buf.split(b" ", 2)[1]
            if b"\r\nupgrade:" in buf.split(b"\r\n\r\n", 1)[0].lower():
                conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
                while True:
                    data = conn.recv(65536)
                    if not data:
                        return
                    conn.sendall(data)
            status = b"500 Internal Server Error" if path.startswith(b"/fail") else b"200 OK"
            if not path.startswith((b"/fail", b"/quick")):
                with self.lock:
                    self.now += 1
                    self.most = max(self.most, self.now)
                time.sleep(HOLD)
                with self.lock:
                    self.now -= 1
                    self.served += 1
            body = self.name.encode()
            conn.sendall(b"HTTP/1.1 " + status + b"\r\nConnection: close\r\nContent-Length: %d\r\n\r\n"
                         % len(body) + body)
        except OSError:
            return
        finally:
            conn.close()

    def close(self):
        self.sock.close()


def two_hosts_upstreams():
    """Upstreams on 127.0.0.1:P and 127.0.0.2:P (one port for both, as one `dynamic a` gives)."""
    for _ in range(20):
        first = Upstream("L1")
        try:
            return first, Upstream("L2", host="127.0.0.2", port=first.port)
        except OSError:
            first.close()
    raise RuntimeError("no port free on both 127.0.0.1 and 127.0.0.2")


def config(p, ups, bind):
    resolver = {"addresses": [bind.address]}

    def dynamic(name, up, **extra):
        h = {"handler": "reverse_proxy",
             "dynamic_upstreams": {"source": "a", "name": name, "port": str(ups[up].port), "resolver": resolver},
             "headers": {"response": {"set": {"X-Req": ["{http.reverse_proxy.upstream.requests}"]}}}}
        h.update(extra)
        return h

    def server(port, handler):
        return {"listen": ["127.0.0.1:%d" % port], "automatic_https": {"disable": True},
                "routes": [{"handle": [handler]}]}

    servers = {
        "count": server(p["count"], dynamic(
            "one.example.test", "C",
            health_checks={"passive": {"unhealthy_request_count": 2, "fail_duration": 10 * 10**9}})),
        "least": server(p["least"], dynamic(
            "two.example.test", "L1", load_balancing={"selection_policy": {"policy": "least_conn"}})),
        "fails": server(p["fails"], dynamic(
            "f.example.test", "F",
            health_checks={"passive": {"fail_duration": 10 * 10**9, "max_fails": 1, "unhealthy_status": [500]}})),
        "tunnel": server(p["tunnel"], dynamic("w.example.test", "W")),
    }
    return {"admin": {"listen": "127.0.0.1:%d" % p["admin"]}, "apps": {"http": {"servers": servers}}}


def one(port, path="/"):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=15)
        s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        out = read_response(s)
        s.close()
        return out
    except OSError as e:
        return ("error", None, str(e))


def burst(port, n, during=None):
    """n requests on fresh connections, PAUSE apart, all in flight together: their answers in
    order; `during` is called once all are sent (before any is answered)."""
    out = [None] * n
    threads = []
    for i in range(n):
        def run(i=i):
            out[i] = one(port)
        t = threading.Thread(target=run, daemon=True)
        t.start()
        threads.append(t)
        time.sleep(PAUSE)
    if during is not None:
        during()
    for t in threads:
        t.join(HOLD + 20)
    return out


def listed_until(p, dials, done, limit):
    """listed() until done(rows) holds or `limit` (a time) has passed; the last rows."""
    while True:
        rows = listed(p, *dials)
        if done(rows) or time.time() >= limit:
            return rows
        time.sleep(0.05)


def listed(p, *dials):
    """The admin API's rows for `dials` (address, num_requests, fails), sorted."""
    try:
        rows = json.loads(urllib.request.urlopen("http://127.0.0.1:%d/reverse_proxy/upstreams" % p["admin"],
                                                 timeout=5).read())
    except (OSError, ValueError) as e:
        return "error: %s" % e
    return sorted((r["address"], r["num_requests"], r["fails"]) for r in rows if r["address"] in dials)


def fails_case(p, ups):
    port = p["fails"]
    dial = "127.0.0.1:%d" % ups["F"].port
    out = {"idle": listed(p, dial)}
    # Alone: the failure goes with the try that counted it.
    out["alone"] = [one(port, "/fail")[0]] + [one(port, "/quick")[0] for _ in range(3)]
    held = {}
    t = threading.Thread(target=lambda: held.setdefault("r", one(port, "/held")), daemon=True)
    t.start()
    # the held request is in flight once the address is listed (it is held HOLD s)
    out["held"] = listed_until(p, [dial], lambda rows: rows != [], time.time() + HOLD / 2)
    out["fail"] = one(port, "/fail")[0]
    out["held_failed"] = listed(p, dial)
    out["while_held"] = [one(port, "/quick")[0] for _ in range(4)]  # on fresh connections, every worker
    t.join(HOLD + 20)
    out["held_answer"] = held.get("r", ("none",))[0]
    # the try lets the address go as it ends, a moment after its answer left
    out["released"] = listed_until(p, [dial], lambda rows: rows == [], time.time() + 5)
    out["after"] = [one(port, "/quick")[0] for _ in range(3)]
    out["after_listed"] = listed(p, dial)
    return out


def tunnel_case(p, ups):
    """An upgrade through a dynamic upstream holds its address while the tunnel is open."""
    dial = "127.0.0.1:%d" % ups["W"].port
    out = {}
    s = socket.create_connection(("127.0.0.1", p["tunnel"]), timeout=10)
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
    out["open"] = [r[1:] for r in listed(p, dial)]
    s.close()
    # the proxy notices the close and ends the tunnel
    out["closed"] = listed_until(p, [dial], lambda rows: rows == [], time.time() + 5)
    return out


def exercise(p, ups, start):
    out = {}
    stop = start()
    try:
        out["count"] = sorted(burst(p["count"], 5), key=lambda r: tuple(str(x) for x in r))
        both = ["127.0.0.%d:%d" % (i, ups["L1"].port) for i in (1, 2)]
        snap = {}

        def all_in_flight():
            # the last requests sent may not have reached the proxy yet: until all six are
            # counted, well before the first could be answered
            total = lambda rows: sum(r[1] for r in rows) if isinstance(rows, list) else 0
            snap["rows"] = listed_until(p, both, lambda rows: total(rows) >= 6, time.time() + HOLD / 2)

        out["least"] = [r[0] for r in burst(p["least"], 6, all_in_flight)]
        out["least_listed"] = snap.get("rows")
        out["fails"] = fails_case(p, ups)
        out["tunnel"] = tunnel_case(p, ups)
    finally:
        stop()
    out["most"] = {n: u.most for n, u in ups.items()}
    out["served"] = {n: u.served for n, u in ups.items()}
    return out


def run_gatehouse(binary, p, ups, bind, tmp):
    path = os.path.join(tmp, "gatehouse.json")
    with open(path, "w") as f:
        json.dump(config(p, ups, bind), f)

    def start():
        proc, _, drain, _ = harness.start(binary, path, adapter="json", workers=3)
        return lambda: harness.stop(proc, drain)

    return exercise(p, ups, start)


def run_caddy(p, ups, bind):
    def start():
        peer = CaddyPeer(json.dumps(config(p, ups, bind)), [p["fails"]], name="caddy-inflight", adapter="json")
        return peer.stop

    return exercise(p, ups, start)


def one_run(name, run, bind):
    l1, l2 = two_hosts_upstreams()
    ups = {"C": Upstream("C"), "L1": l1, "L2": l2, "F": Upstream("F"), "W": Upstream("W")}
    p = {k: harness.free_port() for k in ("admin", "count", "least", "fails", "tunnel")}
    try:
        bind.nsupdate("\n".join([
            "update delete one.example.test. A", "update delete two.example.test. A",
            "update delete f.example.test. A", "update delete w.example.test. A",
            "update add w.example.test. 60 A 127.0.0.1",
            "update add one.example.test. 60 A 127.0.0.1",
            "update add two.example.test. 60 A 127.0.0.1",
            "update add two.example.test. 60 A 127.0.0.2",
            "update add f.example.test. 60 A 127.0.0.1",
        ]))
        out = run(p, ups)
    finally:
        for u in ups.values():
            u.close()
    out["dial"] = "127.0.0.1:%d" % ups["F"].port
    out["least_port"] = str(ups["L1"].port)
    print("%s: %s" % (name, out), flush=True)
    return out


def expectations(out, who):
    check(out["count"] == [(200, "0", "C"), (200, "1", "C"), (503, None, ""), (503, None, ""), (503, None, "")],
          "%s: unhealthy_request_count 2: two served, three 503, upstream.requests 0 1: %s" % (who, out["count"]))
    check(out["most"]["C"] == 2 and out["served"]["C"] == 2,
          "%s: the upstream held at most 2 at once (%d) and served 2 (%d)" % (who, out["most"]["C"], out["served"]["C"]))
    check(out["least"] == [200] * 6, "%s: least_conn: all six served: %s" % (who, out["least"]))
    spread = [(out["most"][n], out["served"][n]) for n in ("L1", "L2")]
    check(spread == [(3, 3)] * 2, "%s: least_conn: 3 at once on each address (most, served): %s" % (who, spread))
    check(out["least_listed"] == [("127.0.0.1:" + out["least_port"], 3, 0), ("127.0.0.2:" + out["least_port"], 3, 0)],
          "%s: the admin API counts 3 in flight on each address: %s" % (who, out["least_listed"]))
    f = out["fails"]
    dial = out["dial"]
    check(f["idle"] == [], "%s: no request holds the address: not listed: %s" % (who, f["idle"]))
    check(f["alone"] == [500, 200, 200, 200], "%s: a failure alone is forgotten with its try: %s" % (who, f["alone"]))
    check(f["held"] == [(dial, 1, 0)], "%s: listed while a request holds it: %s" % (who, f["held"]))
    check(f["fail"] == 500 and f["held_failed"] == [(dial, 1, 1)],
          "%s: a failure while it is held counts for the process: %s %s" % (who, f["fail"], f["held_failed"]))
    check(f["while_held"] == [503] * 4, "%s: every worker sees it (max_fails 1): %s" % (who, f["while_held"]))
    check(f["held_answer"] == 200, "%s: the held request is served: %s" % (who, f["held_answer"]))
    check(f["released"] == [] and f["after"] == [200] * 3 and f["after_listed"] == [],
          "%s: once nothing holds it, it is gone with its failure: %s %s %s"
          % (who, f["released"], f["after"], f["after_listed"]))
    t = out["tunnel"]
    check(t["upgrade"] == "101" and t["echo"] == "ping", "%s: the upgrade is tunnelled: %s" % (who, t))
    check(t["open"] == [(1, 0)] and t["closed"] == [],
          "%s: an open tunnel holds its address (1 in flight), its close lets it go: %s" % (who, t))


def main():
    binary = sys.argv[1]
    if shutil.which("caddy") is None:
        print("caddy not installed")
        return 77
    bind_dns.require_bind()
    tmp = tempfile.mkdtemp(prefix="gh-dyn-inflight-")
    bind = bind_dns.Bind(tmp)
    try:
        results = {"gatehouse": one_run("gatehouse", lambda p, u: run_gatehouse(binary, p, u, bind, tmp), bind),
                   "caddy": one_run("caddy", lambda p, u: run_caddy(p, u, bind), bind)}
    finally:
        bind.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    for who, out in results.items():
        expectations(out, who)
    g, c = results["gatehouse"], results["caddy"]
    check(all(g[k] == c[k] for k in ("count", "least", "most", "served", "tunnel")), "every answer as caddy's")
    keys = ("alone", "fail", "while_held", "held_answer", "after")
    check(all(g["fails"][k] == c["fails"][k] for k in keys), "every failure answer as caddy's")
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
