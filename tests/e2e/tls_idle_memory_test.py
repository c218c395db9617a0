#!/usr/bin/env python3
"""End-to-end: what an idle TLS 1.3 keep-alive connection costs gatehouse in resident memory,
over HTTP/1.1 and over HTTP/2, and that every idled connection still serves its next request.

Why: an idle TLS connection should hold OpenSSL's per-connection state and little else. The
record buffers (about 34 KiB) go once it idles (SSL_free_buffers after 50 ms quiet),
and an HTTP/2 connection also hands back the pages of nghttp2's 16 KiB frame buffer. The
bounds are generous (measured: 15.9 KiB over HTTP/1.1, 27.7 over HTTP/2; before the frame
buffer went, 41.8 over HTTP/2; with record buffers kept, 50 and more) so that they fail on
losing either property, not on noise. RSS growth of one process over N connections is a
property, not a timing; under a sanitizer the bounds are reported only (sanitized.py).

Usage: tls_idle_memory_test.py <path-to-gatehouse>
"""
import os
import resource
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import h2_frames as hf  # noqa: E402
import handlers_support as hs  # noqa: E402
from proxy_upstreams import vm_rss_kib  # noqa: E402
from sanitized import rss_within  # noqa: E402

check = hs.check
COUNT = 1000  # connections per protocol: enough for a steady per-connection figure
H1_BOUND_KIB = 22.0
H2_BOUND_KIB = 34.0
BODY = b"idle connection answer"


def make_cert(tmp):
    crt, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True, timeout=30)
    return crt, key


def client_context(alpn):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.set_alpn_protocols([alpn])
    return ctx


def h1_request(s):
    s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    buf = b""
    deadline = time.time() + 20
    while not buf.endswith(BODY) and time.time() < deadline:
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    return buf.startswith(b"HTTP/1.1 200") and buf.endswith(BODY)


class H2:
    """One HTTP/2 connection over TLS, asking `GET /` on streams 1, 3, ..."""

    def __init__(self, s):
        self.s, self.buf, self.next_id = s, b"", 1
        s.sendall(hf.PREFACE + hf.settings())

    def get(self):
        sid, self.next_id = self.next_id, self.next_id + 2
        block = hf.hpack([(":method", "GET"), (":scheme", "https"), (":authority", "localhost"), (":path", "/")])
        self.s.sendall(hf.frame(hf.HEADERS, hf.END_STREAM | hf.END_HEADERS, sid, block))
        body, deadline = b"", time.time() + 20
        while time.time() < deadline:
            f = self.read_frame()
            if f is None:
                return False
            ftype, flags, stream, payload = f
            if ftype == hf.SETTINGS and not flags & hf.ACK:
                self.s.sendall(hf.frame(hf.SETTINGS, hf.ACK, 0))
            if stream == sid and ftype == hf.DATA:
                body += payload
            if stream == sid and ftype in (hf.HEADERS, hf.DATA) and flags & hf.END_STREAM:
                return body == BODY
        return False

    def read_frame(self):
        while True:
            if len(self.buf) >= 9:
                length = int.from_bytes(self.buf[:3], "big")
                if len(self.buf) >= 9 + length:
                    f = (self.buf[3], self.buf[4], int.from_bytes(self.buf[5:9], "big") & 0x7FFFFFFF,
                         self.buf[9:9 + length])
                    self.buf = self.buf[9 + length:]
                    return f
            chunk = self.s.recv(65536)
            if not chunk:
                return None
            self.buf += chunk


def open_idle(addr, alpn, count):
    """`count` connections that each served one request; bounded in time."""
    ctx = client_context(alpn)
    conns = []
    deadline = time.time() + 120
    while len(conns) < count and time.time() < deadline:
        s = ctx.wrap_socket(socket.create_connection(addr, timeout=20), server_hostname="localhost")
        if s.selected_alpn_protocol() != alpn:
            check(False, "ALPN %s negotiated (got %r)" % (alpn, s.selected_alpn_protocol()))
            s.close()
            break
        c = H2(s) if alpn == "h2" else s
        if not (c.get() if alpn == "h2" else h1_request(s)):
            check(False, "first %s request on connection %d answered" % (alpn, len(conns)))
            s.close()
            break
        conns.append(c)
    return conns


def measure(srv, alpn, bound):
    addr = srv.addr
    warm = open_idle(addr, alpn, 50)  # the process's first connections grow its heaps once
    for c in warm:
        (c.s if alpn == "h2" else c).close()
    time.sleep(0.3)
    before = vm_rss_kib(srv.proc.pid)
    conns = open_idle(addr, alpn, COUNT)
    check(len(conns) == COUNT, "%d idle %s connections opened (%d)" % (COUNT, alpn, len(conns)))
    time.sleep(1.0)  # every connection past its 50 ms quiet delay
    after = vm_rss_kib(srv.proc.pid)
    per = (after - before) / max(len(conns), 1)
    print("%s: RSS %d -> %d KiB over %d idle TLS connections: %.2f KiB each" % (alpn, before, after, len(conns), per),
          flush=True)
    check(rss_within(per < bound), "an idle TLS 1.3 %s connection costs under %.0f KiB of RSS (%.2f)" %
          (alpn, bound, per))
    # Every idled connection (buffers and frame-buffer pages given back) serves again.
    again = sum(1 for c in conns if (c.get() if alpn == "h2" else h1_request(c)))
    check(again == len(conns), "every idled %s connection answers its next request (%d of %d)" %
          (alpn, again, len(conns)))
    for c in conns:
        (c.s if alpn == "h2" else c).close()


def main():
    binary = sys.argv[1]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = COUNT + 500
    if hard != resource.RLIM_INFINITY and hard < want:
        print("SKIP: needs %d descriptors, the hard limit is %d" % (want, hard))
        return 77
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))  # inherited by the server too
    with tempfile.TemporaryDirectory(prefix="gh-tls-idle-") as tmp:
        crt, key = make_cert(tmp)
        cfg = hs.adapt(binary, """{
	auto_https disable_redirects
}
https://localhost {
	tls %s %s
	respond "%s"
}
""" % (crt, key, BODY.decode()), tmp)
        # One fresh process per protocol: memory the first one's connections freed would
        # otherwise be reused by the second's without growing RSS.
        for alpn, bound in (("http/1.1", H1_BOUND_KIB), ("h2", H2_BOUND_KIB)):
            srv = hs.Server(binary, cfg, workers=1)
            try:
                measure(srv, alpn, bound)
            finally:
                srv.stop()
    return hs.finish()


if __name__ == "__main__":
    sys.exit(main())
