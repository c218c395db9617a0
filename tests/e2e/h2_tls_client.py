"""Shared by the h2 differential scripts: h2_frames.Conn over TCP (h2c) or TLS with ALPN h2,
and what a server sends back as a list of events with the header blocks decoded."""
import socket
import ssl
import struct
import time

import h2_frames as h2
from h2_frames import CONTINUATION, DATA, END_HEADERS as EH, END_STREAM as ES, HEADERS, hpack
from hpack_inflate import Inflater

IGNORED = {"date", "server", "alt-svc"}


class Conn(h2.Conn):
    """h2_frames.Conn over TCP (h2c) or TLS with ALPN h2."""

    def __init__(self, port, tls, settings=((4, 65535),), timeout=5.0):
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["h2"])
            s = ctx.wrap_socket(s, server_hostname="localhost")
            if s.selected_alpn_protocol() != "h2":
                raise RuntimeError("ALPN chose %r" % s.selected_alpn_protocol())
        self.sock = s
        self.buf = b""
        self.inflater = Inflater()  # the HPACK table spans the connection
        self.sock.sendall(h2.PREFACE + h2.settings(list(settings)))


def events(conn, deadline, quiet=0.7, ignored=IGNORED, stamps=None):
    """What the server sent until it went quiet: [(kind, ...)] with header blocks decoded.
    Once stream 1 or the connection ended, only a short wait for a frame that follows
    (a RST_STREAM after the answer). `stamps`, a list, gets each DATA frame's arrival time
    and length."""
    inflater, out, block = conn.inflater, [], b""
    while True:
        ended = out and (out[-1][0] in ("RST", "GOAWAY") or (out[-1][0] in ("HEADERS", "DATA") and out[-1][2]))
        f = conn.read_frame(min(deadline, time.time() + (0.15 if ended else quiet)))
        if f is None:
            return out
        ftype, flags, sid, payload = f
        if ftype in (HEADERS, CONTINUATION):
            if ftype == HEADERS and flags & 0x8:  # PADDED
                payload = payload[1:len(payload) - payload[0]]
            if ftype == HEADERS and flags & 0x20:  # PRIORITY
                payload = payload[5:]
            block += payload
            if flags & EH:
                fields = [(n, v) for n, v in inflater.decode(block) if n not in ignored]
                out.append(("HEADERS", sid, bool(flags & ES), fields))
                block = b""
        elif ftype == DATA:
            if stamps is not None and payload:
                stamps.append((time.time(), len(payload)))
            if out and out[-1][0] == "DATA" and out[-1][1] == sid and not out[-1][2]:
                out[-1] = ("DATA", sid, bool(flags & ES), out[-1][3] + payload)
            else:
                out.append(("DATA", sid, bool(flags & ES), payload))
        elif ftype == h2.SETTINGS and not flags & h2.ACK:
            out.append(("SETTINGS", dict(struct.unpack(">HI", payload[i:i + 6]) for i in range(0, len(payload), 6))))
        elif ftype == h2.RST_STREAM:
            out.append(("RST", sid, struct.unpack(">I", payload)[0]))
        elif ftype == h2.GOAWAY:
            out.append(("GOAWAY", struct.unpack(">I", payload[4:8])[0]))  # the code; debug text differs


def exchange(port, tls, frames, wait_settings=False):
    """Events for frames sent on a fresh connection, the connection preamble left out."""
    c = Conn(port, tls)
    try:
        if wait_settings:  # the client may use the server's SETTINGS only once they arrived
            deadline = time.time() + 3
            while True:
                f = c.read_frame(deadline)
                if f is None or (f[0] == h2.SETTINGS and not f[1] & h2.ACK):
                    break
        c.send(b"".join(frames))
        ev = events(c, time.time() + 5)
    finally:
        c.close()
    return [e for e in ev if e[0] != "SETTINGS"]


def block(fields, tls):
    """An HPACK block of `fields`, where a value "SCHEME" becomes http or https."""
    scheme = "https" if tls else "http"
    return hpack([(n, scheme if v == "SCHEME" else v) for n, v in fields])


def base(path="/hdrs", method="GET"):
    return [(":method", method), (":scheme", "SCHEME"), (":authority", "localhost"), (":path", path)]
