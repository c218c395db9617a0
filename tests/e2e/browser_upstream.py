"""The chat app the browser tests put behind gatehouse (standing in for LobeChat on
127.0.0.1:3210): one HTTP/1.1 server on a loopback port 0, threads and raw sockets.

  /             a small HTML page (the app shell the browser navigates to)
  /api/models   JSON, with the Host and X-Forwarded-Proto the proxy sent
  /api/chat     (POST) JSON: length and SHA-256 of the request body (Content-Length or
                chunked), and the framing headers the proxy sent
  /sse?n=N&gap=S&tag=T
                an OpenAI-style token stream, N events S seconds apart (text/event-stream,
                chunked); the send time of each event is kept in sse_sent[T]
  /ws...        handed to ws_h2_peers.WsUpstream's handler: an RFC 6455 echo server (the
                request is only peeked at here, so it reads the handshake itself)
"""
import hashlib
import json
import socket
import threading
import time
import urllib.parse

from accept_loop import AcceptLoop
from ws_h2_peers import WsUpstream

PAGE = (b"<!doctype html><html><head><meta charset=utf-8><title>Gatehouse chat</title></head>"
        b"<body><h1 id=title>Gatehouse chat</h1></body></html>")


class ChatUpstream(AcceptLoop):
    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.ws = WsUpstream()  # its own listener stays unused: connections come from here
        self.ws.echo_extensions = False
        self.sse_sent = {}      # tag -> [send time of event 0, 1, ...]
        self.requests = []      # (request line, {lower name: value})
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        super().close()
        self.ws.close()

    def _serve(self, conn):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # streamed events go out at once
        conn.settimeout(30)
        try:
            if conn.recv(8, socket.MSG_PEEK).startswith(b"GET /ws"):
                self.ws._serve(conn)  # closes conn
                return
            self._loop(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def _loop(self, conn):
        buf = b""
        for _ in range(1000):  # requests on one keep-alive connection
            while b"\r\n\r\n" not in buf:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            fields = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                fields[name.strip().lower()] = value.strip()
            self.requests.append((lines[0], fields))
            method, target, _ = lines[0].split(" ", 2)
            buf = self._route(conn, target, fields, buf)

    def _send(self, conn, ctype, body):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)

    def _route(self, conn, target, fields, buf):
        """Answers one request; returns the bytes read past it."""
        url = urllib.parse.urlsplit(target)
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/":
            self._send(conn, b"text/html; charset=utf-8", PAGE)
        elif url.path == "/api/models":
            body = json.dumps({"models": ["gpt-test", "llama-test"], "host": fields.get("host"),
                               "proto": fields.get("x-forwarded-proto")}).encode()
            self._send(conn, b"application/json", body)
        elif url.path == "/api/chat":
            body, buf = self._body(conn, fields, buf)
            answer = json.dumps({"length": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                                 "content_length": fields.get("content-length"),
                                 "transfer_encoding": fields.get("transfer-encoding")}).encode()
            self._send(conn, b"application/json", answer)
        elif url.path == "/sse":
            self._sse(conn, int(q.get("n", "5")), float(q.get("gap", "0.3")), q.get("tag", ""))
        else:
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        return buf

    def _more(self, conn, buf):
        data = conn.recv(1 << 20)
        if not data:
            raise OSError("request body cut short")
        return buf + data

    def _body(self, conn, fields, buf):
        """(body, leftover) of a Content-Length or chunked request body."""
        if "content-length" in fields:
            need = int(fields["content-length"])
            while len(buf) < need:
                buf = self._more(conn, buf)
            return buf[:need], buf[need:]
        if fields.get("transfer-encoding", "").lower() != "chunked":
            return b"", buf
        body = b""
        for _ in range(100000):  # chunks
            while b"\r\n" not in buf:
                buf = self._more(conn, buf)
            line, buf = buf.split(b"\r\n", 1)
            size = int(line.split(b";")[0], 16)
            while len(buf) < size + 2:
                buf = self._more(conn, buf)
            body, buf = body + buf[:size], buf[size + 2:]
            if size == 0:
                return body, buf  # (no trailer fields from this proxy)
        raise OSError("too many chunks")

    def _sse(self, conn, n, gap, tag):
        sent = self.sse_sent.setdefault(tag, [])
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        for i in range(n):
            event = ('id: %d\ndata: {"choices":[{"delta":{"content":"tok%d"}}]}\n\n' % (i, i)).encode()
            sent.append(time.time())
            conn.sendall(b"%x\r\n" % len(event) + event + b"\r\n")
            time.sleep(gap)
        done = b"data: [DONE]\n\n"
        conn.sendall(b"%x\r\n" % len(done) + done + b"\r\n0\r\n\r\n")
