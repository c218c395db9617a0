"""A scripted h2c upstream written with raw frames (h2_frames.py), for what a well-behaved
server will not do on demand: the first connection answers its first request with GOAWAY
(last stream 0: nothing processed) and closes; on the next connection the first stream is
refused (RST_STREAM REFUSED_STREAM) and every later one answered 200 "ok".
Records the connections and the (connection, stream) of every request it saw."""
import socket
import struct
import threading

from h2_frames import (ACK, END_HEADERS, END_STREAM, GOAWAY, HEADERS, PREFACE, RST_STREAM, SETTINGS,
                       DATA, frame, hpack, settings)

REFUSED_STREAM = 0x7


def _read_exact(conn, n):
    out = b""
    while len(out) < n:
        piece = conn.recv(n - len(out))
        if not piece:
            raise OSError("closed")
        out += piece
    return out


class RefusingUpstream:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.requests = []  # (connection number, stream id)
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.sock.close()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn, self.connections), daemon=True).start()

    def _serve(self, conn, number):
        conn.settimeout(10)
        try:
            if _read_exact(conn, len(PREFACE)) != PREFACE:
                return
            conn.sendall(settings())
            answered = 0
            while True:
                head = _read_exact(conn, 9)
                length = struct.unpack(">I", b"\0" + head[:3])[0]
                ftype, flags, stream = head[3], head[4], struct.unpack(">I", head[5:9])[0] & 0x7FFFFFFF
                _read_exact(conn, length)
                if ftype == SETTINGS and not flags & ACK:
                    conn.sendall(frame(SETTINGS, ACK, 0))
                if ftype != HEADERS:
                    continue
                self.requests.append((number, stream))
                if number == 1:
                    # A graceful GOAWAY: the write side ends, reading goes on until the proxy
                    # closes (closing with unread bytes would reset the connection, and the
                    # GOAWAY with it).
                    conn.sendall(frame(GOAWAY, 0, 0, struct.pack(">II", 0, 0)))
                    conn.shutdown(socket.SHUT_WR)
                    while conn.recv(65536):
                        pass
                    return
                if answered == 0 and number == 2:
                    conn.sendall(frame(RST_STREAM, 0, stream, struct.pack(">I", REFUSED_STREAM)))
                    answered += 1
                    continue
                answered += 1
                body = b"ok"
                conn.sendall(frame(HEADERS, END_HEADERS, stream, hpack([(":status", "200"),
                                                                        ("content-length", str(len(body)))]))
                             + frame(DATA, END_STREAM, stream, body))
        except OSError:
            return
        finally:
            conn.close()
