"""reverse_proxy to real HTTP/2 upstreams: Debian's caddy serving h2c (`protocols h1 h2
h2c`) and h2 over TLS (`tls internal`), in front of the shared echo upstream
(proxy_upstreams.py), and a TLS caddy speaking HTTP/1.1 only (ALPN fall-back).

Checks: bodies both ways (sha256), the request fields as the HTTP/1.1 path forwards them
(:authority from Host, header_up, hop-by-hop removed), concurrent requests multiplexed on
one connection, a 200 MB download with the proxy's RSS bounded, SSE events passed at once,
a client that leaves cancels its stream (the upstream sees the request end) while the
connection stays, an upstream stream reset and an upstream killed mid-body both end the
client's response visibly, h2 by ALPN over TLS and the fall-back to HTTP/1.1.
"""
import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import caddy_peer  # noqa: E402
import h2_raw_upstream  # noqa: E402
import harness  # noqa: E402
import proxy_upstreams  # noqa: E402
from harness import check  # noqa: E402
from sanitized import rss_within  # noqa: E402

MB = 1 << 20


def caddy_upstreams(echo_port, h2c_port, tls_port, h1tls_port):
    return """{
	admin off
	skip_install_trust
	auto_https disable_redirects
	servers :%(h2c)d {
		protocols h1 h2 h2c
	}
	servers :%(h1tls)d {
		protocols h1
	}
}
http://127.0.0.1:%(h2c)d {
	log {
		output stderr
	}
	reverse_proxy 127.0.0.1:%(echo)d
}
https://127.0.0.1:%(tls)d {
	tls internal
	log {
		output stderr
	}
	reverse_proxy 127.0.0.1:%(echo)d
}
https://127.0.0.1:%(h1tls)d {
	tls internal
	log {
		output stderr
	}
	reverse_proxy 127.0.0.1:%(echo)d
}
""" % {"echo": echo_port, "h2c": h2c_port, "tls": tls_port, "h1tls": h1tls_port}


def gatehouse_config(ports):
    return """{
	admin off
	auto_https off
	servers {
		protocols h1 h2c
	}
}
http://127.0.0.1:%(front)d {
	reverse_proxy h2c://127.0.0.1:%(h2c)d {
		header_up X-Up yes
	}
}
http://127.0.0.1:%(front_tls)d {
	reverse_proxy https://127.0.0.1:%(tls)d {
		transport http {
			tls_insecure_skip_verify
			versions 1.1 2
		}
	}
}
http://127.0.0.1:%(front_h1tls)d {
	reverse_proxy https://127.0.0.1:%(h1tls)d {
		transport http {
			tls_insecure_skip_verify
		}
	}
}
http://127.0.0.1:%(front_refusing)d {
	reverse_proxy h2c://127.0.0.1:%(refusing)d
}
http://127.0.0.1:%(front_dying)d {
	reverse_proxy 127.0.0.1:%(dying)d {
		transport http {
			versions h2c
		}
	}
}
""" % ports


def request(port, method, target, body=None, headers=None, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, target, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, dict(r.getheaders()), data


def access_protos(peer, uri):
    """The `proto` of every request caddy logged for `uri`."""
    out = []
    for line in peer.read_log().splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("msg") == "handled request" and e["request"].get("uri") == uri:
            out.append(e["request"]["proto"])
    return out


def check_bodies(port):
    body = os.urandom(8 * MB)
    status, _, data = request(port, "POST", "/echo?up", body=body, headers={"Content-Type": "application/x-test"})
    echo = json.loads(data)
    check(status == 200 and echo["sha256"] == hashlib.sha256(body).hexdigest() and echo["length"] == len(body),
          "h2c: an 8 MiB request body reaches the upstream whole (sha256)")
    n = 20 * MB
    status, headers, data = request(port, "GET", "/download?n=%d" % n)
    want = hashlib.sha256(b"".join(proxy_upstreams.pattern_bytes(n))).hexdigest()
    check(status == 200 and hashlib.sha256(data).hexdigest() == want and headers.get("Content-Length") == str(n),
          "h2c: a 20 MiB response body arrives whole with its Content-Length (sha256)")
    # Unknown length both ways: a chunked request body and a chunked response.
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    pieces = [os.urandom(100_000) for _ in range(5)]
    c.request("PUT", "/echo", body=iter(pieces), encode_chunked=True)
    echo = json.loads(c.getresponse().read())
    c.close()
    check(echo["sha256"] == hashlib.sha256(b"".join(pieces)).hexdigest(), "h2c: a chunked request body arrives whole")
    status, _, data = request(port, "GET", "/download?n=300000&chunked=1")
    check(status == 200 and len(data) == 300000, "h2c: a chunked response arrives whole")


def check_fields(port):
    status, _, data = request(port, "GET", "/echo?fields", headers={
        "X-Custom": "kept", "Connection": "X-Hop", "X-Hop": "dropped", "Te": "gzip", "Keep-Alive": "300"})
    echo = json.loads(data)
    names = {k.lower(): v for k, v in echo["headers"]}
    front = "127.0.0.1:%d" % port
    check(status == 200 and names.get("x-custom") == "kept" and names.get("x-up") == "yes",
          "h2c: the client's fields and header_up reach the upstream")
    check("x-hop" not in names and "keep-alive" not in names and "te" not in names,
          "h2c: hop-by-hop fields (Connection-named, Keep-Alive, TE) are removed")
    check(names.get("host") == front and names.get("x-forwarded-host") == front,
          "h2c: :authority is the client's Host, as HTTP/1.1 would send it")
    check(echo["target"] == "/echo?fields", "h2c: :path carries the path and query")


def check_multiplexing(port, h2c_port):
    results = []
    seen = []

    def one():
        results.append(request(port, "GET", "/slow?delay=1")[0])

    threads = [threading.Thread(target=one) for _ in range(10)]
    begun = time.time()
    for t in threads:
        t.start()
    # sampled while they run (when each reaches the proxy is the scheduler's business)
    while any(t.is_alive() for t in threads) and time.time() - begun < 20:
        seen.append(caddy_peer.established_to(h2c_port))
        time.sleep(0.1)
    for t in threads:
        t.join(20)
    took = time.time() - begun
    check(results == [200] * 10 and took < 4, "h2c: 10 concurrent slow requests all answer together (%.1f s)" % took)
    check(max(seen or [0]) == 1, "h2c: they share one connection to the upstream (at most %s)" % max(seen or [0]))


def check_large_download(port, pid):
    n = 200 * MB
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", "/download?n=%d" % n)
    r = c.getresponse()
    got = 0
    peak = 0
    while True:
        piece = r.read(MB)
        if not piece:
            break
        got += len(piece)
        if got % (16 * MB) < MB:
            peak = max(peak, proxy_upstreams.vm_rss_kib(pid))
            time.sleep(0.05)  # a slower client: the stream's window holds the upstream back
    c.close()
    check(got == n, "h2c: a 200 MB download arrives whole (%d bytes)" % got)
    check(rss_within(peak < 48 * 1024), "h2c: the proxy's RSS stays bounded during it (peak %d KiB)" % peak)


def check_stream_limit(port, h2c_port):
    """Caddy (Go) allows 250 concurrent streams per connection: 300 requests at once need a
    second connection, and only one."""
    load = subprocess.Popen(["h2load", "-n", "300", "-c", "3", "-m", "100", "http://127.0.0.1:%d/slow?delay=2" % port],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # the most connections seen while the load runs (all 300 in flight is not at a fixed time)
    during = 0
    deadline = time.time() + 60
    while load.poll() is None and time.time() < deadline:
        during = max(during, caddy_peer.established_to(h2c_port))
        time.sleep(0.1)
    out = load.communicate(timeout=60)[0]
    check("300 succeeded" in out and during == 2,
          "h2c: past the peer's MAX_CONCURRENT_STREAMS (250) a second connection opens (%d connections)" % during)


def check_large_upload(port, pid):
    n = 200 * MB
    peak = [0]
    digest = hashlib.sha256()

    def body():
        for i, piece in enumerate(proxy_upstreams.pattern_bytes(n)):
            digest.update(piece)
            if i % 256 == 0:
                peak[0] = max(peak[0], proxy_upstreams.vm_rss_kib(pid))
            yield piece

    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request("POST", "/echo?upload", body=body(), headers={"Content-Length": str(n)})
    echo = json.loads(c.getresponse().read())
    c.close()
    check(echo["length"] == n and echo["sha256"] == digest.hexdigest(),
          "h2c: a 200 MB upload arrives whole (sha256)")
    check(rss_within(peak[0] < 48 * 1024), "h2c: the proxy's RSS stays bounded during it (peak %d KiB)" % peak[0])


def check_sse(port, echo):
    echo.sse_sent.clear()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", "/sse?n=8&gap=0.3")
    r = c.getresponse()
    arrived = []
    buf = b""
    while len(arrived) < 8:
        piece = r.read1(65536)
        if not piece:
            break
        buf += piece
        while b"\n\n" in buf:
            event, buf = buf.split(b"\n\n", 1)
            if b"[DONE]" not in event:
                arrived.append(time.time())
    c.close()
    sent = [t for _, t in echo.sse_sent[:8]]
    lags = [a - s for a, s in zip(arrived, sent)]
    held = proxy_upstreams.held_events(dict(enumerate(sent)), dict(enumerate(arrived)))
    check(len(arrived) == 8 and not held,
          "h2c: every SSE event reaches the client before the next is sent (worst lag %.1f ms, held: %s)"
          % (max(lags or [9]) * 1000, held))


def check_abort(port, echo, h2c_port):
    before = len(echo.hold_closed)
    seen = len(echo.hold_seen)
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /hold HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port)
    deadline = time.time() + 5  # the request is proxied before the client leaves
    while len(echo.hold_seen) == seen and time.time() < deadline:
        time.sleep(0.02)
    left = time.time()
    s.close()
    deadline = time.time() + 5
    while len(echo.hold_closed) == before and time.time() < deadline:
        time.sleep(0.05)
    ended = echo.hold_closed[before] - left if len(echo.hold_closed) > before else None
    check(ended is not None and ended < 3,
          "h2c: a client that leaves cancels its stream: the upstream's request ends (%s s)" % ended)
    check(caddy_peer.established_to(h2c_port) == 1, "h2c: the shared connection stays open (RST_STREAM, not a close)")


def broken_download(port, target, kill=None):
    """Reads a response until it ends; returns (declared length, bytes read, ended cleanly)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    c.request("GET", target)
    r = c.getresponse()
    declared = int(r.getheader("Content-Length") or -1)
    got = 0
    clean = True  # http.client returns short reads at EOF without raising
    try:
        got += len(r.read(MB))
        if kill:
            kill()
        while True:
            piece = r.read(MB)
            if not piece:
                break
            got += len(piece)
    except (http.client.IncompleteRead, OSError) as e:
        clean = False
        got += len(getattr(e, "partial", b""))
    c.close()
    return declared, got, clean


def check_upstream_failures(port, dying_port, dying):
    declared, got, clean = broken_download(port, "/die?n=100000")
    check(declared == 1000000 and got < declared,
          "h2c: an upstream stream reset mid-body ends the client's response visibly (%d of %d)" % (got, declared))
    declared, got, clean = broken_download(dying_port, "/download?n=%d" % (100 * MB), kill=dying.kill)
    check(declared == 100 * MB and got < declared,
          "h2c: an upstream killed mid-body ends the client's response visibly (%d of %d)" % (got, declared))
    status, _, _ = request(dying_port, "GET", "/echo")
    check(status == 502, "h2c: with the upstream gone, the next request gets 502 (%d)" % status)


def check_goaway(ports):
    """Caddy closes an idle HTTP/2 connection with GOAWAY after `timeouts idle` (1 s here):
    later requests go out on a new connection, none fails."""
    statuses = [request(ports["front_dying"], "GET", "/echo?before")[0] for _ in range(3)]
    before = caddy_peer.connections_to(ports["dying"])
    time.sleep(2)
    deadline = time.time() + 10  # the idle timeout's GOAWAY and close, however late the machine runs them
    while before and before[0] in caddy_peer.connections_to(ports["dying"]) and time.time() < deadline:
        time.sleep(0.1)
    statuses += [request(ports["front_dying"], "GET", "/echo?after")[0] for _ in range(3)]
    after = caddy_peer.connections_to(ports["dying"])
    check(statuses == [200] * 6 and len(before) == 1 and len(after) == 1 and before != after,
          "h2c: after the upstream's GOAWAY (idle timeout) requests go out on a new connection "
          "(statuses %s, connections %s then %s)" % (statuses, before, after))


def check_unprocessed_retried(port, upstream):
    """A GOAWAY that excludes the request (last stream 0) and then REFUSED_STREAM: neither was
    processed, so the request is tried again, on a new connection after the GOAWAY."""
    status, _, data = request(port, "GET", "/refused")
    check(status == 200 and data == b"ok" and upstream.connections == 2 and upstream.requests == [(1, 1), (2, 1), (2, 3)],
          "h2c: unprocessed requests (GOAWAY, REFUSED_STREAM) are retried, after GOAWAY on a new connection "
          "(%d %r, connections %d, requests %s)" % (status, data, upstream.connections, upstream.requests))


def check_tls(ports, peer):
    for i in range(3):
        status, _, data = request(ports["front_tls"], "GET", "/echo?tls-h2")
        check(status == 200 and json.loads(data)["target"] == "/echo?tls-h2", "h2 over TLS: request %d answered" % i)
    protos = access_protos(peer, "/echo?tls-h2")
    check(protos == ["HTTP/2.0"] * 3, "h2 over TLS: ALPN selected h2 (%s)" % protos)
    for i in range(3):
        status, _, data = request(ports["front_h1tls"], "GET", "/echo?tls-h1")
        check(status == 200 and json.loads(data)["target"] == "/echo?tls-h1", "ALPN fall-back: request %d answered" % i)
    protos = access_protos(peer, "/echo?tls-h1")
    check(protos == ["HTTP/1.1"] * 3, "ALPN fall-back: an upstream without h2 is spoken to in HTTP/1.1 (%s)" % protos)
    check(caddy_peer.established_to(ports["h1tls"]) == 1, "ALPN fall-back: the negotiated connection is reused")


def main():
    binary = sys.argv[1]
    echo = proxy_upstreams.Upstream()
    ports = {k: harness.free_port() for k in
             ("h2c", "tls", "h1tls", "dying", "front_refusing", "front", "front_tls", "front_h1tls", "front_dying")}
    peers = []
    refusing = h2_raw_upstream.RefusingUpstream()
    ports["refusing"] = refusing.port
    proc = drain = None
    try:
        peer = caddy_peer.CaddyPeer(caddy_upstreams(echo.port, ports["h2c"], ports["tls"], ports["h1tls"]),
                                    [ports["h2c"], ports["tls"], ports["h1tls"]])
        peers.append(peer)
        dying_cfg = ("{\n\tadmin off\n\tservers {\n\t\tprotocols h1 h2 h2c\n\t\ttimeouts {\n\t\t\tidle 1s\n"
                     "\t\t}\n\t}\n}\nhttp://127.0.0.1:%d {\n\treverse_proxy 127.0.0.1:%d\n}\n"
                     % (ports["dying"], echo.port))
        dying = caddy_peer.CaddyPeer(dying_cfg, [ports["dying"]], name="dying")
        peers.append(dying)
        with tempfile.NamedTemporaryFile("w", suffix=".Caddyfile", delete=False) as f:
            f.write(gatehouse_config(ports))
            cfg = f.name
        proc, _, drain, _ = harness.start(binary, cfg, adapter="caddyfile", workers=1)
        os.unlink(cfg)
        check_fields(ports["front"])
        check_bodies(ports["front"])
        check_multiplexing(ports["front"], ports["h2c"])
        check_sse(ports["front"], echo)
        check_abort(ports["front"], echo, ports["h2c"])
        check_large_download(ports["front"], proc.pid)
        check_large_upload(ports["front"], proc.pid)
        check_goaway(ports)
        check_unprocessed_retried(ports["front_refusing"], refusing)
        check_upstream_failures(ports["front"], ports["front_dying"], dying)
        check_tls(ports, peer)
        check(caddy_peer.established_to(ports["h2c"]) == 1, "h2c: everything above used one connection")
        check_stream_limit(ports["front"], ports["h2c"])
    finally:
        if proc is not None:
            harness.stop(proc, drain)
        for p in peers:
            p.stop()
        echo.close()
        refusing.close()
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
