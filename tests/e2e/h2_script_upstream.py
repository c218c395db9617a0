"""A scripted h2c upstream (raw frames, h2_frames.py) whose every request gets the same
answer, configured per instance: after `delay` seconds, a 200 with `body`, optional
response `fields` (e.g. content-encoding), and optional `trailers` (a HEADERS frame with
END_STREAM after the DATA). Streams are answered concurrently (a thread each); counts the
connections (and how many were open at once: max_open), the streams open at once
(max_streams) and the requests seen. With `tls` (an ssl.SSLContext) it speaks TLS and
records the ALPN protocol each connection selected (alpns); one that did not select h2
is closed."""
import socket
import struct
import threading
import time

from h2_frames import (ACK, DATA, END_HEADERS, END_STREAM, HEADERS, PREFACE, SETTINGS, frame, hpack, settings)


def _read_exact(conn, n):
    out = b""
    while len(out) < n:
        piece = conn.recv(n - len(out))
        if not piece:
            raise OSError("closed")
        out += piece
    return out


class ScriptedH2Upstream:
    def __init__(self, delay=0.0, body=b"ok", fields=(), trailers=(), max_streams=100, length=True, tls=None):
        self.delay, self.body, self.fields, self.trailers = delay, body, list(fields), list(trailers)
        self.length = length  # send content-length
        self.max_concurrent = max_streams
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.connections = 0
        self.open = 0
        self.max_open = 0
        self.requests = 0
        self.open_streams = 0
        self.max_streams = 0
        self.header_blocks = []  # raw HPACK blocks of the requests
        self.tls = tls
        self.alpns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.sock.close()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                self.open += 1
                self.max_open = max(self.max_open, self.open)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _answer(self, conn, send_lock, stream):
        time.sleep(self.delay)
        length = [("content-length", str(len(self.body)))] if self.length else []
        out = frame(HEADERS, END_HEADERS, stream, hpack([(":status", "200")] + length + self.fields))
        pieces = [self.body[i:i + 16384] for i in range(0, len(self.body), 16384)] or [b""]  # frames of 16 KiB
        for piece in pieces[:-1]:
            out += frame(DATA, 0, stream, piece)
        if self.trailers:
            out += frame(DATA, 0, stream, pieces[-1]) + frame(HEADERS, END_HEADERS | END_STREAM, stream,
                                                                hpack(self.trailers))
        else:
            out += frame(DATA, END_STREAM, stream, pieces[-1])
        with self.lock:
            self.open_streams -= 1
        try:
            with send_lock:
                conn.sendall(out)
        except OSError:
            pass

    def _serve(self, conn):
        conn.settimeout(30)
        send_lock = threading.Lock()
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
                with self.lock:
                    self.alpns.append(conn.selected_alpn_protocol())
                if conn.selected_alpn_protocol() != "h2":
                    return
            if _read_exact(conn, len(PREFACE)) != PREFACE:
                return
            with send_lock:
                conn.sendall(settings([(3, self.max_concurrent)]))
            while True:
                head = _read_exact(conn, 9)
                length = struct.unpack(">I", b"\0" + head[:3])[0]
                ftype, flags, stream = head[3], head[4], struct.unpack(">I", head[5:9])[0] & 0x7FFFFFFF
                payload = _read_exact(conn, length)
                if ftype == SETTINGS and not flags & ACK:
                    with send_lock:
                        conn.sendall(frame(SETTINGS, ACK, 0))
                if ftype != HEADERS:
                    continue
                with self.lock:
                    self.requests += 1
                    self.open_streams += 1
                    self.max_streams = max(self.max_streams, self.open_streams)
                    self.header_blocks.append(payload)
                threading.Thread(target=self._answer, args=(conn, send_lock, stream), daemon=True).start()
        except OSError:
            return
        finally:
            conn.close()
            with self.lock:
                self.open -= 1
