#!/usr/bin/env python3
"""End-to-end: WebSockets through reverse_proxy to an upstream behind TLS (https://).

Once the 101 is out the tunnel goes to a TunnelRelay that owns the upstream's TLS (its SSL
object on memory BIOs) and drops the record buffers when the tunnel has been quiet for a
second. The upstream here is Python's ssl on memory BIOs, so the test decides exactly what
it sends (close_notify or not, a half-close, a reset). Checked, from a cleartext client and
from a TLS client:
- a 1 MB message both ways, byte-exact, and a 3 MB burst of frames;
- idle for longer than the quiet delay (buffers freed both sides), then a 1 MB message again;
cleartext client only:
- the client's half-close reaches the upstream as close_notify, and the upstream's last
  bytes still arrive;
- the upstream's half-close (close_notify, or a bare TCP FIN) reaches the client as EOF
  while the client's later bytes still reach the upstream;
- an upstream that sends close_notify and closes, or resets the connection, ends the
  client's connection;
- stream_timeout ends the tunnel; with an access log the tunnel's entry is written.
Usage: proxy_websocket_tls_upstream_test.py <path-to-gatehouse>
"""
import base64
import hashlib
import json
import os
import select
import shutil
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import proxy_upstreams as pu  # noqa: E402
import tls_pki  # noqa: E402

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


class BioConn:
    """One upstream connection: TLS on memory BIOs over a blocking socket."""

    def __init__(self, sock, ctx):
        self.sock = sock
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_side=True)

    def flush(self):
        data = self.out.read()
        if data:
            self.sock.sendall(data)

    def _fill(self):
        self.flush()
        data = self.sock.recv(65536)
        if not data:
            return False
        self.inc.write(data)
        return True

    def handshake(self):
        while True:
            try:
                self.obj.do_handshake()
                self.flush()
                return True
            except ssl.SSLWantReadError:
                if not self._fill():
                    return False

    def recv(self):
        """Plaintext; b"" after close_notify; None after a bare TCP EOF."""
        while True:
            try:
                return self.obj.read(65536)
            except ssl.SSLWantReadError:
                if not self._fill():
                    return None
            except ssl.SSLZeroReturnError:
                return b""

    def send(self, data):
        self.obj.write(data)
        self.flush()

    def close_notify(self):
        try:
            self.obj.unwrap()
        except ssl.SSLWantReadError:
            pass  # the peer's close_notify is not awaited: reading goes on
        self.flush()


class TlsWsUpstream:
    """Answers the WebSocket handshake over TLS, then acts as the query asks:
    (none)      echo until the proxy's EOF, then "bye", close_notify and close;
    end=notify  "last words", close_notify, then read until EOF (recorded);
    end=fin     "last words", a bare TCP FIN, then read until EOF (recorded);
    end=close   "last words", close_notify, and the socket closed;
    end=reset   "last words", then a reset (SO_LINGER 0).
    Records how each echo connection's input ended ("notify" or "fin")."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.ended = []     # how echo connections saw the proxy's EOF
        self.after = []     # bytes read after a half-close of ours
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.sock.close()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        conn.settimeout(30)
        c = BioConn(conn, self.ctx)
        try:
            if c.handshake():
                self._ws(conn, c)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def _ws(self, conn, c):
        buf = b""
        while b"\r\n\r\n" not in buf:
            data = c.recv()
            if not data:
                return
            buf += data
        head, rest = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        target = lines[0].split(" ")[1]
        hd = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
        accept = base64.b64encode(hashlib.sha1((hd.get("sec-websocket-key", "") +
                                                "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        c.send(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n" + rest)
        end = target.partition("end=")[2]
        if not end:
            while True:
                data = c.recv()
                if not data:
                    self.ended.append("notify" if data == b"" else "fin")
                    break
                c.send(data)
            c.send(b"bye")
            c.close_notify()
            conn.shutdown(socket.SHUT_WR)
            return
        c.send(b"last words")
        time.sleep(0.1)  # the last words go in a record of their own
        if end == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return  # _serve closes: RST
        if end in ("notify", "close"):
            c.close_notify()
        if end == "close":
            return
        conn.shutdown(socket.SHUT_WR)  # end=fin: no close_notify at all
        got = b""
        while True:
            data = c.recv()
            if not data:
                break
            got += data
        self.after.append(got)


def handshake(addr, path="/ws", tls_ctx=None):
    s = socket.create_connection(addr, timeout=10)
    if tls_ctx is not None:
        s = tls_ctx.wrap_socket(s, server_hostname="127.0.0.1")
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: chat.test\r\nConnection: Upgrade\r\n"
              b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = s.recv(65536)
        if not data:
            break
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    return s, head.decode("latin-1"), rest


def echo_both_ways(s, payload, what):
    """Sends `payload` while reading its echo, byte-exact check. One thread: an ssl socket
    must not be read and written from two threads at once (OpenSSL's SSL object is not
    safe for that)."""
    s.setblocking(False)
    sent, got = 0, bytearray()
    deadline = time.time() + 30
    busy = (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError)
    try:
        while len(got) < len(payload) and time.time() < deadline:
            moved = False
            if sent < len(payload):
                try:
                    sent += s.send(payload[sent:sent + 16384])
                    moved = True
                except busy:
                    pass
            try:
                data = s.recv(65536)
                if not data:
                    break
                got += data
                moved = True
            except busy:
                pass
            if not moved:
                select.select([s], [s] if sent < len(payload) else [], [], 0.05)
    finally:
        s.setblocking(True)
        s.settimeout(10)
    check(bytes(got) == payload, "%s echoed byte-exact (%d of %d bytes)" % (what, len(got), len(payload)))


def read_to_eof(s, timeout=5):
    """Bytes until EOF; (bytes, saw EOF)."""
    out = b""
    deadline = time.time() + timeout
    s.settimeout(timeout)
    while time.time() < deadline:
        try:
            data = s.recv(65536)
        except (ConnectionResetError, ssl.SSLError):
            return out, True
        except socket.timeout:
            return out, False
        if not data:
            return out, True
        out += data
    return out, False


def test_echo(addr, tls_ctx, label):
    s, head, rest = handshake(addr, tls_ctx=tls_ctx)
    check(head.startswith("HTTP/1.1 101 Switching Protocols"), "%s: 101 head: %r" % (label, head[:60]))
    check(rest == b"", "%s: nothing behind the 101" % label)
    echo_both_ways(s, pu.ws_frame(os.urandom(1 << 20)), "%s: a 1 MB message" % label)
    echo_both_ways(s, b"".join(pu.ws_frame(os.urandom(1000)) for _ in range(3000)), "%s: a 3 MB burst" % label)
    time.sleep(1.6)  # quiet for longer than the 1 s delay: both sides' TLS buffers are dropped
    f = pu.ws_frame(b"small after idle")
    s.sendall(f)
    check(pu.read_exact(s, len(f)) == f, "%s: a small frame after the tunnel idled" % label)
    time.sleep(1.6)
    echo_both_ways(s, pu.ws_frame(os.urandom(1 << 20)), "%s: a 1 MB message after the tunnel idled" % label)
    s.close()


def test_client_half_close(addr, up):
    s, head, _ = handshake(addr)
    check(head.startswith("HTTP/1.1 101"), "half-close: 101 (%r)" % head[:40])
    f = pu.ws_frame(os.urandom(300))
    s.sendall(f)
    check(pu.read_exact(s, len(f)) == f, "half-close: echo first")
    before = len(up.ended)
    s.shutdown(socket.SHUT_WR)
    tail, eof = read_to_eof(s)
    check(tail == b"bye" and eof, "client half-close: the upstream's last bytes and EOF arrive (%r, %s)" % (tail, eof))
    check(up.ended[before:] == ["notify"], "the client's half-close reaches the upstream as close_notify (%s)" %
          up.ended[before:])
    s.close()


def test_upstream_half_close(addr, up, end):
    s, head, rest = handshake(addr, "/ws?end=" + end)
    check(head.startswith("HTTP/1.1 101"), "upstream %s: 101 (%r)" % (end, head[:40]))
    got, eof = read_to_eof(s)
    got = rest + got  # the last words may come with the 101
    check(got == b"last words" and eof, "upstream %s: its last bytes then EOF reach the client (%r, %s)" %
          (end, got, eof))
    before = len(up.after)
    s.sendall(b"still talking")
    s.shutdown(socket.SHUT_WR)
    deadline = time.time() + 5
    while len(up.after) == before and time.time() < deadline:
        time.sleep(0.02)
    check(up.after[before:] == [b"still talking"],
          "upstream %s: the client's bytes after it still reach the upstream (%s)" % (end, up.after[before:]))
    s.close()


def client_ended(s, timeout=5):
    """Whether the proxy closed the client's connection (not just its sending side): writes
    start failing once the proxy's socket is gone."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            s.sendall(b"x")
        except OSError:
            return True
        time.sleep(0.05)
    return False


def test_upstream_ends(addr, end):
    s, head, rest = handshake(addr, "/ws?end=" + end)
    check(head.startswith("HTTP/1.1 101"), "upstream %s: 101 (%r)" % (end, head[:40]))
    got, eof = read_to_eof(s)
    got = rest + got  # the last words may come with the 101
    check(got == b"last words" and eof, "upstream %s: its last bytes then the end reach the client (%r, %s)" %
          (end, got, eof))
    check(client_ended(s), "upstream %s: the client's connection ends" % end)
    s.close()


def test_stream_timeout(addr):
    s, head, _ = handshake(addr, "/short")
    check(head.startswith("HTTP/1.1 101"), "stream_timeout: 101 (%r)" % head[:40])
    t0 = time.time()
    _, eof = read_to_eof(s, timeout=5)
    took = time.time() - t0
    s.close()
    check(eof and 0.3 < took < 4.0, "stream_timeout 500ms closes a TLS-upstream tunnel (after %.2f s)" % took)


def config(up_port, ca, access_log):
    def proxy(**extra):
        h = {"handler": "reverse_proxy", "upstreams": [{"dial": "127.0.0.1:%d" % up_port}],
             "transport": {"protocol": "http", "tls": {"root_ca_pem_files": [ca]}}}
        h.update(extra)
        return h
    routes = [
        {"match": [{"path": ["/short"]}], "handle": [{"handler": "rewrite", "uri": "/ws"},
                                                     proxy(stream_timeout="500ms")]},
        {"handle": [proxy()]},
    ]
    srv = {"listen": ["127.0.0.1:0"], "routes": routes}
    if access_log:
        srv["logs"] = {}
    return srv


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="gh-wstls-")
    ca = tls_pki.make_ca(tmp, "ca")
    leaf = tls_pki.make_leaf(tmp, "up", ["IP:127.0.0.1"], ca)
    up_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    up_ctx.load_cert_chain(leaf[0], leaf[1])
    up = TlsWsUpstream(up_ctx)
    client_ctx = ssl.create_default_context(cafile=ca[0])
    try:
        for access_log in (False, True):
            srvs = {"plain": config(up.port, ca[0], access_log), "tls": config(up.port, ca[0], access_log)}
            srvs["tls"]["tls_connection_policies"] = [{}]
            cfg = {"admin": {"disabled": True},
                   "apps": {"http": {"servers": srvs},
                            "tls": {"certificates": {"load_files": [{"certificate": leaf[0], "key": leaf[1]}]}}}}
            proc, servers, drain = pu.start_gatehouse(binary, cfg)
            try:
                plain, secure = pu.addr_of(servers, "plain"), pu.addr_of(servers, "tls")
                test_echo(plain, None, "cleartext client")
                test_echo(secure, client_ctx, "TLS client")
                test_client_half_close(plain, up)
                for end in ("notify", "fin"):
                    test_upstream_half_close(plain, up, end)
                for end in ("close", "reset"):
                    test_upstream_ends(plain, end)
                test_stream_timeout(plain)
                time.sleep(0.3)  # the last tunnel's entry
            finally:
                pu.stop_gatehouse(proc, drain, FAILURES)
            if access_log:
                entries = [json.loads(l) for l in drain.text().splitlines() if l.startswith("{")]
                ws = [e for e in entries if e.get("logger", "").startswith("http.log.access") and
                      e.get("status") == 101]
                check(len(ws) >= 8, "every TLS-upstream tunnel is logged with status 101 (%d entries)" % len(ws))
    finally:
        up.close()
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
