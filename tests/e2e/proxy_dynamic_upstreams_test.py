#!/usr/bin/env python3
"""End-to-end: reverse_proxy upstreams that come from DNS, per request, against a real BIND.

BIND (`named`, on a loopback port, zone example.test) serves A and SRV records for upstreams
on loopback addresses (127.0.0.1 and 127.0.0.2, same port); Gatehouse asks it through
`resolvers`. Checked:
- dynamic a: both addresses of a name take requests (round_robin); the answer is cached for
  `refresh` (a changed record is not seen before it, and is after); the name may hold
  placeholders; a name BIND refuses falls back to the static upstreams (503 without any).
- dynamic srv: records in priority order (lb_policy first -> the lowest priority value);
  their target names are dialled through the transport's resolvers.
- dynamic multi: a failing source adds nothing, the next one answers.
- placeholder upstream addresses: a bad rendered address gives 502, a good one proxies.
- active health checks of an upstream named by a DNS name (looked up before each check),
  and through a PROXY protocol transport (v1 "PROXY UNKNOWN", v2 LOCAL).
Exits 77 when named is not installed. Usage: proxy_dynamic_upstreams_test.py <gatehouse>
"""
import http.client
import socket
import struct
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from harness import FAILURES, check  # noqa: E402
import bind_dns  # noqa: E402
import proxy_upstreams as pu  # noqa: E402
import tcp_servers  # noqa: E402


class ProxyProtocolUpstream:
    """Reads a PROXY header (v1 or v2) and one request head; 200 when a header came first."""

    def __init__(self):
        self.sock = tcp_servers.listen(backlog=16)
        self.port = self.sock.getsockname()[1]
        self.headers = []
        tcp_servers.serve(self.sock, self._serve)

    def _serve(self, conn):
        buf = tcp_servers.read_head(conn)
        if buf is None:
            return
        header = b""
        if buf.startswith(b"PROXY "):
            header, buf = buf.split(b"\r\n", 1)
            header += b"\r\n"
        elif buf.startswith(b"\r\n\r\n\x00\r\nQUIT\n"):
            n = struct.unpack("!H", buf[14:16])[0]
            header, buf = buf[:16 + n], buf[16 + n:]
        self.headers.append(header)
        status = b"200 OK" if header else b"400 Bad Request"
        conn.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    def close(self):
        self.sock.close()


def route(prefix, handler):
    return {"match": [{"path": [prefix + "/*"]}],
            "handle": [{"handler": "rewrite", "strip_path_prefix": prefix}, handler]}


def proxy(upstreams=None, dynamic=None, **extra):
    h = {"handler": "reverse_proxy"}
    if upstreams:
        h["upstreams"] = [{"dial": d} for d in upstreams]
    if dynamic:
        h["dynamic_upstreams"] = dynamic
    h.update(extra)
    return h


def config(bind, port, a, srv_a, srv_b, pp):
    resolver = {"addresses": [bind.address]}
    transport = {"protocol": "http", "resolver": resolver}
    first = {"selection_policy": {"policy": "first"}}
    rr = {"selection_policy": {"policy": "round_robin"}}
    srv = {"source": "srv", "service": "http", "proto": "tcp", "name": "example.test", "resolver": resolver}
    hc = {"interval": "200ms", "timeout": "1s"}
    return {
        "admin": {"disabled": True},
        "apps": {"http": {"servers": {"srv0": {"listen": ["127.0.0.1:0"], "routes": [
            route("/a", proxy(dynamic={"source": "a", "name": "api.example.test", "port": str(port),
                                       "refresh": "1s", "resolver": resolver}, load_balancing=rr)),
            route("/cached", proxy(dynamic={"source": "a", "name": "cache.example.test", "port": str(port),
                                            "refresh": "60s", "resolver": resolver})),
            route("/named", proxy(dynamic={"source": "a", "name": "{http.request.header.X-Svc}.example.test",
                                           "port": "{http.request.uri.query.port}", "resolver": resolver})),
            route("/refused", proxy(dynamic={"source": "a", "name": "nope.invalid", "port": str(port),
                                             "resolver": resolver})),
            route("/fallback", proxy(upstreams=[a.dial],
                                     dynamic={"source": "a", "name": "nope.invalid", "port": str(port),
                                              "resolver": resolver})),
            route("/srv", proxy(dynamic=srv, transport=transport, load_balancing=first)),
            route("/multi", proxy(dynamic={"source": "multi", "sources": [
                {"source": "a", "name": "nope.invalid", "port": str(port), "resolver": resolver}, srv]},
                transport=transport, load_balancing=first)),
            route("/ph", proxy(upstreams=["{http.request.header.X-Backend}"])),
            route("/hcdns", proxy(upstreams=["hc.example.test:%d" % srv_a.port], transport=transport,
                                  health_checks={"active": dict(hc, uri="/echo/hc")})),
            route("/hcbad", proxy(upstreams=["hc.example.test:%d" % srv_a.port], transport=transport,
                                  health_checks={"active": dict(hc, uri="/status?code=500")})),
            route("/pp1", proxy(upstreams=["127.0.0.1:%d" % pp.port],
                                transport={"protocol": "http", "proxy_protocol": "v1"},
                                health_checks={"active": dict(hc, uri="/hc")})),
            route("/pp2", proxy(upstreams=["127.0.0.1:%d" % pp.port],
                                transport={"protocol": "http", "proxy_protocol": "v2"},
                                health_checks={"active": dict(hc, uri="/hc")})),
        ]}}}},
    }


def get(addr, path, headers=None):
    c = http.client.HTTPConnection(addr[0], addr[1], timeout=15)
    h = {"Host": "a"}
    h.update(headers or {})
    c.request("GET", path, headers=h)
    r = c.getresponse()
    r.read()
    c.close()
    return r.status, r.getheader("X-Upstream")


def test_a(addr, bind, port):
    seen = {get(addr, "/a/echo")[1] for _ in range(6)}
    check(seen == {"A", "B"}, "dynamic a: both addresses take requests: %r" % seen)
    status, who = get(addr, "/cached/echo")
    check((status, who) == (200, "B"), "dynamic a: cache.example.test -> 127.0.0.2 (B): %r" % ((status, who),))
    bind.nsupdate("update delete api.example.test. A 127.0.0.2\nupdate delete cache.example.test. A\n"
                  "update add cache.example.test. 60 A 127.0.0.1")
    time.sleep(1.5)  # past /a's refresh, well within /cached's
    seen = {get(addr, "/a/echo")[1] for _ in range(6)}
    check(seen == {"A"}, "dynamic a: a removed address leaves after refresh: %r" % seen)
    status, who = get(addr, "/cached/echo")
    check(who == "B", "dynamic a: the cached answer stays for its refresh: %r" % who)
    status, who = get(addr, "/named/echo?port=%d" % port, {"X-Svc": "api"})
    check((status, who) == (200, "A"), "dynamic a: placeholders in name and port: %r" % ((status, who),))
    status, _ = get(addr, "/refused/echo")
    check(status == 503, "dynamic a: a failed lookup without static upstreams: 503, got %d" % status)
    status, who = get(addr, "/fallback/echo")
    check((status, who) == (200, "A"), "dynamic a: a failed lookup falls back to static: %r" % ((status, who),))


def test_srv_multi(addr):
    seq = [get(addr, "/srv/echo")[1] for _ in range(4)]
    check(seq == ["SA"] * 4, "dynamic srv: lowest priority value first: %r" % seq)
    seq = [get(addr, "/multi/echo")[1] for _ in range(2)]
    check(seq == ["SA"] * 2, "dynamic multi: a failing source is skipped: %r" % seq)


def test_placeholder(addr, a):
    status, who = get(addr, "/ph/echo", {"X-Backend": a.dial})
    check((status, who) == (200, "A"), "placeholder upstream: %r" % ((status, who),))
    for bad in ("", "127.0.0.1:1-3", "127.0.0.1:abc", "udp/127.0.0.1:53"):
        status, _ = get(addr, "/ph/echo", {"X-Backend": bad})
        check(status == 502, "placeholder upstream %r: 502, got %d" % (bad, status))


def test_health(addr, pp):
    for p in ("/hcdns/echo", "/hcbad/echo", "/pp1/x", "/pp2/x"):
        get(addr, p)  # the checks run from start-up; these only warm the pools
    time.sleep(1.0)
    status, who = get(addr, "/hcdns/echo")
    check((status, who) == (200, "SA"), "health checks of a DNS-named upstream pass: %r" % ((status, who),))
    status, _ = get(addr, "/hcbad/echo")
    check(status == 503, "a DNS-named upstream failing its checks is out: 503, got %d" % status)
    for p in ("/pp1/x", "/pp2/x"):
        status, _ = get(addr, p)
        check(status == 200, "PROXY protocol upstream healthy through its checks (%s): %d" % (p, status))
    v1 = [h for h in pp.headers if h == b"PROXY UNKNOWN\r\n"]
    v2local = [h for h in pp.headers if h.startswith(b"\r\n\r\n\x00\r\nQUIT\n\x20")]
    v1req = [h for h in pp.headers if h.startswith(b"PROXY TCP4 127.0.0.1 127.0.0.1 ")]
    check(len(v1) >= 2 and len(v2local) >= 2, "checks send PROXY UNKNOWN (v1) and LOCAL (v2): %d %d" % (len(v1), len(v2local)))
    check(len(v1req) >= 1, "requests still send the client's address (v1)")
    check(b"" not in pp.headers, "every connection started with a PROXY header")


def main():
    bind_dns.require_bind()
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="gh-dynup-")
    bind = bind_dns.Bind(tmp)
    a = pu.Upstream("A")
    b = pu.Upstream("B", host="127.0.0.2", port=a.port)
    srv_a, srv_b = pu.Upstream("SA"), pu.Upstream("SB")
    pp = ProxyProtocolUpstream()
    proc = None
    try:
        bind.nsupdate("\n".join([
            "update add api.example.test. 60 A 127.0.0.1",
            "update add api.example.test. 60 A 127.0.0.2",
            "update add cache.example.test. 60 A 127.0.0.2",
            "update add sa.example.test. 60 A 127.0.0.1",
            "update add sb.example.test. 60 A 127.0.0.1",
            "update add hc.example.test. 60 A 127.0.0.1",
            "update add _http._tcp.example.test. 60 SRV 20 5 %d sb.example.test." % srv_b.port,
            "update add _http._tcp.example.test. 60 SRV 10 5 %d sa.example.test." % srv_a.port,
        ]))
        proc, servers, drain = pu.start_gatehouse(binary, config(bind, a.port, a, srv_a, srv_b, pp))
        addr = pu.addr_of(servers)
        test_a(addr, bind, a.port)
        test_srv_multi(addr)
        test_placeholder(addr, a)
        test_health(addr, pp)
    finally:
        if proc is not None:
            pu.stop_gatehouse(proc, drain, FAILURES)
        for u in (a, b, srv_a, srv_b, pp):
            u.close()
        bind.stop()
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
