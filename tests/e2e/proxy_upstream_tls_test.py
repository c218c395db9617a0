#!/usr/bin/env python3
"""End-to-end: reverse_proxy's http transport beyond plain HTTP/1.1, against real upstreams.

- HTTPS upstreams (Python's ssl on a test CA from tls_pki): bodies, headers, SSE streaming
  through TLS, a 4 MiB download, trust by root_ca_pem_files / inline DER pool / ca file
  pool, SNI = tls_server_name, verification failures (wrong CA, wrong name) -> 502 with the
  reason in the error log, tls_insecure_skip_verify, client certificates (tls_client_auth),
  session resumption on new connections, keep-alive reuse of TLS connections.
- Transparent compression (Go's transport): Accept-Encoding: gzip asked for the client that
  named none, gzip answers decoded (also streamed event by event), left alone when the
  client asked itself or with `compression: false`.
- proxy_protocol v1 / v2 headers and local_address, seen by a raw upstream.
- resolvers: upstream names looked up through a real BIND (named) over UDP and TCP.
Usage: proxy_upstream_tls_test.py <path-to-gatehouse>
"""
import gzip
import hashlib
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import proxy_upstreams as pu  # noqa: E402
import tls_pki  # noqa: E402

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


def strip_prefix(target):
    """Routes put a prefix before the shared upstream paths: /dns/udp/echo -> /echo."""
    if not target.startswith(("/echo", "/sse", "/download", "/ws")) and "/echo" in target:
        return target[target.index("/echo"):]
    return target


class PlainUpstream(pu.Upstream):
    def _route(self, conn, method, target, headers, buf):
        return super()._route(conn, method, strip_prefix(target), headers, buf)


class TlsUpstream(pu.Upstream):
    """The shared test upstream behind TLS; records each handshake's SNI and resumption."""

    def __init__(self, ctx, name):
        self.ctx = ctx
        self.handshakes = []  # (sni, resumed)
        self.failed = 0
        ctx.sni_callback = self._sni
        super().__init__(name)

    @staticmethod
    def _sni(sock, name, _ctx):
        sock.sni_seen = name

    def _serve(self, conn):
        conn.settimeout(10)
        try:
            t = self.ctx.wrap_socket(conn, server_side=True)
        except (OSError, ssl.SSLError):
            self.failed += 1
            conn.close()
            return
        self.handshakes.append((getattr(t, "sni_seen", None), t.session_reused))
        super()._serve(t)

    def _route(self, conn, method, target, headers, buf):
        hd = {k.lower(): v for k, v in headers}
        if "/gz" in target:
            return self._gzip(conn, target, hd, buf)
        if not target.startswith(("/echo", "/sse", "/download", "/ws")) and target.count("/") >= 2:
            target = target[target.index("/", 1):]  # routes put a prefix before the shared paths
        return super()._route(conn, method, target, headers, buf)

    def _gzip(self, conn, target, hd, buf):
        wants = "gzip" in hd.get("accept-encoding", "")
        seen = hd.get("accept-encoding", "-").encode()
        if "/gzsse" in target:
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nX-Seen-AE: " + seen
            conn.sendall(head + (b"\r\nContent-Encoding: gzip\r\n\r\n" if wants else b"\r\n\r\n"))
            z = zlib.compressobj(wbits=31)
            for i in range(4):
                ev = b"data: tok%d\n\n" % i
                piece = z.compress(ev) + z.flush(zlib.Z_SYNC_FLUSH) if wants else ev
                self.sse_sent.append((i, time.time()))
                conn.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
                time.sleep(0.4)
            tail = z.flush() if wants else b""
            conn.sendall((b"%x\r\n" % len(tail) + tail + b"\r\n" if tail else b"") + b"0\r\n\r\n")
            return buf
        body = b"hello gzip " * 1000
        if wants:
            body = gzip.compress(body)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Seen-AE: " + seen +
                     (b"\r\nContent-Encoding: gzip" if wants else b"") +
                     b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        return buf


class RawUpstream:
    """Reads an optional PROXY header and one request head; answers with what it saw."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn, peer), daemon=True).start()

    def _serve(self, conn, peer):
        conn.settimeout(10)
        buf = b""
        try:
            while True:
                proxy_len = self._proxy_len(buf)
                if proxy_len is not None and b"\r\n\r\n" in buf[proxy_len:]:
                    break
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            body = json.dumps({"peer": peer[0], "proxy": buf[:proxy_len].hex()}).encode()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body)
        except OSError:
            pass
        finally:
            conn.close()

    @staticmethod
    def _proxy_len(buf):
        if buf.startswith(b"PROXY "):
            end = buf.find(b"\r\n")
            return None if end < 0 else end + 2
        if buf.startswith(b"\r\n\r\n\x00\r\nQUIT\n"):
            if len(buf) < 16:
                return None
            return 16 + int.from_bytes(buf[14:16], "big")
        return 0 if len(buf) >= 12 else None


def server_ctx(cert, client_ca=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert[0], cert[1])
    if client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(client_ca)
    return ctx


def proxy(dial, tls=None, **transport):
    t = {"protocol": "http"}
    if tls is not None:
        t["tls"] = tls
    t.update(transport)
    return {"handler": "reverse_proxy", "upstreams": [{"dial": dial}], "transport": t}


def get(addr, path, headers=None, method="GET", body=None):
    """One request; no Accept-Encoding unless given (http.client would add "identity")."""
    c = http.client.HTTPConnection(addr[0], addr[1], timeout=15)
    c.putrequest(method, path, skip_accept_encoding=True)
    for k, v in (headers or {}).items():
        c.putheader(k, v)
    if body is not None:
        c.putheader("Content-Length", str(len(body)))
    c.endheaders(body)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def start_named(tmp):
    """A real BIND serving upstream.test (app -> 127.0.0.1) on a free loopback port."""
    port = pu.unused_port()
    d = os.path.join(tmp, "named")
    os.makedirs(d)
    with open(os.path.join(d, "zone"), "w") as f:
        f.write("$TTL 60\n@ IN SOA ns.upstream.test. admin.upstream.test. 1 60 60 60 60\n"
                "@ IN NS ns.upstream.test.\nns IN A 127.0.0.1\napp IN A 127.0.0.1\n")
    with open(os.path.join(d, "named.conf"), "w") as f:
        f.write('options { directory "%s"; listen-on port %d { 127.0.0.1; }; listen-on-v6 { none; };\n'
                'recursion no; pid-file "%s/named.pid"; dnssec-validation no; };\n'
                'zone "upstream.test" { type primary; file "%s/zone"; };\n' % (d, port, d, d))
    argv = ["named", "-g", "-c", os.path.join(d, "named.conf")]
    if os.geteuid() == 0:
        argv += ["-u", "root"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
    except SystemExit:
        proc.kill()
        proc.wait(5)
        raise
    return port, proc


def wait_port(port, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("port %d never opened" % port)


def der_b64(pem_path):
    import base64
    with open(pem_path) as f:
        return base64.b64encode(ssl.PEM_cert_to_DER_cert(f.read())).decode()


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="gh-uptls-")
    ca = tls_pki.make_ca(tmp, "ca")
    other_ca = tls_pki.make_ca(tmp, "other")
    ip_cert = tls_pki.make_leaf(tmp, "up-ip", ["IP:127.0.0.1"], ca)
    name_cert = tls_pki.make_leaf(tmp, "up-name", ["DNS:upstream.test"], ca)
    client_cert = tls_pki.make_leaf(tmp, "client", [], ca, client=True)

    up = TlsUpstream(server_ctx(ip_cert), "tls")
    named = TlsUpstream(server_ctx(name_cert), "named")
    mtls = TlsUpstream(server_ctx(ip_cert, client_ca=ca[0]), "mtls")
    plain = PlainUpstream("plain")
    gz_plain = TlsUpstream(server_ctx(ip_cert), "gz")
    raw = RawUpstream()
    ossl_port = pu.unused_port()
    ossl = subprocess.Popen(["openssl", "s_server", "-accept", "127.0.0.1:%d" % ossl_port, "-cert", ip_cert[0],
                             "-key", ip_cert[1], "-www", "-quiet"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peers = [ossl]  # ended whatever happens below
    try:
        wait_port(ossl_port)
        dns_port, bind = start_named(tmp)
        peers.append(bind)
        trust = {"root_ca_pem_files": [ca[0]]}
        routes = [
            ("/echo", proxy(up.dial, trust)),
            ("/sse", proxy(up.dial, trust)),
            ("/download", proxy(up.dial, trust)),
            ("/ws", proxy(up.dial, trust)),
            ("/gz", proxy(gz_plain.dial, trust)),
            ("/nogz/gz", proxy(gz_plain.dial, trust, compression=False)),
            ("/inline/echo", proxy(up.dial, {"root_ca_pool": [der_b64(ca[0])]})),
            ("/pool/echo", proxy(up.dial, {"ca": {"provider": "file", "pem_files": [ca[0]]}})),
            ("/wrongca/echo", proxy(up.dial, {"root_ca_pem_files": [other_ca[0]]})),
            ("/system/echo", proxy(up.dial, {})),
            ("/insecure/echo", proxy(up.dial, {"root_ca_pem_files": [other_ca[0]], "insecure_skip_verify": True})),
            ("/sni/echo", proxy(named.dial, {"root_ca_pem_files": [ca[0]], "server_name": "upstream.test"})),
            ("/nosni/echo", proxy(named.dial, trust)),
            ("/mtls/echo", proxy(mtls.dial, {"root_ca_pem_files": [ca[0]], "client_certificate_file": client_cert[0],
                                             "client_certificate_key_file": client_cert[1]})),
            ("/nocert/echo", proxy(mtls.dial, trust)),
            ("/plain-to-tls/echo", proxy(plain.dial, trust)),
            ("/pp1", proxy("127.0.0.1:%d" % raw.port, proxy_protocol="v1")),
            ("/pp2", proxy("127.0.0.1:%d" % raw.port, proxy_protocol="v2")),
            ("/local", proxy("127.0.0.1:%d" % raw.port, local_address="127.0.0.2")),
            ("/health", {"handler": "reverse_proxy", "upstreams": [{"dial": up.dial}, {"dial": named.dial}],
                         "transport": {"protocol": "http", "tls": trust},
                         "load_balancing": {"selection_policy": {"policy": "round_robin"}},
                         "health_checks": {"active": {"uri": "/echo/health", "interval": "200ms", "timeout": "2s"}}}),
            ("/ossl", proxy("127.0.0.1:%d" % ossl_port, trust, keep_alive={"enabled": False})),
            ("/dns/udp", proxy("app.upstream.test:%d" % plain.port, resolver={"addresses": ["127.0.0.1:%d" % dns_port]})),
            ("/dns/tcp", proxy("app.upstream.test:%d" % plain.port,
                               resolver={"addresses": ["tcp/127.0.0.1:%d" % dns_port]})),
            ("/dns/missing", proxy("missing.upstream.test:%d" % plain.port,
                                   resolver={"addresses": ["127.0.0.1:%d" % dns_port]})),
        ]
        cfg = {"admin": {"disabled": True}, "apps": {"http": {"servers": {"srv0": {
            "listen": ["127.0.0.1:0"],
            "routes": [{"match": [{"path": [p + "*"]}], "handle": [h]} for p, h in routes]}}}}}
        proc, servers, drain = pu.start_gatehouse(binary, cfg)
        addr = pu.addr_of(servers)
        try:
            run(addr, up, named, mtls, gz_plain)
            for path in ("/dns/udp/echo", "/dns/tcp/echo"):
                st, h, _ = get(addr, path)
                check(st == 200 and h.get("x-upstream") == "plain", "%s through the configured resolver: %d" % (path, st))
            # Active health checks go through TLS: the upstream whose certificate does not verify
            # is marked down, the other one takes every request.
            get(addr, "/health/echo")  # the checks run from start-up; this only warms the pool
            time.sleep(1.0)
            seen = [get(addr, "/health/echo")[1].get("x-upstream") for _ in range(6)]
            check(seen == ["tls"] * 6, "health checks through TLS keep the unverifiable upstream out (%s)" % seen)
            st, _, _ = get(addr, "/dns/missing/echo")
            check(st == 502, "a name the resolver does not know: 502 (got %d)" % st)
        finally:
            pu.stop_gatehouse(proc, drain, FAILURES)
    finally:
        for p in peers:
            p.kill()
            p.wait(5)
    log = drain.text() if hasattr(drain, "text") else ""
    check("certificate verify failed" in log, "the error log names the verification failure")
    for u in (up, named, mtls, plain, gz_plain):
        u.close()
    shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        sys.exit(1)
    print("ok")


def run(addr, up, named, mtls, gz_plain):
    # Basic HTTPS upstream: status, headers, request body.
    body = os.urandom(300_000)
    st, h, data = get(addr, "/echo/x?a=1", {"X-Test": "1"}, "POST", body)
    check(st == 200, "https upstream: status %d" % st)
    if st == 200:
        e = json.loads(data)
        check(e["sha256"] == hashlib.sha256(body).hexdigest() and e["length"] == len(body),
              "https upstream: request body arrives intact")
        names = {k.lower(): v for k, v in e["headers"]}
        check(names.get("x-test") == "1" and names.get("x-forwarded-proto") == "http",
              "https upstream: request headers forwarded")
        check(h.get("x-upstream") == "tls", "https upstream: response headers come back")
    check(up.handshakes and up.handshakes[0][0] is None, "no SNI for an IP upstream (as Go)")

    # Keep-alive: more requests reuse the TLS connection.
    before = up.connections
    for _ in range(5):
        get(addr, "/echo/again", {"Accept-Encoding": "identity"})
    check(up.connections - before <= 1, "keep-alive TLS connections are reused (%d new)" % (up.connections - before))

    # A 4 MiB download through TLS, exact bytes.
    st, _, data = get(addr, "/download?n=%d&chunked=1" % (4 << 20))
    want = hashlib.sha256(b"".join(pu.pattern_bytes(4 << 20))).hexdigest()
    check(st == 200 and hashlib.sha256(data).hexdigest() == want, "4 MiB download through TLS")

    # SSE through TLS: each event reaches the client as it leaves the upstream.
    start = len(up.sse_sent)
    s = socket.create_connection(addr, timeout=10)
    s.sendall(b"GET /sse?n=4&gap=0.4 HTTP/1.1\r\nHost: x\r\n\r\n")
    reader = pu.ChunkReader(s)
    reader.head()
    arrivals = {}
    for piece, at in reader.chunks():
        if b"tok" in piece:
            arrivals.setdefault(int(piece.split(b"tok")[1].split(b'"')[0]), at)
    s.close()
    sent = dict(up.sse_sent[start:])
    lags = [round(arrivals[i] - sent[i], 3) for i in sorted(arrivals) if i in sent]
    check(len(lags) == 4 and not pu.held_events(sent, arrivals),
          "SSE events through TLS arrive each before the next is sent (lags %s)" % lags)

    # WebSocket-style tunnel over TLS.
    s = socket.create_connection(addr, timeout=10)
    s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    check(head.startswith(b"HTTP/1.1 101"), "upgrade through TLS: 101")
    payload = os.urandom(100_000)
    s.sendall(payload)
    got = head.split(b"\r\n\r\n", 1)[1]
    got += pu.read_exact(s, len(payload) - len(got))
    check(got == payload, "tunnel through TLS is byte-exact")
    s.shutdown(socket.SHUT_WR)
    rest = b""
    deadline = time.time() + 5
    while time.time() < deadline:
        d = s.recv(4096)
        if not d:
            break
        rest += d
    check(rest == b"bye", "half-close through TLS: the upstream's last bytes arrive (%r)" % rest)
    s.close()

    # Trust pools and verification.
    for path in ("/inline/echo", "/pool/echo", "/insecure/echo", "/sni/echo", "/mtls/echo"):
        st, _, _ = get(addr, path)
        check(st == 200, "%s: status %d" % (path, st))
    check(("upstream.test", False) in named.handshakes or ("upstream.test", True) in named.handshakes,
          "tls_server_name is sent as SNI (%s)" % named.handshakes)
    for path in ("/wrongca/echo", "/system/echo", "/nosni/echo", "/nocert/echo"):
        st, _, _ = get(addr, path)
        check(st == 502, "%s: 502 (got %d)" % (path, st))
    # A cleartext upstream never answers the ClientHello: dial_timeout (which covers the
    # handshake) gives 504.
    st, _, _ = get(addr, "/plain-to-tls/echo")
    check(st == 504, "/plain-to-tls/echo: 504 (got %d)" % st)

    # Session resumption (openssl s_server -www reports it): new connections resume.
    seen = []
    for _ in range(3):
        st, _, data = get(addr, "/ossl/")
        seen.append("Reused," in data.decode("latin-1") if st == 200 else None)
    check(seen == [False, True, True], "new TLS connections resume the cached session (%s)" % seen)

    # Transparent compression.
    st, h, data = get(addr, "/gz")
    check(st == 200 and data == b"hello gzip " * 1000, "gzip answer decoded for a client that asked none")
    check(h.get("x-seen-ae") == "gzip" and "content-encoding" not in h, "Accept-Encoding: gzip asked upstream (%s)" % h)
    st, h, data = get(addr, "/gz", {"Accept-Encoding": "gzip"})
    check(st == 200 and h.get("content-encoding") == "gzip" and gzip.decompress(data) == b"hello gzip " * 1000,
          "a client that asked for gzip gets it as is")
    st, h, data = get(addr, "/gz", {"Range": "bytes=0-10"})
    check(h.get("x-seen-ae") == "-", "no gzip asked for a range request (%s)" % h.get("x-seen-ae"))
    st, h, data = get(addr, "/nogz/gz")
    check(st == 200 and h.get("x-seen-ae") == "-" and data == b"hello gzip " * 1000, "compression off: nothing asked")
    start = len(gz_plain.sse_sent)
    s = socket.create_connection(addr, timeout=10)
    s.sendall(b"GET /gzsse HTTP/1.1\r\nHost: x\r\n\r\n")
    reader = pu.ChunkReader(s)
    reader.head()
    arrivals, text = {}, b""
    for piece, at in reader.chunks():
        text += piece
        for i in range(4):
            if b"tok%d" % i in piece:
                arrivals.setdefault(i, at)
    s.close()
    sent = dict(gz_plain.sse_sent[start:])
    lags = [round(arrivals[i] - sent[i], 3) for i in sorted(arrivals) if i in sent]
    check(text == b"".join(b"data: tok%d\n\n" % i for i in range(4)), "gzip SSE decoded (%r)" % text[:80])
    check(len(lags) == 4 and not pu.held_events(sent, arrivals), "gzip SSE decoded event by event (lags %s)" % lags)

    # PROXY protocol and local_address.
    st, _, data = get(addr, "/pp1")
    e = json.loads(data) if st == 200 else {}
    hdr = bytes.fromhex(e.get("proxy", ""))
    check(hdr.startswith(b"PROXY TCP4 127.0.0.1 127.0.0.1 ") and hdr.endswith(b"\r\n"), "proxy_protocol v1: %r" % hdr)
    st, _, data = get(addr, "/pp2")
    e = json.loads(data) if st == 200 else {}
    hdr = bytes.fromhex(e.get("proxy", ""))
    check(hdr[:12] == b"\r\n\r\n\x00\r\nQUIT\n" and hdr[12] == 0x21 and hdr[13] == 0x11 and len(hdr) == 28 and
          hdr[16:20] == bytes([127, 0, 0, 1]), "proxy_protocol v2: %s" % hdr.hex())
    st, _, data = get(addr, "/local")
    e = json.loads(data) if st == 200 else {}
    check(e.get("peer") == "127.0.0.2" and e.get("proxy") == "", "local_address 127.0.0.2 used (%s)" % e)


if __name__ == "__main__":
    main()
