"""Shared by the proxy e2e scripts: real upstream servers on 127.0.0.1 port 0 (threads,
raw sockets, stdlib only), and a helper that starts gatehouse on a JSON config.

Upstream paths (one server answers all of them):
  /echo...       JSON of method, target, header fields, body sha256 and length
  /download?n=N  N bytes of a fixed pattern (Content-Length), &chunked=1 for chunked
  /sse?n=N&gap=S OpenAI-style token stream: N events, S seconds apart (text/event-stream)
  /slow?delay=S  answers after S seconds
  /die?n=N       promises more than it sends: N bytes then the socket closes
  /hold          never answers; records when the proxy closes the connection
  /ws            WebSocket handshake, then echoes raw bytes until EOF, then closes
  /status?code=C answers with status C
  /auth          forward_auth's verifier: 200 with Remote-User/Remote-Groups for
                 "Authorization: Bearer good", else 401 with WWW-Authenticate and "denied"
  /hints         a 103 Early Hints (Link), then 200 "hinted"
KeepAliveUpstream: a base for scripts' own small upstreams, answers from a hook.
fresh/burst: GETs over fresh and keep-alive client connections (the health tests' bursts).
"""
import hashlib
import json
import os
import socket
import subprocess
import threading
import time
import urllib.parse

import harness
import ports  # noqa: E402
import tcp_servers

PATTERN = bytes(range(256)) * 256  # 64 KiB


def pattern_bytes(n):
    """The download body for n bytes, in 64 KiB pieces."""
    while n > 0:
        piece = PATTERN[:min(n, len(PATTERN))]
        n -= len(piece)
        yield piece


def next_head(conn, buf):
    """The next request head on a connection (after `buf`, what was read past the last one)
    and the bytes read past it; (None, buf) when the peer closed first."""
    while b"\r\n\r\n" not in buf:
        data = conn.recv(65536)
        if not data:
            return None, buf
        buf += data
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head, rest


class Upstream:
    def __init__(self, name="echo", unix_path=None, host="127.0.0.1", port=0):
        self.name = name
        self.unix_path = unix_path
        if unix_path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(unix_path)
            self.port = 0
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((host, port))
            self.port = self.sock.getsockname()[1]
        self.host = host
        self.sock.listen(64)
        self.hold_closed = []   # times at which a /hold connection saw EOF
        self.hold_seen = []     # times at which a /hold request arrived
        self.sse_sent = []      # (index, time) for each SSE event sent
        self.connections = 0
        self.requests = 0  # request heads read, on any connection (health checks keep theirs)
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def dial(self):
        return "unix/" + self.unix_path if self.unix_path else "%s:%d" % (self.host, self.port)

    def close(self):
        self._stop = True
        self.sock.close()

    def _accept(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            if not self.unix_path:
                # As real streaming servers do: no Nagle delay on small event writes.
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        conn.settimeout(60)
        buf = b""
        try:
            while True:
                head, buf = next_head(conn, buf)
                if head is None:
                    return
                self.requests += 1
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = []
                for line in lines[1:]:
                    k, v = line.split(":", 1)
                    headers.append((k, v.strip()))
                keep = self._route(conn, method, target, headers, buf)
                buf = keep if keep is not None else None
                if buf is None:
                    return
        except OSError:
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _read_body(self, conn, headers, buf):
        """Returns (sha256 hex, length, leftover bytes)."""
        h = hashlib.sha256()
        hd = {k.lower(): v for k, v in headers}
        total = 0
        if "content-length" in hd:
            need = int(hd["content-length"])
            take = buf[:need]
            h.update(take)
            total = len(take)
            rest = buf[need:]
            while total < need:
                data = conn.recv(min(1 << 20, need - total))
                if not data:
                    break
                h.update(data)
                total += len(data)
            return h.hexdigest(), total, rest
        if hd.get("transfer-encoding", "").lower() == "chunked":
            while True:
                while b"\r\n" not in buf:
                    buf += conn.recv(65536)
                line, buf = buf.split(b"\r\n", 1)
                size = int(line.split(b";")[0], 16)
                while len(buf) < size + 2:
                    data = conn.recv(1 << 20)
                    if not data:
                        raise OSError("eof in chunk")
                    buf += data
                h.update(buf[:size])
                total += size
                buf = buf[size + 2:]
                if size == 0:
                    return h.hexdigest(), total, buf
        return h.hexdigest(), 0, buf

    def _route(self, conn, method, target, headers, buf):
        url = urllib.parse.urlsplit(target)
        q = dict(urllib.parse.parse_qsl(url.query))
        path = url.path
        if path.startswith("/echo"):
            digest, length, rest = self._read_body(conn, headers, buf)
            body = json.dumps({"method": method, "target": target, "headers": headers,
                               "sha256": digest, "length": length}).encode()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n"
                         b"Keep-Alive: timeout=5\r\nX-Upstream: " + self.name.encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            return rest
        if path == "/download":
            n = int(q.get("n", "0"))
            if q.get("chunked"):
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n")
                for piece in pattern_bytes(n):
                    conn.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
                conn.sendall(b"0\r\n\r\n")
            else:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                             b"Content-Length: %d\r\n\r\n" % n)
                for piece in pattern_bytes(n):
                    conn.sendall(piece)
            return buf
        if path == "/sse":
            n = int(q.get("n", "5"))
            gap = float(q.get("gap", "0.3"))
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
            for i in range(n):
                event = ('data: {"choices":[{"delta":{"content":"tok%d"}}]}\n\n' % i).encode()
                self.sse_sent.append((i, time.time()))
                conn.sendall(b"%x\r\n" % len(event) + event + b"\r\n")
                time.sleep(gap)
            done = b"data: [DONE]\n\n"
            conn.sendall(b"%x\r\n" % len(done) + done + b"\r\n0\r\n\r\n")
            return buf
        if path == "/slow":
            time.sleep(float(q.get("delay", "2")))
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow")
            return buf
        if path == "/die":
            n = int(q.get("n", "1000"))
            chunked = q.get("chunked")
            if chunked:
                conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n" % n + b"x" * n + b"\r\n")
            else:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (n * 10) + b"x" * n)
            time.sleep(0.2)
            conn.shutdown(socket.SHUT_RDWR)
            return None
        if path == "/hold":
            self.hold_seen.append(time.time())
            conn.settimeout(10)
            try:
                while conn.recv(65536):
                    pass
            except OSError:
                pass
            self.hold_closed.append(time.time())
            return None
        if path == "/ws":
            hd = {k.lower(): v for k, v in headers}
            import base64
            key = hd.get("sec-websocket-key", "")
            accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
            greeting = b"greeting right behind the 101" if q.get("greet") else b""  # same segment
            conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n" + greeting + buf)
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                conn.sendall(data)
            conn.sendall(b"bye")
            conn.shutdown(socket.SHUT_WR)
            return None
        if path == "/auth":
            digest, length, rest = self._read_body(conn, headers, buf)
            hd = {k.lower(): v for k, v in headers}
            if hd.get("authorization") == "Bearer good":
                conn.sendall(b"HTTP/1.1 200 OK\r\nRemote-User: alice\r\nRemote-Groups: admins\r\n"
                             b"X-Auth-Saw: " + ("%s %s %d" % (method, hd.get("x-forwarded-uri", ""), length)).encode() +
                             b"\r\nContent-Length: 0\r\n\r\n")
            else:
                conn.sendall(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"test\"\r\n"
                             b"Content-Type: text/plain\r\nContent-Length: 6\r\n\r\ndenied")
            return rest
        if path == "/hints":
            conn.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n")
            time.sleep(float(q.get("delay", "0.2")))
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhinted")
            return buf
        if path == "/status":
            code = int(q.get("code", "200"))
            conn.sendall(b"HTTP/1.1 %d X\r\nContent-Length: 0\r\n\r\n" % code)
            return buf
        conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        return buf


class KeepAliveUpstream:
    """A small HTTP/1.1 upstream for scripts that count what the proxy sends it, on
    127.0.0.1 port 0 (tcp_servers: a thread a connection). Request heads are read in turn
    (bodies are not expected, at most MAX_REQUESTS a connection) and each is answered with
    Content-Length from the subclass's hooks:
      answer(path) -> (status, body bytes)   what to send (may block, e.g. a slow check)
      answered(path, status)                 after the answer is written (e.g. to time it)
    or, for an answer shaped byte by byte, by overriding respond(conn, head).
    keep_alive False: one request a connection, answered with "Connection: close".
    tunnels True: a request with an Upgrade header gets a 101, then an echo of whatever the
    client sends until it closes. `lock` is for the subclass's counters."""

    keep_alive = True
    tunnels = False
    MAX_REQUESTS = 10000

    def __init__(self, name="", timeout=30):
        self.name = name
        self.lock = threading.Lock()
        self.sock = tcp_servers.listen(backlog=128)
        self.port = self.sock.getsockname()[1]
        tcp_servers.serve(self.sock, self._serve, timeout=timeout)

    def answer(self, path):
        raise NotImplementedError

    def answered(self, path, status):
        pass

    def close(self):
        self.sock.close()

    def respond(self, conn, head):
        """Writes the answer to one request head (without its blank line); False ends the
        connection."""
        if self.tunnels and b"\r\nupgrade:" in head.lower():
            self._tunnel(conn)
            return False
        path = head.split(b" ")[1].decode()
        status, body = self.answer(path)
        close = b"" if self.keep_alive else b"Connection: close\r\n"
        conn.sendall(b"HTTP/1.1 %d X\r\n" % status + close + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.answered(path, status)
        return self.keep_alive

    def _serve(self, conn):
        buf = b""
        for _ in range(self.MAX_REQUESTS):
            head, buf = next_head(conn, buf)
            if head is None or not self.respond(conn, head):
                return

    @staticmethod
    def _tunnel(conn):
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        while True:
            data = conn.recv(65536)
            if not data:
                return
            conn.sendall(data)


def read_one_response(sock, buf=b"", short_body_ok=False):
    """(status, head fields {lowercased name: value} as bytes, body bytes, rest) of one
    response with Content-Length (without one: no body) on `sock`, after `buf` (what was read
    past the previous response); `rest` is what was read past this one. OSError when the
    connection ends in the head, or in the body unless short_body_ok (then the body is short)."""
    while b"\r\n\r\n" not in buf:
        d = sock.recv(65536)
        if not d:
            raise OSError("closed")
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    fields = {}
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        fields[k.strip().lower()] = v.strip()
    length = int(fields.get(b"content-length", 0))
    while len(buf) < length:
        d = sock.recv(65536)
        if not d:
            if short_body_ok:
                break
            raise OSError("closed")
        buf += d
    return int(head.split(b" ")[1]), fields, buf[:length], buf[length:]


def read_response(sock):
    """(status, X-Req, body) of one response on `sock`: its head, then its Content-Length bytes
    (no body without one; fewer if the connection ends first)."""
    status, fields, body, _ = read_one_response(sock, short_body_ok=True)
    xreq = fields.get(b"x-req")
    return status, None if xreq is None else xreq.decode(), body.decode(errors="replace")


def read_kept_response(sock, buf):
    """(status, body, rest) of one response with Content-Length on a kept-alive connection:
    `buf` is what was read past the previous response, `rest` what was read past this one.
    OSError when the connection ends first."""
    status, _, body, rest = read_one_response(sock, buf)
    return status, body.decode(errors="replace"), rest


def fresh(port, n):
    """(status, body) of GET / on each of n fresh connections to 127.0.0.1:port, in turn; a
    connection that fails gives ("error", why)."""
    out = []
    for _ in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            out.append(read_kept_response(s, b"")[:2])
            s.close()
        except OSError as e:
            out.append(("error", str(e)))
    return out


def burst(port):
    """24 (status, body) of GET /: 12 fresh connections, then 3 keep-alive connections with 4
    requests each (round the three in turn), as health tests check that every connection on
    every worker reads the same verdict. A failure ends the keep-alive part with ("error", why)."""
    out = fresh(port, 12)
    try:
        conns = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(3)]
        bufs = [b""] * 3
        for _ in range(4):
            for i, s in enumerate(conns):
                s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                status, body, bufs[i] = read_kept_response(s, bufs[i])
                out.append((status, body))
        for s in conns:
            s.close()
    except OSError as e:
        out.append(("error", str(e)))
    return out


def get_with_trailers(port, path, extra_fields=""):
    """(status, head fields {lowercased name: value}, body, trailer fields {name as sent:
    value}) of one HTTP/1.1 GET with "TE: trailers" (and `extra_fields`, CRLF-ended lines) on
    a fresh connection to 127.0.0.1:port, read until the server closes (bounded); a chunked
    body is de-chunked, its trailer section parsed. Status 0 when no head came."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nTE: trailers\r\n%sConnection: close\r\n\r\n"
               % (path, extra_fields)).encode())
    data = b""
    for _ in range(10000):
        piece = s.recv(65536)
        if not piece:
            break
        data += piece
    s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1]) if lines[0] else 0
    fields = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        fields[k.strip().lower()] = v.strip()
    if fields.get("transfer-encoding") != "chunked":
        return status, fields, rest, {}
    body, trailers = b"", {}
    for _ in range(10000):
        line, _, rest = rest.partition(b"\r\n")
        size = int(line.split(b";")[0], 16)
        if size == 0:
            break
        body += rest[:size]
        rest = rest[size + 2:]
    for line in rest.decode("latin-1").split("\r\n"):
        if line:
            k, _, v = line.partition(":")
            trailers[k.strip()] = v.strip()
    return status, fields, body, trailers


def held_events(sent, arrivals):
    """The events (index -> time, as the upstream sent them and as the client got them) that
    reached the client only once the upstream had sent the next one. A proxy that streams
    passes each event on within the stream's gap; one that buffers holds them. This is an
    order, not a speed: a loaded machine's scheduling delays stay well under the gap, while
    a fixed bound (100 ms) was seen exceeded at load 17 in a proxy that streams."""
    return [i for i in sorted(arrivals) if i + 1 in sent and arrivals[i] >= sent[i + 1]]


def unused_port():
    """A loopback port nobody listens on."""
    return ports.free_port()


def start_gatehouse(binary, cfg, workers=1):
    """Starts `gatehouse run` on cfg; returns (proc, {server: [addresses]}, drain)."""
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cfg, f)
        path = f.name
    try:
        proc, servers, drain, _ = harness.start(binary, path, adapter="json", workers=workers)
    except RuntimeError as e:
        raise SystemExit(str(e))
    finally:
        os.unlink(path)
    return proc, servers, drain


def stop_gatehouse(proc, drain, failures):
    import signal
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        failures.append("gatehouse did not stop within 15 s")
    report = drain.finish()
    if report:
        failures.append("sanitizer report:\n" + report)


def vm_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def addr_of(servers, name="srv0"):
    host, port = servers[name][0].rsplit(":", 1)
    return host.strip("[]"), int(port)


class ChunkReader:
    """Reads a chunked HTTP/1.1 response from a raw socket, piece by piece, with times."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def head(self):
        while b"\r\n\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise OSError("eof in head")
            self.buf += data
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        return head.decode("latin-1")

    def chunks(self):
        while True:
            while b"\r\n" not in self.buf:
                data = self.sock.recv(65536)
                if not data:
                    return
                self.buf += data
            line, self.buf = self.buf.split(b"\r\n", 1)
            size = int(line, 16)
            while len(self.buf) < size + 2:
                data = self.sock.recv(65536)
                if not data:
                    return
                self.buf += data
            piece, self.buf = self.buf[:size], self.buf[size + 2:]
            if size == 0:
                return
            yield piece, time.time()


def ws_frame(payload, opcode=0x2):
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def read_exact(s, n, timeout=10):
    out = b""
    deadline = time.time() + timeout
    while len(out) < n and time.time() < deadline:
        data = s.recv(min(65536, n - len(out)))
        if not data:
            break
        out += data
    return out
