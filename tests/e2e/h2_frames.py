"""Shared by the h2 e2e scripts: a minimal raw HTTP/2 client over a socket.

Why raw frames: nghttp and curl are well-behaved clients. To check flow control from the
client's side (withholding WINDOW_UPDATE), graceful GOAWAY while a stream is in flight,
and the server's answers to malformed input and floods, the test must write frames itself.
HPACK here is the trivial subset: literal fields without indexing, no Huffman coding.
"""
import socket
import struct
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def settings(pairs=()):
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


def window_update(stream, increment):
    return frame(WINDOW_UPDATE, 0, stream, struct.pack(">I", increment))


def _int(value, prefix_bits, first=0):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def hpack(fields):
    out = b""
    for name, value in fields:
        n, v = name.encode(), value.encode()
        out += b"\x00" + _int(len(n), 7) + n + _int(len(v), 7) + v
    return out


def request_block(path, method="GET", authority="h2.test", extra=()):
    return hpack([(":method", method), (":scheme", "http"), (":authority", authority), (":path", path)] + list(extra))


class Conn:
    def __init__(self, addr, initial_window=65535, timeout=5.0):
        self.sock = socket.create_connection(addr, timeout=timeout)
        self.buf = b""
        self.sock.sendall(PREFACE + settings([(4, initial_window)]))

    def send(self, data):
        self.sock.sendall(data)

    def read_frame(self, deadline):
        """Next (type, flags, stream, payload), or None on EOF/timeout."""
        while True:
            if len(self.buf) >= 9:
                length = struct.unpack(">I", b"\x00" + self.buf[:3])[0]
                if len(self.buf) >= 9 + length:
                    ftype, flags = self.buf[3], self.buf[4]
                    stream = struct.unpack(">I", self.buf[5:9])[0] & 0x7FFFFFFF
                    payload = self.buf[9:9 + length]
                    self.buf = self.buf[9 + length:]
                    if ftype == SETTINGS and not flags & ACK:
                        try:
                            self.sock.sendall(frame(SETTINGS, ACK, 0))
                        except OSError:
                            pass  # the server may have closed already (after its GOAWAY)
                    return ftype, flags, stream, payload
            left = deadline - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, ConnectionResetError, BrokenPipeError):
                return None
            if not chunk:
                return None
            self.buf += chunk

    def close(self):
        self.sock.close()
