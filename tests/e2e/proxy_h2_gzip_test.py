#!/usr/bin/env python3
"""End-to-end: Go's transparent compression on HTTP/2 upstreams (h2c and h2 over TLS), as
Caddy 2.6.2 does it: a request without Accept-Encoding goes up with `accept-encoding: gzip`
and the gzip answer comes back decoded (no Content-Encoding); a client's own
Accept-Encoding, HEAD, Range and `compression off` leave it alone. The upstream is Debian's
caddy with `encode gzip` (a real HTTP/2 server that compresses only when asked) answering
with the Accept-Encoding it saw; the same front Caddyfile runs on gatehouse and on caddy
and the answers are compared. Then 64 MiB of zeros (about 64 KiB compressed) stream through
gatehouse decoded, with its RSS growing by far less than the body (decoding follows the
client and the stream's window reopens only by the bytes decoded). A truncated gzip answer
(a raw-frame h2c upstream) ends the client's response broken, never as a clean end, as
issue 4 asks of an upstream failing mid-body; caddy 2.6.2 differs on purpose here: it logs
"aborting with incomplete response" and still ends the chunked body cleanly.
Exits 77 when caddy is not installed.
Usage: proxy_h2_gzip_test.py <gatehouse>
"""
import gzip
import hashlib
import http.client
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
import proxy_upstreams as pu  # noqa: E402
from h2_script_upstream import ScriptedH2Upstream  # noqa: E402
from sanitized import rss_within  # noqa: E402

ZEROS = 64 * 1024 * 1024
PAD = "p" * 600  # past encode's minimum_length (512)


def upstream_caddyfile(ports, root):
    return """{
	admin off
	skip_install_trust
	auto_https disable_redirects
	servers :%(h2c)d {
		protocols h1 h2 h2c
	}
}
(answer) {
	encode gzip
	handle /zeros.txt {
		root * %(root)s
		file_server
	}
	respond "ae=[{http.request.header.Accept-Encoding}] proto={http.request.proto} %(pad)s"
}
http://127.0.0.1:%(h2c)d {
	import answer
}
https://127.0.0.1:%(tls)d {
	tls internal
	import answer
}
""" % dict(ports, root=root, pad=PAD)


def front_caddyfile(ports):
    return """{
	admin off
	auto_https off
}
http://127.0.0.1:%(front_h2c)d {
	reverse_proxy h2c://127.0.0.1:%(h2c)d
}
http://127.0.0.1:%(front_tls)d {
	reverse_proxy https://127.0.0.1:%(tls)d {
		transport http {
			tls_insecure_skip_verify
			versions 1.1 2
		}
	}
}
http://127.0.0.1:%(front_off)d {
	reverse_proxy 127.0.0.1:%(h2c)d {
		transport http {
			versions h2c
			compression off
		}
	}
}
""" % ports


REQUESTS = [
    ("GET", "/plain", {}),
    ("GET", "/asked", {"Accept-Encoding": "gzip"}),
    ("GET", "/br", {"Accept-Encoding": "br"}),
    ("HEAD", "/head", {}),
    ("GET", "/range", {"Range": "bytes=0-3"}),
]


def ask(port, method, path, headers):
    """(status, Content-Encoding, body decoded by us if gzip, upstream's proto line)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.putrequest(method, path, skip_accept_encoding=True)  # http.client says identity by itself
    for k, v in headers.items():
        conn.putheader(k, v)
    conn.endheaders()
    res = conn.getresponse()
    body = res.read()
    conn.close()
    coding = res.getheader("Content-Encoding") or ""
    if coding == "gzip":
        body = gzip.decompress(body)
    return res.status, coding, body.decode("latin-1").replace(PAD, "PAD")


def answers(ports):
    out = []
    for front in ("front_h2c", "front_tls", "front_off"):
        for method, path, headers in REQUESTS:
            out.append((front, method, path, ask(ports[front], method, path, headers)))
    return out


def zeros_through(port, pid):
    """(bytes, sha256 ok, peak RSS growth KiB) of /zeros.txt read as fast as possible."""
    base = pu.vm_rss_kib(pid)
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], pu.vm_rss_kib(pid))
            time.sleep(0.02)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.putrequest("GET", "/zeros.txt", skip_accept_encoding=True)
    conn.endheaders()
    res = conn.getresponse()
    digest, n = hashlib.sha256(), 0
    for _ in range(100000):  # bounded
        piece = res.read(1 << 20)
        if not piece:
            break
        digest.update(piece)
        n += len(piece)
    conn.close()
    done.set()
    t.join(5)
    ok = digest.hexdigest() == hashlib.sha256(b"\0" * ZEROS).hexdigest()
    return n, ok, res.getheader("Content-Encoding") or "", peak[0] - base


def truncated_ends_cleanly(port):
    """Whether a chunked answer to GET /cut ended with its last chunk (a clean end)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /cut HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    data = b""
    try:
        for _ in range(1000):  # bounded: until the proxy closes (or the timeout)
            piece = s.recv(65536)
            if not piece:
                break
            data += piece
            if data.endswith(b"\r\n0\r\n\r\n"):
                break
    except socket.timeout:
        pass
    s.close()
    return data.startswith(b"HTTP/1.1 200") and data.endswith(b"\r\n0\r\n\r\n")


def check_truncated(binary):
    """A gzip answer cut short: gatehouse breaks the client's response (caddy ends it cleanly)."""
    cut = gzip.compress(b"z" * 100000)[:-12]
    up = ScriptedH2Upstream(body=cut, length=False, fields=[("content-encoding", "gzip")])
    port = harness.free_port()
    text = "{\n\tadmin off\n\tauto_https off\n}\nhttp://127.0.0.1:%d {\n\treverse_proxy h2c://127.0.0.1:%d\n}\n" % (
        port, up.port)
    try:
        fd, path = tempfile.mkstemp(suffix=".Caddyfile")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        proc, _, drain, _ = harness.start(binary, path, adapter="caddyfile", workers=1)
        os.unlink(path)
        try:
            ours = truncated_ends_cleanly(port)
        finally:
            harness.stop(proc, drain)
        peer = CaddyPeer(text, [port], name="h2gzip-cut")
        try:
            theirs = truncated_ends_cleanly(port)
        finally:
            peer.stop()
    finally:
        up.close()
    print("truncated gzip answer ends cleanly: gatehouse %s, caddy %s (a silent truncation)" % (ours, theirs))
    check(not ours, "truncated gzip: the client's response is broken, not a clean end")


def main():
    binary = sys.argv[1]
    if shutil.which("caddy") is None:
        print("caddy not installed")
        return 77
    root = tempfile.mkdtemp(prefix="gh-h2gzip-")
    with open(os.path.join(root, "zeros.txt"), "wb") as f:
        for _ in range(ZEROS // (1 << 20)):
            f.write(b"\0" * (1 << 20))
    ports = {k: harness.free_port() for k in ("h2c", "tls", "front_h2c", "front_tls", "front_off")}
    upstream = CaddyPeer(upstream_caddyfile(ports, root), [ports["h2c"], ports["tls"]], name="h2gzip-up")
    results = {}
    try:
        fd, path = tempfile.mkstemp(suffix=".Caddyfile")
        with os.fdopen(fd, "w") as f:
            f.write(front_caddyfile(ports))
        proc, _, drain, _ = harness.start(binary, path, adapter="caddyfile", workers=1)
        os.unlink(path)
        try:
            results["gatehouse"] = answers(ports)
            for front in ("front_h2c", "front_tls"):
                n, ok, coding, growth = zeros_through(ports[front], proc.pid)
                print("%s: 64 MiB of zeros decoded, RSS +%d KiB" % (front, growth))
                check(n == ZEROS and ok and coding == "", "%s: the whole body, decoded (%d bytes)" % (front, n))
                check(rss_within(growth < 24 * 1024),
                      "%s: RSS grew by %d KiB (< 24 MiB) for 64 MiB decoded" % (front, growth))
        finally:
            harness.stop(proc, drain)
        peer = CaddyPeer(front_caddyfile(ports), [ports["front_h2c"], ports["front_tls"], ports["front_off"]],
                         name="h2gzip-front")
        try:
            results["caddy"] = answers(ports)
        finally:
            peer.stop()
    finally:
        upstream.stop()
        shutil.rmtree(root, ignore_errors=True)
    for ours, theirs in zip(results["gatehouse"], results["caddy"]):
        print("gatehouse", ours)
        check(ours == theirs, "%s %s %s as caddy's\n  gatehouse %s\n  caddy     %s" % (ours[0], ours[1], ours[2],
                                                                                  ours[3], theirs[3]))
    got = dict(((f, p), r) for f, _, p, r in results["gatehouse"])
    for front in ("front_h2c", "front_tls"):
        check(got[(front, "/plain")][1] == "" and got[(front, "/plain")][2].startswith("ae=[gzip] proto=HTTP/2.0"),
              "%s: gzip asked over HTTP/2 and decoded: %s" % (front, got[(front, "/plain")]))
        check(got[(front, "/asked")][1] == "gzip", "%s: the client's own gzip passes encoded" % front)
        check(got[(front, "/range")][2].startswith("ae=[] "), "%s: no gzip asked for a Range request" % front)
    check(got[("front_off", "/plain")][2].startswith("ae=[] proto=HTTP/2.0"), "compression off: nothing asked")
    check_truncated(binary)
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
