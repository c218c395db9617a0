#!/usr/bin/env python3
"""End-to-end: active health check verdicts from the response body (`expect_body`,
`max_size`), redirects, a request body, and checks without a uri, compared with Debian's
caddy 2.6.2 running the same JSON config.

One upstream process listens on one port per route (Caddy keeps health state per upstream
address, shared between handlers, so each route gets its own). Health endpoints:
/hc/ok ("all good"), /hc/degraded, /hc/redir (302 -> /hc/ok), /hc/redirabs (302 ->
http://elsewhere.test:1/hc/ok: followed, but still dialled to the same upstream, with that
Host), /hc/loop (302 -> itself), /hc/big (60 bytes of x, then MARK), /hc/echo (answers
with the request body). Anything else answers 200 "proxied". A healthy upstream serves
the route's request (200); an unhealthy one leaves none (503).
Checked for both servers: expect_body matches or not; Caddy 2.6.2's http.Client follows
redirects (relative and absolute Locations, up to 10 requests, then the check fails);
max_size bounds the bytes the regexp sees; an `active` block without uri/path/port runs
no checks. Gatehouse only (newer Caddy's fields, unknown to 2.6.2): `follow_redirects:
false` judges the 302 itself; `body` is sent with the check (Content-Length).
Usage: proxy_health_body_redirect_test.py <gatehouse>
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from harness import FAILURES, check  # noqa: E402
import proxy_upstreams as pu  # noqa: E402
import tcp_servers  # noqa: E402


class HealthUpstream:
    """Threaded HTTP/1.1 on several 127.0.0.1 ports; records (port, method, target, host, body)."""

    def __init__(self, count):
        self.socks = []
        self.seen = []
        self.lock = threading.Lock()
        for _ in range(count):
            s = tcp_servers.listen()
            self.socks.append(s)
            port = s.getsockname()[1]
            tcp_servers.serve(s, lambda conn, port=port: self._serve(conn, port))
        self.ports = [s.getsockname()[1] for s in self.socks]

    def _serve(self, conn, port):
        buf = tcp_servers.read_head(conn)
        if buf is None:
            return
        head, body = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        method, target = lines[0].split(" ")[:2]
        fields = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
        length = int(fields.get("content-length", "0"))
        while len(body) < length:
            data = conn.recv(65536)
            if not data:
                break
            body += data
        with self.lock:
            self.seen.append((port, method, target, fields.get("host", ""), body.decode("latin-1")))
        status, extra, payload = self._answer(target, body)
        conn.sendall(("HTTP/1.1 %s\r\n%sContent-Length: %d\r\nConnection: close\r\n\r\n"
                      % (status, extra, len(payload))).encode() + payload)

    @staticmethod
    def _answer(target, body):
        if target == "/hc/ok":
            return "200 OK", "", b"all good"
        if target == "/hc/degraded":
            return "200 OK", "", b"degraded"
        if target == "/hc/redir":
            return "302 Found", "Location: /hc/ok\r\n", b""
        if target == "/hc/redirabs":
            return "302 Found", "Location: http://elsewhere.test:1/hc/ok\r\n", b""
        if target == "/hc/loop":
            return "302 Found", "Location: /hc/loop\r\n", b""
        if target == "/hc/big":
            return "200 OK", "", b"x" * 60 + b"MARK"
        if target == "/hc/echo":
            return "200 OK", "", body
        return "200 OK", "", b"proxied"

    def requests(self, port, target=None):
        with self.lock:
            return [r for r in self.seen if r[0] == port and (target is None or r[2] == target)]

    def close(self):
        for s in self.socks:
            s.close()


# route -> (active health check fields, expected status of a proxied request)
COMMON = [
    ("/ok", {"uri": "/hc/ok", "expect_body": "good"}, 200),
    ("/badbody", {"uri": "/hc/degraded", "expect_body": "good"}, 503),
    ("/redir", {"uri": "/hc/redir", "expect_body": "good"}, 200),
    ("/redirabs", {"uri": "/hc/redirabs"}, 200),
    ("/loop", {"uri": "/hc/loop"}, 503),
    ("/maxsmall", {"uri": "/hc/big", "expect_body": "MARK", "max_size": 20}, 503),
    ("/maxbig", {"uri": "/hc/big", "expect_body": "MARK", "max_size": 1000}, 200),
    ("/nouri", {"expect_status": 500, "interval": "100ms"}, 200),
]
OURS_ONLY = [
    ("/nofollow", {"uri": "/hc/redir", "follow_redirects": False}, 503),
    ("/body", {"uri": "/hc/echo", "method": "POST", "body": "ping", "expect_body": "^ping$"}, 200),
]


def config(listen, routes, ports):
    out = []
    for (path, active, _), port in zip(routes, ports):
        active = dict({"interval": "100ms", "timeout": "2s"}, **active)
        out.append({"match": [{"path": [path]}], "handle": [{
            "handler": "reverse_proxy", "upstreams": [{"dial": "127.0.0.1:%d" % port}],
            "health_checks": {"active": active}}]})
    return {"admin": {"disabled": True},
            "apps": {"http": {"servers": {"srv0": {"listen": ["127.0.0.1:%d" % listen], "routes": out}}}}}


def status_of(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def wait_listening(port, proc, deadline=20):
    end = time.time() + deadline
    while time.time() < end and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def run(name, argv, cfg, port, routes, env=None):
    tmp = tempfile.mkdtemp(prefix="gh-hc-")
    path = os.path.join(tmp, "config.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    log = open(os.path.join(tmp, "log"), "w")
    proc = subprocess.Popen(argv + [path], stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, HOME=tmp,
                            XDG_DATA_HOME=tmp, XDG_CONFIG_HOME=tmp, **(env or {})))
    try:
        if not wait_listening(port, proc):
            check(False, "%s did not start: %s" % (name, open(log.name).read()[-2000:]))
            return {}
        for path_, _, _ in routes:  # starts the checks (gatehouse: on a worker's first request)
            status_of(port, path_)
        time.sleep(1.5)  # many 100 ms intervals
        got = {}
        for path_, _, want in routes:
            got[path_] = status_of(port, path_)
            print("%-9s %-10s -> %d" % (name, path_, got[path_]), flush=True)
            check(got[path_] == want, "%s %s: %d, want %d" % (name, path_, got[path_], want))
        return got
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
            check(False, "%s did not stop within 15 s" % name)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    binary = sys.argv[1]
    ours_routes = COMMON + OURS_ONLY
    up = HealthUpstream(len(ours_routes) + len(COMMON))
    ours_ports, caddy_ports = up.ports[:len(ours_routes)], up.ports[len(ours_routes):]
    try:
        gh = pu.unused_port()
        ours = run("gatehouse", [binary, "run", "--workers", "1", "--adapter", "json", "--config"],
                   config(gh, ours_routes, ours_ports), gh, ours_routes)
        port_of = dict(zip([r[0] for r in ours_routes], ours_ports))
        check(any(r[2] == "/hc/ok" for r in up.requests(port_of["/redir"])), "the relative redirect was followed")
        abs_ok = [r for r in up.requests(port_of["/redirabs"], "/hc/ok")]
        check(abs_ok and all(r[3] == "elsewhere.test:1" for r in abs_ok),
              "the absolute redirect went to the same upstream with the Location's Host: %s" % abs_ok[:1])
        check(not up.requests(port_of["/nouri"], None) or
              all(r[2] == "/nouri" for r in up.requests(port_of["/nouri"])), "no health checks without a uri")
        check(not up.requests(port_of["/nofollow"], "/hc/ok"), "follow_redirects false follows nothing")
        posts = up.requests(port_of["/body"], "/hc/echo")
        check(posts and all(r[1] == "POST" and r[4] == "ping" for r in posts), "the check's body was sent: %s" % posts[:1])
        if shutil.which("caddy"):
            cp = pu.unused_port()
            theirs = run("caddy", ["caddy", "run", "--config"],
                         config(cp, COMMON, caddy_ports), cp, COMMON)
            check(theirs == {k: v for k, v in ours.items() if k in theirs}, "same verdicts as caddy: %s vs %s" %
                  (ours, theirs))
            port_of_c = dict(zip([r[0] for r in COMMON], caddy_ports))
            loops_c = len(up.requests(port_of_c["/loop"], "/hc/loop"))
            loops_o = len(up.requests(port_of["/loop"], "/hc/loop"))
            print("requests to /hc/loop: gatehouse %d, caddy %d" % (loops_o, loops_c))
        else:
            print("caddy not installed: comparison skipped")
    finally:
        up.close()
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
