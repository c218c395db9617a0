"""Peers for the WebSocket-over-HTTP/2 e2e test (RFC 8441 -> RFC 6455):

WsUpstream  an HTTP/1.1 WebSocket server (threads, raw sockets): checks the handshake a
            proxy sends (GET, Upgrade, Connection, key, version), answers 101 with the right
            Sec-WebSocket-Accept and the first offered subprotocol, then echoes each masked
            client frame back unmasked, byte for byte. Paths: /deny (403 with a body),
            /badaccept (101 with a wrong accept), /flood?n=N (N raw bytes after the 101),
            /die?how=rst|fin (after the 101 and one frame, the connection is reset or
            closed), /stall?ms=N (reads nothing for N ms after the 101, then echoes),
            /cut?how=chunked|short|eofrst|eoffin (no upgrade: a 200 whose body "hello" is
            cut short by a reset, or ends by a FIN: a chunked body without its last chunk,
            5 of 100 announced bytes, or a close-delimited body). TlsWsUpstream: the same
            behind TLS (an https:// upstream).
H2WsClient  a raw HTTP/2 client (h2c or a TLS socket with ALPN h2) opening extended CONNECT
            streams, honouring the server's flow-control windows when it sends, checking the
            server honours ours, and granting window only when told to (back-pressure).
"""
import base64
import hashlib
import os
import select
import socket
import ssl
import struct
import threading
import time
import urllib.parse

from h2_frames import (ACK, CONTINUATION, DATA, END_HEADERS, END_STREAM, GOAWAY, HEADERS, PING, PREFACE,
                       RST_STREAM, SETTINGS, WINDOW_UPDATE, frame, hpack, settings, window_update)
from hpack_inflate import Inflater
from accept_loop import AcceptLoop

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def ws_frame(payload, opcode=0x2, mask=None, fin=True):
    """One WebSocket frame (final unless fin=False); masked with `mask` (4 bytes) as a client sends it."""
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    bit = 0x80 if mask else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + struct.pack(">H", n)
    else:
        head += bytes([bit | 127]) + struct.pack(">Q", n)
    if not mask:
        return head + payload
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _read_exact(conn, n):
    out = bytearray()
    while len(out) < n:
        d = conn.recv(min(n - len(out), 1 << 20))
        if not d:
            return None
        out += d
    return bytes(out)


class WsUpstream(AcceptLoop):
    # Answer with the extensions offered (checks that the proxy passes them on). Off for real
    # clients: a browser offers permessage-deflate, which a byte echo cannot honour.
    echo_extensions = True

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.heads = []        # (request line, {lower name: value}) of every request
        self.received = []     # (tag, opcode, sha256 of the unmasked payload)
        self.ended = {}        # tag -> time the proxy's side of the connection ended
        self.flood_sent = {}   # tag -> bytes written so far by /flood
        self.errors = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _serve(self, conn):
        conn.settimeout(30)
        try:
            self._handle(conn)
        except OSError as e:
            self.errors.append(repr(e))
        finally:
            conn.close()

    def _handle(self, conn):
        buf = b""
        while b"\r\n\r\n" not in buf:
            d = conn.recv(65536)
            if not d:
                return
            buf += d
        head, rest = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            fields[name] = (fields[name] + ", " if name in fields else "") + value.strip()
        self.heads.append((lines[0], fields))
        method, target, _ = lines[0].split(" ", 2)
        url = urllib.parse.urlsplit(target)
        q = dict(urllib.parse.parse_qsl(url.query))
        tag = q.get("tag", "")
        if url.path == "/cut":
            self._cut(conn, q.get("how", ""))
            return
        if url.path == "/deny":
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n"
                         b"X-Upstream: denied\r\n\r\nforbidden here")
            return
        key = fields.get("sec-websocket-key", "")
        ok = (method == "GET" and fields.get("upgrade", "").lower() == "websocket" and
              "upgrade" in fields.get("connection", "").lower() and fields.get("sec-websocket-version") == "13" and
              len(base64.b64decode(key + "==")) >= 16 and "content-length" not in fields and
              "transfer-encoding" not in fields)
        if not ok:
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 13\r\n\r\nbad handshake")
            return
        accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest())
        if url.path == "/badaccept":
            accept = base64.b64encode(b"x" * 20)
        extra = b""
        if fields.get("sec-websocket-protocol"):
            extra += b"Sec-WebSocket-Protocol: " + fields["sec-websocket-protocol"].split(",")[0].strip().encode() + b"\r\n"
        if fields.get("sec-websocket-extensions") and self.echo_extensions:
            extra += b"Sec-WebSocket-Extensions: " + fields["sec-websocket-extensions"].encode() + b"\r\n"
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Accept: " + accept + b"\r\n" + extra + b"\r\n")
        if url.path == "/flood":
            self._flood(conn, tag, int(q.get("n", "0")))
        elif url.path == "/stall":
            time.sleep(int(q.get("ms", "0")) / 1000.0)
            self._echo(conn, tag, rest)
        elif url.path == "/die":
            conn.sendall(ws_frame(b"last words", 0x1))
            time.sleep(0.3)  # the frame reaches the client before the connection goes
            self._end(conn, q.get("how") == "rst")
        else:
            self._echo(conn, tag, rest)
        self.ended.setdefault(tag, time.time())

    @staticmethod
    def _end(conn, reset):
        """Closes `conn`: with a TCP reset (SO_LINGER 0) or an orderly FIN."""
        if reset:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            conn.shutdown(socket.SHUT_WR)

    def _cut(self, conn, how):
        heads = {
            "chunked": b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
            "short": b"Content-Length: 100\r\n\r\nhello",
            "eofrst": b"\r\nhello",
            "eoffin": b"\r\nhello",
        }
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + heads.get(how, b"\r\n"))
        time.sleep(0.3)
        self._end(conn, how != "eoffin")

    def _flood(self, conn, tag, n):
        piece = os.urandom(65536)
        self.flood_sent[tag] = 0
        while self.flood_sent[tag] < n:
            chunk = piece[:min(len(piece), n - self.flood_sent[tag])]
            conn.sendall(chunk)
            self.flood_sent[tag] += len(chunk)
        conn.shutdown(socket.SHUT_WR)
        while conn.recv(65536):
            pass

    def _echo(self, conn, tag, rest):
        pending = [rest]

        def take(n):
            have = b"".join(pending)
            while len(have) < n:
                d = conn.recv(1 << 20)
                if not d:
                    return None
                have += d
            pending[:] = [have[n:]]
            return have[:n]

        while True:
            h = take(2)
            if h is None:  # the proxy half-closed (or closed): say so, then end our side
                self.ended[tag] = time.time()
                try:
                    conn.sendall(ws_frame(b"upstream saw EOF", 0x1))
                    conn.shutdown(socket.SHUT_WR)
                except OSError:
                    pass  # closed both ways (a client reset): nobody to tell
                return
            opcode, n = h[0] & 0x0F, h[1] & 0x7F
            if not h[1] & 0x80:
                self.errors.append("unmasked client frame")
                return
            if n == 126:
                n = struct.unpack(">H", take(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", take(8))[0]
            mask = take(4)
            data = take(n) if n else b""
            if mask is None or data is None:
                self.errors.append("frame cut short")
                return
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(data)) if n < 4096 else _unmask(data, mask)
            self.received.append((tag, opcode, hashlib.sha256(payload).hexdigest()))
            conn.sendall(ws_frame(payload, opcode, fin=bool(h[0] & 0x80)))  # fragments stay fragments
            if opcode == 0x8:  # close: echoed, then the connection ends
                conn.shutdown(socket.SHUT_WR)
                return


class TlsWsUpstream(WsUpstream):
    def __init__(self, crt, key):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(crt, key)
        super().__init__()

    def _serve(self, conn):
        conn.settimeout(30)
        try:
            conn = self.ctx.wrap_socket(conn, server_side=True)
        except (OSError, ssl.SSLError) as e:
            self.errors.append("TLS handshake: %r" % e)
            conn.close()
            return
        super()._serve(conn)


def _unmask(data, mask):
    key = int.from_bytes(mask * ((len(data) + 3) // 4), "big") >> (8 * (-len(data) % 4))
    return (int.from_bytes(data, "big") ^ key).to_bytes(len(data), "big")


class Stream:
    def __init__(self):
        self.headers = None    # [(name, value)] of the response head
        self.data = bytearray()
        self.ended = False     # the server's END_STREAM
        self.reset = None      # RST_STREAM error code
        self.recv_window = 65535
        self.send_window = 0


class H2WsClient:
    WINDOW = 65535

    def __init__(self, sock, auto_window=True):
        self.s = sock
        self.auto_window = auto_window  # grant window back as DATA arrives
        self.inflater = Inflater()
        self.streams = {}
        self.next_id = 1
        self.conn_send = 65535
        self.conn_recv = self.WINDOW
        self.peer_initial = 65535
        self.peer_settings = {}
        self.flow_errors = []
        self.goaway = None
        self.buf = b""
        self.block = b""
        self.s.sendall(PREFACE + settings([(4, self.WINDOW)]))
        self.pump(lambda: self.peer_settings.get("seen"), 10)

    def _frames(self, timeout):
        """Reads what is there (waiting up to `timeout`) and handles every whole frame."""
        r, _, _ = select.select([self.s], [], [], timeout) if not self.buf and not self._pending_tls() else ([1], 0, 0)
        if r:
            d = self.s.recv(1 << 20)
            if not d:
                raise OSError("connection closed by the server")
            self.buf += d
        while len(self.buf) >= 9:
            n = int.from_bytes(self.buf[:3], "big")
            if len(self.buf) < 9 + n:
                break
            t, flags, sid = self.buf[3], self.buf[4], int.from_bytes(self.buf[5:9], "big") & 0x7FFFFFFF
            payload, self.buf = self.buf[9:9 + n], self.buf[9 + n:]
            self._handle(t, flags, sid, payload)

    def _pending_tls(self):
        return hasattr(self.s, "pending") and self.s.pending() > 0

    def _handle(self, t, flags, sid, payload):
        st = self.streams.get(sid)
        if t == SETTINGS and not flags & ACK:
            for i in range(0, len(payload), 6):
                k, v = struct.unpack(">HI", payload[i:i + 6])
                if k == 4:
                    for other in self.streams.values():
                        other.send_window += v - self.peer_initial
                    self.peer_initial = v
                self.peer_settings[k] = v
            self.peer_settings["seen"] = True
            self.s.sendall(frame(SETTINGS, ACK, 0))
        elif t == PING and not flags & ACK:
            self.s.sendall(frame(PING, ACK, 0, payload))
        elif t == WINDOW_UPDATE:
            inc = struct.unpack(">I", payload)[0] & 0x7FFFFFFF
            if sid == 0:
                self.conn_send += inc
            elif st:
                st.send_window += inc
        elif t in (HEADERS, CONTINUATION) and st:
            self.block += payload if t == CONTINUATION else self._strip(flags, payload)
            if flags & END_HEADERS:
                fields = self.inflater.decode(self.block)
                self.block = b""
                if st.headers is None or any(n == ":status" and v.startswith("1") for n, v in st.headers):
                    st.headers = fields
            st.ended = st.ended or bool(flags & END_STREAM) and t == HEADERS
        elif t == DATA and st:
            st.recv_window -= len(payload)
            self.conn_recv -= len(payload)
            if st.recv_window < 0 or self.conn_recv < 0:
                self.flow_errors.append("stream %d: server sent beyond the window" % sid)
            st.data += self._strip(flags, payload)
            st.ended = st.ended or bool(flags & END_STREAM)
            if self.auto_window and payload:
                self.grant(sid, len(payload))
        elif t == RST_STREAM and st:
            st.reset = struct.unpack(">I", payload)[0]
        elif t == GOAWAY:
            self.goaway = payload

    @staticmethod
    def _strip(flags, payload):
        if flags & 0x8:  # PADDED
            return payload[1:len(payload) - payload[0]]
        return payload

    def grant(self, sid, n):
        st = self.streams[sid]
        st.recv_window += n
        self.conn_recv += n
        self.s.sendall(window_update(sid, n) + window_update(0, n))

    def pump(self, until, timeout):
        deadline = time.time() + timeout
        while not until():
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("h2 client: condition not met in %.0f s" % timeout)
            self._frames(min(left, 0.5))

    def open(self, path, authority, scheme, extra=()):
        sid = self.next_id
        self.next_id += 2
        st = self.streams[sid] = Stream()
        st.send_window = self.peer_initial
        fields = [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", scheme), (":path", path),
                  (":authority", authority), ("sec-websocket-version", "13")] + list(extra)
        self.s.sendall(frame(HEADERS, END_HEADERS, sid, hpack(fields)))
        self.pump(lambda: st.headers is not None or st.reset is not None, 10)
        return sid

    def get(self, path, authority, scheme):
        """A plain GET (END_STREAM on its HEADERS); returns at its response head or reset."""
        sid = self.next_id
        self.next_id += 2
        st = self.streams[sid] = Stream()
        st.send_window = self.peer_initial
        fields = [(":method", "GET"), (":scheme", scheme), (":path", path), (":authority", authority)]
        self.s.sendall(frame(HEADERS, END_HEADERS | END_STREAM, sid, hpack(fields)))
        self.pump(lambda: st.headers is not None or st.reset is not None, 10)
        return sid

    def status(self, sid):
        return dict(self.streams[sid].headers or []).get(":status")

    def send(self, sid, data, end=False, timeout=30):
        """DATA within the peer's windows (reading its frames meanwhile)."""
        st = self.streams[sid]
        deadline = time.time() + timeout
        view = memoryview(data)
        while view or end:
            self._frames(0)
            if st.reset is not None:
                raise OSError("stream %d reset (error %d) while sending" % (sid, st.reset))
            room = min(self.conn_send, st.send_window, self.peer_settings.get(5, 16384))
            if room <= 0 and view:
                if time.time() > deadline:
                    raise TimeoutError("no send window for %.0f s" % timeout)
                self._frames(0.2)
                continue
            piece = bytes(view[:room])
            view = view[len(piece):]
            last = end and not view
            self.s.sendall(frame(DATA, END_STREAM if last else 0, sid, piece))
            self.conn_send -= len(piece)
            st.send_window -= len(piece)
            if last:
                break

    def read(self, sid, n, timeout=30):
        st = self.streams[sid]
        self.pump(lambda: len(st.data) >= n or st.ended or st.reset is not None, timeout)
        out = bytes(st.data[:n])
        del st.data[:n]
        return out

    def reset(self, sid, code=0x8):
        self.s.sendall(frame(RST_STREAM, 0, sid, struct.pack(">I", code)))

    def close(self):
        self.s.close()
