#!/usr/bin/env python3
"""Streaming benchmarks for reverse proxies (a script, not a test): Gatehouse beside nginx,
HAProxy, h2o and Caddy, each as one process with one worker pinned to core 0 with the
upstream; the client runs on core 1.

sse   SSE token latency: the upstream (started here) sends `--events` OpenAI-style events,
      `--gap` ms apart, each carrying its send time (time.time_ns()); the client reads them
      through the proxy and records arrival minus send time. Printed: p50, p99 and max in ms
      and a histogram, per variant (`--variants`): plain and gzip over HTTP/1.1 (Gatehouse/
      Caddy `encode gzip`, nginx `gzip on`, HAProxy `compression`, h2o `compress`), zstd
      (`encode zstd`), and h2 / h2_gzip (HTTP/2 over TLS to the client, self-signed cert).
      zstd and h2 are read through `curl -N` (Python has neither codec); their `direct` row
      is curl too, so it shows curl's own share. A `direct` row (no proxy) shows the floor of
      the measurement itself. `--rounds` runs the servers in turn that many times and pools
      the events, so machine noise (other jobs on the cores) falls on all of them alike;
      `--rt` runs proxy, upstream and client as SCHED_FIFO (root), which takes that noise out
      and leaves the proxies' own latency.
ws    Idle proxied WebSocket memory: `--ws` WebSockets opened through the proxy to an
      upstream that answers the handshake and then waits; the proxy's RSS growth / count,
      after a check that the last few still echo. `--ws-variants` (Gatehouse and Caddy;
      `plain` for every server): plain, log (an access log to a file), metrics (`servers
      { metrics }`), tls_client (HTTP/1.1 over TLS to the proxy), tls_upstream (the upstream
      behind TLS, `https://`), h2c (RFC 8441 extended CONNECT streams, 100 per h2c
      connection, as a browser multiplexes them; Gatehouse only).

usage: bench/proxy_stream_bench.py [--gatehouse build/gatehouse] [--scenarios sse,ws]
                                   [--servers gatehouse,nginx,haproxy,h2o,caddy]
                                   [--variants plain,gzip,zstd,h2,h2_gzip] [--rounds 2] [--rt]
                                   [--events 400] [--gap 5] [--ws 2000]
                                   [--ws-variants plain,log,metrics,tls_client,tls_upstream,h2c]
"""
import argparse
import os
import re
import resource
import selectors
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import http_bench  # noqa: E402
import servers  # noqa: E402

UPSTREAM_CODE = r'''
import hashlib, base64, selectors, socket, sys, threading, time
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 0))
sock.listen(4096)
print(sock.getsockname()[1], flush=True)
mode = sys.argv[1]

def sse(conn, q):
    n = int(q.get("n", "100")); gap = float(q.get("gap", "5")) / 1000.0
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n")
    for i in range(n):
        time.sleep(gap)
        ev = ('data: {"choices":[{"delta":{"content":"tok%d"}}],"t":%d}\n\n' % (i, time.time_ns())).encode()
        conn.sendall(b"%x\r\n" % len(ev) + ev + b"\r\n")
    conn.sendall(b"0\r\n\r\n")

def serve_sse(conn):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                d = conn.recv(65536)
                if not d:
                    return
                buf += d
            head, buf = buf.split(b"\r\n\r\n", 1)
            target = head.split(b" ")[1].decode()
            q = dict(kv.split("=") for kv in target.partition("?")[2].split("&") if "=" in kv)
            if target.startswith("/sse"):
                sse(conn, q)
            else:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    except OSError:
        pass
    finally:
        conn.close()

def ws_loop(tls):
    import ssl
    ctx = None
    if tls:  # ws_tls: the same upstream behind TLS (argv: cert, key)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ)
    bufs = {}
    shaking = set()
    while True:
        for key, _ in sel.select():
            if key.fileobj is sock:
                c, _ = sock.accept()
                c.setblocking(False)
                if ctx is not None:
                    c = ctx.wrap_socket(c, server_side=True, do_handshake_on_connect=False)
                    shaking.add(c)
                bufs[c] = b""
                sel.register(c, selectors.EVENT_READ)
                continue
            c = key.fileobj
            try:
                if c in shaking:
                    c.do_handshake()
                    shaking.discard(c)
                    continue
                d = c.recv(65536)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                continue
            except OSError:
                d = b""
            if not d:
                sel.unregister(c); bufs.pop(c, None); c.close()
                continue
            if bufs.get(c) is None:
                c.send(d)  # tunnel: echo
                continue
            bufs[c] += d
            if b"\r\n\r\n" in bufs[c]:
                head = bufs[c].split(b"\r\n\r\n")[0].decode("latin-1")
                hd = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in head.split("\r\n")[1:] if ":" in l}
                if hd.get("upgrade", "").lower() != "websocket":
                    c.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                    bufs[c] = b""
                    continue
                acc = base64.b64encode(hashlib.sha1((hd.get("sec-websocket-key", "") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
                c.send(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       b"Sec-WebSocket-Accept: " + acc + b"\r\n\r\n")
                bufs[c] = None

if mode in ("ws", "ws_tls"):
    ws_loop(mode == "ws_tls")
else:
    while True:
        c, _ = sock.accept()
        threading.Thread(target=serve_sse, args=(c,), daemon=True).start()
'''


def raise_nofile():
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    want = 70000 if hard == resource.RLIM_INFINITY else min(70000, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))


def start_upstream(mode, wd, extra=()):
    path = os.path.join(wd, "upstream.py")
    with open(path, "w") as f:
        f.write(UPSTREAM_CODE)
    proc = subprocess.Popen(["taskset", "-c", "0", sys.executable, path, mode] + list(extra), stdout=subprocess.PIPE,
                            text=True, preexec_fn=raise_nofile)
    return proc, int(proc.stdout.readline())


class ChunkedGzipReader:
    """Reads a chunked (optionally gzip-encoded) response body from a socket, yielding
    (decoded bytes, arrival time in ns) as pieces arrive."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _more(self):
        d = self.sock.recv(65536)
        if not d:
            raise EOFError
        self.buf += d
        return time.time_ns()

    def read(self):
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        head = head.decode("latin-1").lower()
        if not head.startswith("http/1.1 200"):
            raise OSError("bad response: " + head[:80])
        dec = zlib.decompressobj(16 + zlib.MAX_WBITS) if "content-encoding: gzip" in head else None
        chunked = "transfer-encoding: chunked" in head
        now = time.time_ns()
        while True:
            if chunked:
                while b"\r\n" not in self.buf:
                    now = self._more()
                line, rest = self.buf.split(b"\r\n", 1)
                size = int(line.split(b";")[0], 16)
                while len(rest) < size + 2:
                    now = self._more()
                    rest = self.buf.split(b"\r\n", 1)[1]
                piece, self.buf = rest[:size], rest[size + 2:]
                if size == 0:
                    return
            else:
                if not self.buf:
                    try:
                        now = self._more()
                    except EOFError:
                        return
                piece, self.buf = self.buf, b""
            yield (dec.decompress(piece) if dec else piece), now


def lags_of(text, now, lags):
    """Appends arrival minus send time (ms) of each complete event in `text`; returns the rest."""
    while b"\n\n" in text:
        ev, text = text.split(b"\n\n", 1)
        m = re.search(rb'"t":(\d+)', ev)
        if m:
            lags.append((now - int(m.group(1))) / 1e6)
    return text


def sse_latency(port, events, gap):
    """Per-event lags (ms) of one SSE stream read over cleartext HTTP/1.1 (gzip accepted)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(b"GET /sse?n=%d&gap=%d HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n"
              b"Accept-Encoding: gzip\r\n\r\n" % (events, gap))
    lags = []
    text = b""
    for data, now in ChunkedGzipReader(s).read():
        text = lags_of(text + data, now, lags)
        if len(lags) >= events:
            break
    s.close()
    if len(lags) < events:
        raise OSError("only %d of %d events arrived" % (len(lags), events))
    return lags


def curl_latency(url, events, gap, h2, encoding):
    """Per-event lags (ms) read through `curl -N` (HTTP/2 over TLS, zstd): each read of its
    output is stamped as it arrives."""
    argv = ["curl", "-sSN", "-k", "--http2" if h2 else "--http1.1", "-H", "Accept: text/event-stream"]
    if encoding:
        argv += ["--compressed", "-H", "Accept-Encoding: " + encoding]
    argv.append("%s/sse?n=%d&gap=%d" % (url, events, gap))
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lags = []
    text = b""
    deadline = time.time() + 30 + events * gap / 1000.0
    try:
        while len(lags) < events and time.time() < deadline:
            d = os.read(proc.stdout.fileno(), 65536)
            if not d:
                break
            text = lags_of(text + d, time.time_ns(), lags)
    finally:
        proc.kill()
        err = proc.communicate()[1]
    if len(lags) < events:
        raise OSError("only %d of %d events arrived %s" % (len(lags), events, err.decode()[-200:]))
    return lags


BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0)


def summary(lags):
    lags = sorted(lags)
    hist = [sum(1 for x in lags if (i == 0 or x > BUCKETS[i - 1]) and x <= b) for i, b in enumerate(BUCKETS)]
    hist.append(sum(1 for x in lags if x > BUCKETS[-1]))
    return "p50 %6.3f  p99 %6.3f  max %7.3f  n %4d  | %s" % (
        lags[len(lags) // 2], lags[max(0, int(len(lags) * 0.99) - 1)], lags[-1], len(lags),
        " ".join("%4d" % h for h in hist))


HIST_HEAD = "histogram (ms): <=" + " <=".join("%g" % b for b in BUCKETS) + " >%g" % BUCKETS[-1]


def rss_kib(pid):
    return http_bench.rss_kib(pid)


WS_REQ = (b"GET /chat HTTP/1.1\r\nHost: bench\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
          b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
WS_PING = b"\x82\x84abcd" + bytes(x ^ y for x, y in zip(b"ping", b"abcd"))


class Ws1:
    """A WebSocket over HTTP/1.1, on TCP or (tls) TLS."""

    def __init__(self, port, tls):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        if tls:
            import ssl
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["http/1.1"])
            s = ctx.wrap_socket(s, server_hostname="127.0.0.1")
        self.s = s
        s.sendall(WS_REQ)
        buf = b""
        while b"\r\n\r\n" not in buf:
            d = s.recv(4096)
            if not d:
                raise OSError("closed before the 101")
            buf += d
        if not buf.startswith(b"HTTP/1.1 101"):
            raise OSError("no 101: %r" % buf[:60])

    def echoes(self):
        self.s.sendall(WS_PING)
        got = b""
        while len(got) < len(WS_PING):
            d = self.s.recv(64)
            if not d:
                break
            got += d
        return got == WS_PING

    def close(self):
        self.s.close()


class H2c:
    """An h2c (prior knowledge) connection carrying WebSockets as RFC 8441 extended CONNECT
    streams: a few dozen lines of framing (HPACK literals without indexing or Huffman)."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + self.frame(4, 0, 0, b""))
        self.next_id = 1
        self.pending = {}  # stream id -> DATA payloads read while waiting for another stream
        while True:  # the server's SETTINGS (extended CONNECT must be enabled there)
            t, f, sid, payload = self.read_frame()
            if t == 4 and not f & 1:
                if b"\x00\x08\x00\x00\x00\x01" not in [payload[i:i + 6] for i in range(0, len(payload), 6)]:
                    raise OSError("no SETTINGS_ENABLE_CONNECT_PROTOCOL")
                break

    @staticmethod
    def frame(t, flags, sid, payload):
        return len(payload).to_bytes(3, "big") + bytes([t, flags]) + sid.to_bytes(4, "big") + payload

    def read_exact(self, n):
        out = b""
        while len(out) < n:
            d = self.s.recv(n - len(out))
            if not d:
                raise OSError("h2 connection closed")
            out += d
        return out

    def read_frame(self):
        h = self.read_exact(9)
        n = int.from_bytes(h[:3], "big")
        payload = self.read_exact(n) if n else b""
        t, flags, sid = h[3], h[4], int.from_bytes(h[5:9], "big") & 0x7FFFFFFF
        if t == 4 and not flags & 1:
            self.s.sendall(self.frame(4, 1, 0, b""))  # SETTINGS ack
        if t == 6 and not flags & 1:
            self.s.sendall(self.frame(6, 1, 0, payload))  # PING ack
        if t == 3:
            raise OSError("stream %d reset (error %d)" % (sid, int.from_bytes(payload[:4], "big")))
        return t, flags, sid, payload

    def open_stream(self):
        sid = self.next_id
        self.next_id += 2
        block = b""
        for name, value in ((b":method", b"CONNECT"), (b":protocol", b"websocket"), (b":scheme", b"http"),
                            (b":path", b"/chat"), (b":authority", b"bench"), (b"sec-websocket-version", b"13")):
            block += b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value
        self.s.sendall(self.frame(1, 4, sid, block))
        while True:
            t, _, got, payload = self.read_frame()
            if t == 1 and got == sid:
                if payload[:1] != b"\x88":  # :status 200, static table index 8
                    raise OSError("extended CONNECT refused: %r" % payload[:20])
                return H2Stream(self, sid)

    def close(self):
        self.s.close()


class H2Stream:
    def __init__(self, conn, sid):
        self.conn, self.sid = conn, sid

    def echoes(self):
        c = self.conn
        c.s.sendall(c.frame(0, 0, self.sid, WS_PING))
        got = c.pending.pop(self.sid, b"")
        while len(got) < len(WS_PING):
            t, _, sid, payload = c.read_frame()
            if t == 0 and sid == self.sid:
                got += payload
            elif t == 0:
                c.pending[sid] = c.pending.get(sid, b"") + payload
        return got == WS_PING

    def close(self):
        pass  # the connection's close ends every stream


WS_STREAMS_PER_H2 = 100


def ws_memory(port, pid, count, variant):
    """RSS growth per idle WebSocket of `variant` (WS_VARIANTS)."""
    conns = []

    def open_ws():
        if variant == "h2c":
            if not conns or (conns[-1].next_id // 2) >= WS_STREAMS_PER_H2:
                conns.append(H2c(port))
            return conns[-1].open_stream()
        return Ws1(port, variant == "tls_client")

    for _ in range(20):  # warm-up: pools, buffers, allocator arenas
        open_ws().close()
    for c in conns:
        c.close()
    conns.clear()
    time.sleep(0.5)
    before = rss_kib(pid)
    socks = []
    try:
        for _ in range(count):
            socks.append(open_ws())
        time.sleep(2.0)  # idle: a quiet TLS tunnel drops its buffers after 1 s
        after = rss_kib(pid)
        for s in socks[-5:]:
            if not s.echoes():
                return {"error": "an idle WebSocket no longer echoes"}
    finally:
        for s in socks + conns:
            s.close()
    return {"kib": (after - before) / count, "before": before, "after": after}


# WebSocket variants (Gatehouse and Caddy; `plain` for every server): name -> (Caddyfile
# global options, site lines, client TLS, upstream TLS)
WS_VARIANTS = {
    "plain": ("", [], False, False),
    "log": ("", ["log {\n\t\toutput file {wd}/access.log\n\t}"], False, False),
    "metrics": ("servers {\n\t\tmetrics\n\t}", [], False, False),
    "tls_client": ("", ["tls {cert} {key}"], True, False),
    "tls_upstream": ("", [], False, True),
    "h2c": ("servers {\n\t\tprotocols h1 h2 h2c\n\t}", [], False, False),
}


def ws_config(srv, variant, port, wd, upstream_port, certdir):
    """argv for `srv` proxying WebSockets as `variant` asks, or None when it cannot."""
    if variant == "plain":
        return srv.config("proxy_ws", port, wd, wd, upstream_port)
    if srv.name not in ("gatehouse", "caddy") or (variant == "h2c" and srv.name == "caddy"):
        return None  # caddy 2.6.2 has no extended CONNECT
    global_opts, lines, client_tls, upstream_tls = WS_VARIANTS[variant]
    cert, key = make_cert(certdir)
    lines = [l.replace("{wd}", wd).replace("{cert}", cert).replace("{key}", key) for l in lines]
    if upstream_tls:
        lines.append("reverse_proxy https://127.0.0.1:%d {\n\t\ttransport http {\n\t\t\ttls_insecure_skip_verify\n"
                     "\t\t}\n\t}" % upstream_port)
    else:
        lines.append("reverse_proxy 127.0.0.1:%d" % upstream_port)
    path = os.path.join(wd, "Caddyfile")
    with open(path, "w") as f:
        f.write("{\n\tadmin off\n\tauto_https off\n\t%s\n}\n%s:%d {\n\t%s\n}\n" %
                (global_opts, "https://" if client_tls else "http://", port, "\n\t".join(lines)))
    if srv.name == "caddy":
        return ["caddy", "run", "--config", path, "--adapter", "caddyfile"]
    return [srv.binary, "run", "--config", path, "--workers", "1"]


VARIANTS = {  # name: (servers.py scenario, client encoding, HTTP/2 over TLS)
    "plain": ("proxy", None, False),
    "gzip": ("proxy_gzip", "gzip", False),
    "zstd": ("proxy_zstd", "zstd", False),
    "h2": ("proxy", None, True),
    "h2_gzip": ("proxy_gzip", "gzip", True),
}


def make_cert(wd):
    cert, key = os.path.join(wd, "cert.pem"), os.path.join(wd, "key.pem")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "2",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def stream_config(srv, variant, port, wd, upstream_port, certdir):
    """argv for `srv` serving SSE variant `variant`, or None when it cannot (or is not set
    up here to): zstd and TLS configs are written here for Gatehouse, Caddy and nginx."""
    scenario, encoding, tls = VARIANTS[variant]
    if not tls and encoding != "zstd":
        return srv.config(scenario, port, wd, wd, upstream_port)
    cert, key = make_cert(certdir)
    if srv.name in ("gatehouse", "caddy"):
        lines = []
        if tls:
            lines.append("tls %s %s" % (cert, key))
        if encoding:
            lines.append("encode " + encoding)
        lines.append("reverse_proxy 127.0.0.1:%d" % upstream_port)
        path = os.path.join(wd, "Caddyfile")
        with open(path, "w") as f:
            f.write("{\n\tadmin off\n\tauto_https off\n}\n%s127.0.0.1:%d {\n\t%s\n}\n" %
                    ("https://" if tls else "http://", port, "\n\t".join(lines)))
        if srv.name == "caddy":
            return ["caddy", "run", "--config", path, "--adapter", "caddyfile"]
        return [srv.binary, "run", "--config", path, "--workers", "1"]
    if srv.name == "nginx" and tls:
        argv = srv.config(scenario, port, wd, wd, upstream_port)
        conf = open(argv[2]).read().replace(
            "listen 127.0.0.1:%d;" % port,
            "listen 127.0.0.1:%d ssl http2; ssl_certificate %s; ssl_certificate_key %s;" % (port, cert, key))
        with open(argv[2], "w") as f:
            f.write(conf)
        return argv
    return None


def realtime(pid):
    """SCHED_FIFO for every thread of `pid` (the --rt option)."""
    subprocess.run(["chrt", "-a", "-f", "-p", "50", str(pid)], check=True, capture_output=True)


def measure_sse(variant, port, args):
    _, encoding, tls = VARIANTS[variant]
    if not tls and encoding != "zstd":
        sse_latency(port, 20, 2)  # warm-up
        return sse_latency(port, args.events, args.gap)
    url = "%s://127.0.0.1:%d" % ("https" if tls else "http", port)
    curl_latency(url, 20, 2, tls, encoding)
    return curl_latency(url, args.events, args.gap, tls, encoding)


def bench(srv, scenario, args, upstream_port, certdir=None):
    """ws: a dict (kib, before, after) or {"error"}; an SSE variant: the list of lags, or
    {"error"}; None when `srv` cannot serve it."""
    with tempfile.TemporaryDirectory(prefix="pbench-%s-" % srv.name) as wd:
        port = http_bench.free_port()
        if scenario.startswith("ws:"):
            argv = ws_config(srv, scenario[3:], port, wd, upstream_port, certdir)
        else:
            argv = stream_config(srv, scenario, port, wd, upstream_port, certdir)
        if argv is None:
            return None
        proc = servers.start(srv, argv, 0, wd)
        try:
            if not http_bench.wait_port(port, proc):
                return {"error": "did not start: " + open(os.path.join(wd, srv.name + ".log")).read()[-300:]}
            if args.rt:
                realtime(proc.pid)
            if scenario.startswith("ws:"):
                return ws_memory(port, proc.pid, args.ws, scenario[3:])
            return measure_sse(scenario, port, args)
        except (OSError, EOFError) as e:
            return {"error": str(e)}
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def direct_sse(variant, port, args):
    """The floor: the same client straight to the upstream (curl for zstd and h2; the
    upstream itself neither compresses nor speaks TLS)."""
    _, encoding, tls = VARIANTS[variant]
    if not tls and encoding != "zstd":
        return sse_latency(port, args.events, args.gap)
    return curl_latency("http://127.0.0.1:%d" % port, args.events, args.gap, False, None)


def run_sse(chosen, args, up_port, wd):
    for variant in args.variants.split(","):
        print("\n## SSE token latency, %s (%d events %d ms apart, %d round(s); ms; %s)" %
              (variant, args.events, args.gap, args.rounds, HIST_HEAD))
        pooled = {}
        errors = {}
        for _ in range(args.rounds):
            for name, run in [("direct", lambda: direct_sse(variant, up_port, args))] + [
                    (srv.name, lambda srv=srv: bench(srv, variant, args, up_port, wd)) for srv in chosen]:
                try:
                    r = run()
                except (OSError, EOFError) as e:
                    r = {"error": str(e)}
                if r is None:
                    continue
                if isinstance(r, dict):
                    errors[name] = r["error"]
                else:
                    pooled.setdefault(name, []).extend(r)
        for name in ["direct"] + [srv.name for srv in chosen]:
            if name in errors:
                print("  %-10s ERROR %s" % (name, errors[name]))
            elif name in pooled:
                print("  %-10s %s" % (name, summary(pooled[name])))
        sys.stdout.flush()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--gatehouse", default=os.path.join(here, "..", "build", "gatehouse"))
    ap.add_argument("--scenarios", default="sse,ws")
    ap.add_argument("--servers", default="gatehouse,nginx,haproxy,h2o,caddy")
    ap.add_argument("--variants", default="plain,gzip,zstd,h2,h2_gzip", help="SSE variants: " + ",".join(VARIANTS))
    ap.add_argument("--rounds", type=int, default=2, help="SSE: servers run in turn this many times")
    ap.add_argument("--rt", action="store_true", help="SCHED_FIFO for proxy, upstream and client")
    ap.add_argument("--events", type=int, default=400)
    ap.add_argument("--gap", type=int, default=5, help="ms between events")
    ap.add_argument("--ws", type=int, default=2000)
    ap.add_argument("--ws-variants", default="plain", help="ws variants: " + ",".join(WS_VARIANTS))
    args = ap.parse_args()
    raise_nofile()
    os.sched_setaffinity(0, {1})  # the client; proxies and upstream are on core 0
    if args.rt:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
    # The anchors forward X-Forwarded-For/-Proto/-Host as gatehouse does; NAME_bare do not.
    chosen = [servers.anchor(n, os.path.abspath(args.gatehouse)) for n in args.servers.split(",")]
    chosen = [s for s in chosen if s.available()]
    print("load average at start: %s%s" % (open("/proc/loadavg").read().strip(), " (SCHED_FIFO)" if args.rt else ""))
    with tempfile.TemporaryDirectory(prefix="pbench-") as wd:
        for scenario in args.scenarios.split(","):
            if scenario == "sse":
                up, up_port = start_upstream("sse", wd)
                if args.rt:
                    realtime(up.pid)
                try:
                    run_sse(chosen, args, up_port, wd)
                finally:
                    up.terminate()
                    up.wait(10)
                continue
            for variant in args.ws_variants.split(","):
                upstream_tls = WS_VARIANTS[variant][3]
                up, up_port = start_upstream("ws_tls" if upstream_tls else "ws", wd,
                                             make_cert(wd) if upstream_tls else ())
                try:
                    print("\n## idle proxied WebSocket memory, %s (%d WebSockets)" % (variant, args.ws))
                    for srv in chosen:
                        r = bench(srv, "ws:" + variant, args, up_port, wd)
                        if r is None:
                            continue
                        if "error" in r:
                            print("  %-10s ERROR %s" % (srv.name, r["error"]))
                        else:
                            print("  %-10s %6.2f KiB/WebSocket (RSS %d -> %d KiB)" % (srv.name, r["kib"], r["before"],
                                                                                   r["after"]))
                        sys.stdout.flush()
                finally:
                    up.terminate()
                    up.wait(10)
    print("\nload average at end: %s" % open("/proc/loadavg").read().strip())


if __name__ == "__main__":
    main()
