#!/usr/bin/env python3
"""End-to-end: how reverse_proxy uses its upstream connections, gatehouse (one worker: Go's
pool is per transport, gatehouse's per worker) against Debian's caddy 2.6.2 running the same
Caddyfile. Each site has an observer upstream that numbers the connections it accepts and
records which request came on which; the sequences must be the same under both servers.

- upgrade: plain GET, an `Upgrade: foo` (101), GET, a WebSocket upgrade answered 200, GET,
  WebSocket (101), WebSocket (101), GET. Go keys a WebSocket upgrade's connection apart: it
  never takes a plain request's idle connection (but takes the one the upgrade answered 200
  left), a non-WebSocket upgrade does, and a connection that carried a tunnel is never
  used again;
- health_h1 / health_h2c: active checks every 200 ms beside proxied GETs share
  connections (caddy's checks go through the handler's transport): over HTTP/1.1 one
  connection carries both (a second when a check is in flight as a GET comes), over h2c
  no connection is added to the checks' one;
- stale: an upstream that closes each kept connection on its second request: a GET is sent
  again on a new connection (200), a POST with no body is not (502), as Go's transport;
- idle1: `keepalive_idle_conns_per_host 1`, 4 concurrent slow requests: 4 connections,
  then 1 left open;
- maxconns: `max_conns_per_host 2`, 5 concurrent slow requests: all 200 (queued, not 502),
  never more than 2 connections open;
- maxconns_ws: `max_conns_per_host 1` with a WebSocket tunnel open: a plain GET is answered
  at once (Go's transport stops counting a connection it hands over after a 101).
Exits 77 when caddy is not installed.
Usage: proxy_conn_use_vs_caddy_test.py <gatehouse>
"""
import base64
import os
import shutil
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check  # noqa: E402
import tcp_servers  # noqa: E402
from caddy_peer import established_to, serving  # noqa: E402
from h2_script_upstream import ScriptedH2Upstream  # noqa: E402

SITES = ["upgrade", "health_h1", "health_h2c", "stale", "idle1", "maxconns", "maxconns_ws"]


class Observer:
    """HTTP/1.1 upstream: (connection number, request line) per request; /ws* with an
    Upgrade answers 101 and echoes until EOF; /slow answers after 0.6 s; `drop_second`:
    the second request on a connection is met by a close."""

    def __init__(self, drop_second=False):
        self.sock = tcp_servers.listen()
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.conns = 0
        self.open = 0
        self.max_open = 0
        self.log = []
        self.drop_second = drop_second
        tcp_servers.serve(self.sock, self._serve, timeout=20)

    def _serve(self, conn):
        with self.lock:
            self.conns += 1
            cid = self.conns
            self.open += 1
            self.max_open = max(self.max_open, self.open)
        try:
            self._requests(conn, cid)
        finally:
            with self.lock:
                self.open -= 1

    def _requests(self, conn, cid):
        buf, served = b"", 0
        while True:
            while b"\r\n\r\n" not in buf:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            fields = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
            served += 1
            with self.lock:
                self.log.append((cid, lines[0].split(" ")[0] + " " + lines[0].split(" ")[1]))
            if self.drop_second and served > 1:
                return
            if "upgrade" in fields and lines[0].startswith("GET /ws"):
                conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: %s\r\nConnection: Upgrade\r\n"
                             b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n" % fields["upgrade"].encode())
                while True:
                    data = conn.recv(65536)
                    if not data:
                        return
                    conn.sendall(data)
            if "/slow" in lines[0]:
                time.sleep(0.6)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    def take(self):
        with self.lock:
            log, self.log = self.log, []
        return log

    def close(self):
        self.sock.close()


def request(port, method="GET", target="/", upgrade=None, timeout=10, hold=None):
    """Status of one request on a fresh client connection (an upgrade's tunnel echoes one
    message, then the client closes it, or with `hold` (a list) keeps it open there)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        extra = b"Connection: close\r\n"
        if upgrade:
            extra = (b"Connection: Upgrade\r\nUpgrade: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n"
                     % (upgrade.encode(), base64.b64encode(os.urandom(16))))
        if method == "POST":
            extra += b"Content-Length: 0\r\n"
        s.sendall(b"%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n" % (method.encode(), target.encode(), extra))
        data = b""
        while b"\r\n\r\n" not in data:
            piece = s.recv(65536)
            if not piece:
                break
            data += piece
        status = int(data.split(b" ")[1]) if data else 0
        if status == 101:
            s.sendall(b"ping")
            echoed = s.recv(100)
            status = 101 if echoed == b"ping" else -1
            if hold is not None:
                hold.append(s)
                s = None
                return status
            time.sleep(0.2)
        else:
            # the body (an upgrade answered 200 leaves the client connection open)
            head, _, body = data.partition(b"\r\n\r\n")
            length = [int(x.split(b":")[1]) for x in head.split(b"\r\n") if x.lower().startswith(b"content-length:")]
            while len(body) < (length[0] if length else 1 << 30):
                piece = s.recv(65536)
                if not piece:
                    break
                body += piece
        return status
    finally:
        if s is not None:
            s.close()


def concurrent(port, n, target="/slow"):
    results = [None] * n

    def one(i):
        try:
            results[i] = request(port, target=target)
        except OSError as e:
            results[i] = str(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    return results


def caddyfile(ports, ups, h2c):
    site = "http://127.0.0.1:%d {\n\treverse_proxy %s%s\n}\n"
    health = " {\n\t\thealth_uri /health\n\t\thealth_interval 200ms\n\t}"
    blocks = {
        "upgrade": "127.0.0.1:%d" % ups["upgrade"].port,
        "health_h1": "127.0.0.1:%d%s" % (ups["health_h1"].port, health),
        "health_h2c": "h2c://127.0.0.1:%d%s" % (h2c.port, health),
        "stale": "127.0.0.1:%d" % ups["stale"].port,
        "idle1": "127.0.0.1:%d {\n\t\ttransport http {\n\t\t\tkeepalive_idle_conns_per_host 1\n\t\t}\n\t}"
                 % ups["idle1"].port,
        "maxconns": "127.0.0.1:%d {\n\t\ttransport http {\n\t\t\tmax_conns_per_host 2\n\t\t}\n\t}"
                    % ups["maxconns"].port,
        "maxconns_ws": "127.0.0.1:%d {\n\t\ttransport http {\n\t\t\tmax_conns_per_host 1\n\t\t}\n\t}"
                       % ups["maxconns_ws"].port,
    }
    out = "{\n\tadmin off\n\tauto_https off\n\tskip_install_trust\n}\n"
    for name in SITES:
        out += site % (ports[name], blocks[name], "")
    return out


def exercise(ports, ups, h2c):
    res = {}
    p = ports["upgrade"]
    steps = [request(p), request(p, target="/ws", upgrade="foo"), request(p),
             request(p, target="/no", upgrade="websocket"), request(p),
             request(p, target="/ws", upgrade="websocket"), request(p, target="/ws", upgrade="websocket"),
             request(p)]
    res["upgrade"] = (steps, ups["upgrade"].take())

    h2c_before = (h2c.connections, h2c.requests)
    for _ in range(4):
        request(ports["health_h1"])
        request(ports["health_h2c"])
        time.sleep(0.25)
    res["health_h1"] = ups["health_h1"].take()
    res["health_h2c"] = (h2c.connections - h2c_before[0], h2c.requests - h2c_before[1])

    p = ports["stale"]
    res["stale"] = ([request(p), request(p), request(p, "POST"), request(p), request(p, "POST")],
                    ups["stale"].take())

    codes = concurrent(ports["idle1"], 4)
    time.sleep(1.2)  # gatehouse trims an idle excess after 1 s; Go at once
    deadline = time.time() + 5
    while established_to(ups["idle1"].port) > 1 and time.time() < deadline:
        time.sleep(0.2)
    res["idle1"] = (codes, ups["idle1"].conns, established_to(ups["idle1"].port))

    codes = concurrent(ports["maxconns"], 5)
    res["maxconns"] = (codes, ups["maxconns"].max_open)

    held = []
    tunnel = request(ports["maxconns_ws"], target="/ws", upgrade="websocket", hold=held)
    try:
        plain = request(ports["maxconns_ws"], timeout=3)
    except OSError as e:
        plain = "no answer: %s" % e
    for sock in held:
        sock.close()
    res["maxconns_ws"] = (tunnel, plain)
    return res


def main():
    binary = sys.argv[1]
    if shutil.which("caddy") is None:
        print("caddy not installed: skipped")
        return 77
    runs = {}
    for who in ("caddy", "gatehouse"):
        ups = {name: Observer(drop_second=(name == "stale")) for name in SITES if name != "health_h2c"}
        h2c = ScriptedH2Upstream()
        ports = {name: harness.free_port() for name in SITES}
        try:
            with serving(who, binary, caddyfile(ports, ups, h2c), list(ports.values()), workers=1):
                time.sleep(0.3)  # the first health round
                for up in ups.values():
                    up.take()
                runs[who] = exercise(ports, ups, h2c)
        finally:
            for up in ups.values():
                up.close()
            h2c.close()
        print(who, runs[who])

    c, g = runs["caddy"], runs["gatehouse"]
    for who, r in runs.items():
        steps, log = r["upgrade"]
        check(steps == [200, 101, 200, 200, 200, 101, 101, 200], "%s upgrade: answers (%s)" % (who, steps))
        tunnels = [cid for cid, line in log if line.startswith("GET /ws")]
        later = [(i, cid) for i, (cid, line) in enumerate(log) if cid in tunnels
                 and i > max(j for j, (k, x) in enumerate(log) if k == cid and x.startswith("GET /ws"))]
        check(not later, "%s upgrade: no request after a tunnel on its connection (%s)" % (who, log))
        # a check in flight as a request comes makes Go dial a second one (seen under load)
        conns = {cid for cid, _ in r["health_h1"]}
        mixed = [cid for cid in conns if {line for k, line in r["health_h1"] if k == cid} == {"GET /", "GET /health"}]
        check(len(conns) <= 2 and mixed and len(r["health_h1"]) >= 8,
              "%s health_h1: checks and proxied requests share a connection (%s)" % (who, r["health_h1"]))
        check(r["health_h2c"][0] == 0 and r["health_h2c"][1] >= 8,  # streams: no race
              "%s health_h2c: no new connection for checks and requests (%s)" % (who, r["health_h2c"]))
        check(r["stale"][0] == [200, 200, 502, 200, 502], "%s stale: GET sent again, POST not (%s)"
              % (who, r["stale"]))
        check(r["idle1"] == ([200] * 4, 4, 1), "%s idle1: 4 connections, 1 kept (%s)" % (who, r["idle1"]))
        codes, most = r["maxconns"]
        check(codes == [200] * 5 and most <= 2, "%s maxconns: all queued and answered, <= 2 open (%s)" % (who, r["maxconns"]))
        check(r["maxconns_ws"] == (101, 200),
              "%s maxconns_ws: a GET beside an open WebSocket tunnel is answered (%s)" % (who, r["maxconns_ws"]))
    check(g["upgrade"] == c["upgrade"], "upgrade: the same connection per request\n caddy:     %s\n gatehouse: %s"
          % (c["upgrade"], g["upgrade"]))
    check(g["stale"] == c["stale"], "stale: as caddy\n caddy:     %s\n gatehouse: %s" % (c["stale"], g["stale"]))
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
