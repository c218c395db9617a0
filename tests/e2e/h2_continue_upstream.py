"""A scripted HTTP/2 upstream (raw frames, h2_frames.py; h2c, or TLS with ALPN h2) for
`Expect: 100-continue`. Its `mode` says what it does once a request's HEADERS arrive:
  "continue"  a 100 (HEADERS without END_STREAM) after `delay` seconds, then 200 "ok" once
              the body ended
  "silent"    nothing until the body ended, then 200 "ok"
  "reject"    417 with END_STREAM at once, then watches for the body or a reset
Per stream it records (in `seen`, in order): when HEADERS came, when the first DATA came
(None if never), the body bytes, and the RST_STREAM error code it got (None if none)."""
import socket
import ssl
import struct
import threading
import time

from h2_frames import (ACK, DATA, END_HEADERS, END_STREAM, HEADERS, PREFACE, RST_STREAM, SETTINGS, frame, hpack,
                       settings)
from accept_loop import AcceptLoop


def _read_exact(conn, n):
    out = b""
    while len(out) < n:
        piece = conn.recv(n - len(out))
        if not piece:
            raise OSError("closed")
        out += piece
    return out


class ContinueUpstream(AcceptLoop):
    def __init__(self, mode, delay=0.3, cert=None):
        self.mode, self.delay = mode, delay
        self.ctx = None
        if cert:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(*cert)
            self.ctx.set_alpn_protocols(["h2"])
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.seen = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _serve(self, raw):
        raw.settimeout(10)
        try:
            conn = self.ctx.wrap_socket(raw, server_side=True) if self.ctx else raw
        except (OSError, ssl.SSLError):
            raw.close()
            return
        send_lock = threading.Lock()
        streams = {}

        def send(data):
            with send_lock:
                conn.sendall(data)

        try:
            if _read_exact(conn, len(PREFACE)) != PREFACE:
                return
            send(settings([(3, 100)]))
            for _ in range(100000):  # bounded: frames per connection
                head = _read_exact(conn, 9)
                length = struct.unpack(">I", b"\0" + head[:3])[0]
                ftype, flags, sid = head[3], head[4], struct.unpack(">I", head[5:9])[0] & 0x7FFFFFFF
                payload = _read_exact(conn, length)
                if ftype == SETTINGS and not flags & ACK:
                    send(frame(SETTINGS, ACK, 0))
                elif ftype == HEADERS:
                    record = {"headers_at": time.time(), "data_at": None, "body": 0, "rst": None}
                    streams[sid] = record
                    with self.lock:
                        self.seen.append(record)
                    if flags & END_STREAM:
                        send(self._final(sid, 200))
                    elif self.mode == "continue":
                        threading.Timer(self.delay, lambda s=sid: self._try(send, frame(
                            HEADERS, END_HEADERS, s, hpack([(":status", "100")])))).start()
                    elif self.mode == "reject":
                        send(frame(HEADERS, END_HEADERS | END_STREAM, sid, hpack([(":status", "417"),
                                                                                   ("content-length", "0")])))
                elif ftype == DATA and sid in streams:
                    record = streams[sid]
                    if record["data_at"] is None and payload:
                        record["data_at"] = time.time()
                    record["body"] += len(payload)
                    if flags & END_STREAM and self.mode != "reject":
                        send(self._final(sid, 200))
                elif ftype == RST_STREAM and sid in streams:
                    streams[sid]["rst"] = struct.unpack(">I", payload[:4])[0]
        except (OSError, ssl.SSLError):
            return
        finally:
            conn.close()

    @staticmethod
    def _try(send, data):
        try:
            send(data)
        except OSError:
            pass

    @staticmethod
    def _final(sid, status):
        return frame(HEADERS, END_HEADERS, sid, hpack([(":status", str(status)), ("content-length", "2")])) + \
            frame(DATA, END_STREAM, sid, b"ok")
