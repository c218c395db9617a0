#!/usr/bin/env python3
"""Differential HTTP/2 fuzzer: odd request heads and bodies sent as raw frames to caddy 2.6.2
and to gatehouse, compared stream by stream.

Both servers run one Caddyfile (their own ports; one throwaway certificate for the TLS site):
an h2c site and an h2-over-TLS site whose routes echo request facts through placeholders
(`/echo`, which never reads the body; `/body`, which does) or proxy to an echo upstream
(`/proxy`, upstreams.py: the upstream's view of the request comes back as the body).

Each case is one connection carrying 1-3 streams, all frames written at once, then a PING:
HEADERS blocks with pseudo-header fields dropped, doubled, reordered, unknown or odd
(`*`, absolute URIs, empty or strange :authority, CONNECT with and without :protocol), upper
case or invalid field names, connection-specific fields, `te` values, control bytes and
obs-text in values, cookie crumbs, large fields, Content-Length values that disagree with the
DATA sent (or come twice, or are not numbers), trailers (with and without END_STREAM, with
pseudo-header fields), padding and PRIORITY/WINDOW_UPDATE frames. Per stream the status,
response fields (Date/Server/Alt-Svc left out), body and RST_STREAM code are compared; per
connection the GOAWAY code and whether the PING was answered (the connection survived).

Go's server answers from a goroutine per stream, so an answer and a reset of the same
stream may race there: a case whose result differs is re-run against caddy, and a case on
which caddy disagrees with itself is counted as unstable, not as a difference. Differences
in KNOWN classes (gatehouse deliberately differs, README "HTTP/2") are listed, not failed.

Usage: h2_fuzz.py <gatehouse> [--seed S] [--seeds N] [--cases N] [--time-limit S] [--verbose]
       [--out DIR]   (a differing case is saved there as JSON: its frames and both results)
Exit 0 when no unexpected difference, 1 otherwise, 77 when caddy is not installed.
"""
import argparse
import hashlib
import json
import os
import random
import re
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import tls_pki  # noqa: E402
from caddy_peer import CaddyPeer  # noqa: E402
from hpack_inflate import Inflater  # noqa: E402
from ports import free_port  # noqa: E402
from upstreams import CompatUpstreams  # noqa: E402

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
ES, ACK, EH, PADDED, PRIO = 0x1, 0x1, 0x4, 0x8, 0x20
PING_DATA = b"h2fuzz!!"
IGNORED_FIELDS = {"date", "server", "alt-svc"}

CADDYFILE = """{
	admin off
	auto_https disable_redirects
	default_bind 127.0.0.1
	servers {
		protocols h1 h2 h2c
	}
}
(site) {
	route {
		respond /echo* "m=[{method}] uri=[{uri}] path=[{path}] query=[{query}] host=[{host}] hostport=[{http.request.hostport}] scheme=[{scheme}] proto=[{http.request.proto}] cl=[{header.Content-Length}] te=[{header.TE}] cookie=[{header.Cookie}] x=[{header.X-Fuzz}] hosth=[{header.Host}] expect=[{header.Expect}] trailer=[{header.Trailer}] big=[{header.X-Big}]"
		respond /body* "m=[{method}] uri=[{uri}] cl=[{header.Content-Length}] body=[{http.request.body}]"
		reverse_proxy /proxy* %(upstream)s
		respond "other m=[{method}] uri=[{uri}] host=[{host}]"
	}
}
:%(h2c)d {
	import site
}
:%(tls)d {
	tls %(crt)s %(key)s
	import site
}
"""


# ---- frames and HPACK (literal fields without indexing: any bytes, any case) ----

def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def _hint(value, prefix_bits, first=0):
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
        out += b"\x00" + _hint(len(name), 7) + name + _hint(len(value), 7) + value
    return out


class HpackEncoder:
    """A client's HPACK encoder for one connection: literal fields with or without indexing,
    indexed fields from its own dynamic table, dynamic table size updates. Its table mirrors
    the server's decoder exactly (RFC 7541 4: entry size = name + value + 32, evicted oldest
    first), so later blocks may refer to fields an earlier block added."""

    STATIC_LEN = 61

    def __init__(self, rng):
        self.r = rng
        self.table = []  # newest first
        self.max = 4096  # what SETTINGS_HEADER_TABLE_SIZE lets us use (both servers: 4096)

    def _size(self):
        return sum(len(n) + len(v) + 32 for n, v in self.table)

    def _evict(self):
        while self.table and self._size() > self.max:
            self.table.pop()

    def _add(self, name, value):
        if len(name) + len(value) + 32 > self.max:
            self.table = []
            return
        self.table.insert(0, (name, value))
        self._evict()

    def encode(self, fields, size_update=None):
        out = b""
        if size_update is not None:
            out += _hint(size_update, 5, 0x20)
            if size_update <= 4096:
                self.max = size_update
                self._evict()
        for name, value in fields:
            if (name, value) in self.table and self.r.random() < 0.7:
                out += _hint(self.STATIC_LEN + 1 + self.table.index((name, value)), 7, 0x80)
                continue
            kind = self.r.random()
            literal = _hint(len(name), 7) + name + _hint(len(value), 7) + value
            if kind < 0.5:
                out += b"\x40" + literal  # with incremental indexing
                self._add(name, value)
            elif kind < 0.6:
                out += b"\x10" + literal  # never indexed
            else:
                out += b"\x00" + literal
        return out


def block_frames(stream, block, flags, parts=1, pad=None):
    """HEADERS then CONTINUATION frames holding `block` in `parts` pieces; `pad`: the HEADERS
    frame's padding length (a bad one: longer than the frame allows)."""
    parts = max(1, min(parts, len(block) or 1))
    size = -(-len(block) // parts) if block else 0
    pieces = [block[i:i + size] for i in range(0, len(block), size)] if size else [b""]
    prefix = struct.pack(">IB", flags >> 8, 15) if flags & PRIO else b""
    first_flags = (flags & (ES | PRIO)) | (EH if len(pieces) == 1 else 0)
    payload = prefix + pieces[0]
    if pad is not None:
        first_flags |= PADDED
        payload = bytes([pad & 0xFF]) + payload + b"\x00" * min(pad, 255) if pad < 256 else \
            bytes([255]) + payload  # pad length past the payload: a PROTOCOL_ERROR on both
    out = [frame(HEADERS, first_flags, stream, payload)]
    for i, p in enumerate(pieces[1:]):
        out.append(frame(CONTINUATION, EH if i == len(pieces) - 2 else 0, stream, p))
    return out


def header_frames(stream, block, flags, split=16384):
    """HEADERS (+CONTINUATION) frames of a block; `flags` may hold ES, PADDED, PRIO markers."""
    prefix = b""
    if flags & PRIO:
        prefix = struct.pack(">IB", flags >> 8, 15)  # dependency in the high bits of flags
    split -= 16  # room for padding and priority: no frame over the 16384 bytes allowed at first
    parts = [block[i:i + split] for i in range(0, len(block), split)] or [b""]
    first_flags = (flags & (ES | PRIO)) | (EH if len(parts) == 1 else 0)
    payload = prefix + parts[0]
    if flags & PADDED:
        payload = b"\x02" + payload + b"\x00\x00"
        first_flags |= PADDED
    out = [frame(HEADERS, first_flags, stream, payload)]
    for i, p in enumerate(parts[1:]):
        out.append(frame(CONTINUATION, EH if i == len(parts) - 2 else 0, stream, p))
    return out


# ---- generation ----

class Gen:
    """Random request streams from a seeded random.Random."""

    def __init__(self, rng, wire=None):
        self.r = rng
        # Wire shapes (HPACK indexing, CONTINUATION splits, padding, SETTINGS, client resets)
        # come from a second generator, so a seed's requests stay what they were.
        self.w = wire
        self.wire = None  # this case's wire options (None: plain literal blocks, as before)
        self.enc = None

    def pick(self, *options):
        return self.r.choice(options)

    def chance(self, p):
        return self.r.random() < p

    def path(self):
        r = self.r
        route = self.pick(b"/echo", b"/echo", b"/body", b"/proxy", b"/other")
        if self.chance(0.7):
            return route + self.pick(b"", b"/a", b"?q=1", b"/x?a=b&c", b"/%41%2f", b"/a%20b")
        return self.pick(b"*", b"", b"echo", b"http://other.example/echo?a=1", b"https://h.example:8443/proxy/x",
                         route + b"/a b", route + b"/%zz", route + b"#frag", b"//echo", route + b"/\xc3\xa9",
                         route + b"/\x7f", route + b"/\x01", b"ftp://x/echo", b"foo:bar", route + b"/a\tb",
                         route + b"?" + bytes(r.choice(b"abc=&;% ") for _ in range(6)))

    def authority(self):
        return self.pick(b"localhost", b"localhost", b"h.example", b"localhost:1234", b"", b"a b", b"u@localhost",
                         b"[::1]:80", b"LOCALHOST", b"h.example.", b"x" * 300, b"h_x.example", b"a/b", b"h\x01",
                         b"h\xc3\xa9.example", b"1.2.3.4:99999")

    def method(self):
        return self.pick(b"GET", b"GET", b"POST", b"POST", b"PUT", b"HEAD", b"OPTIONS", b"DELETE", b"get", b"PATCH",
                         b"CONNECT", b"G T", b"", b"BREW")

    def value(self):
        r = self.r
        kind = r.randrange(10)
        if kind == 0:
            return b""
        if kind == 1:
            return self.pick(b" a ", b"\ta\t", b"a\x00b", b"a\x01b", b"a\x7fb", b"\xff\xfe", b"caf\xc3\xa9", b"a\rb",
                             b"a\nb", b"a,b", b"\"q\"")
        return bytes(r.choice(b"abcXYZ019-_.:/ ") for _ in range(r.randrange(1, 20)))

    def name(self):
        return self.pick(b"x-fuzz", b"x-fuzz", b"X-Fuzz", b"x fuzz", b"x@fuzz", b"", b"x-fuzz\x00", b"x-f\xc3\xa9",
                         b"x_fuzz", b"x-fuzz:")

    def pseudo(self, tls):
        method = self.method()
        fields = [[b":method", method], [b":scheme", b"https" if tls else b"http"],
                  [b":authority", self.authority()], [b":path", self.path()]]
        if method == b"CONNECT" and self.chance(0.6):
            fields = [f for f in fields if f[0] not in (b":scheme", b":path")]
        return fields

    def mutate_pseudo(self, fields):
        r = self.r
        for _ in range(r.choice((0, 0, 0, 1, 1, 2))):
            op = r.randrange(8)
            if op == 0 and fields:
                fields.pop(r.randrange(len(fields)))
            elif op == 1 and fields:
                fields.insert(r.randrange(len(fields) + 1), list(r.choice(fields)))
            elif op == 2:
                r.shuffle(fields)
            elif op == 3:
                fields.append([self.pick(b":foo", b":status", b":Method", b":"), b"x"])
            elif op == 4:
                fields.append([b":protocol", self.pick(b"websocket", b"foo", b"")])
            elif op == 5:
                for f in fields:
                    if f[0] == b":scheme":
                        f[1] = self.pick(b"ftp", b"", b"HTTP", b"https", b"http")
            elif op == 6:
                for f in fields:
                    if f[0] == b":authority":
                        f[1] = self.authority()
            else:
                for f in fields:
                    if f[0] == b":path":
                        f[1] = self.path()
        return fields

    def regular(self, body_len):
        """Regular fields, and the Content-Length story: None, or the values declared."""
        r = self.r
        fields = []
        for _ in range(r.choice((0, 1, 1, 2, 3))):
            kind = r.randrange(12)
            if kind == 0:
                fields.append((self.name(), self.value()))
            elif kind == 1:
                fields.append((self.pick(b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding",
                                         b"upgrade"), self.pick(b"keep-alive", b"close", b"chunked", b"websocket", b"")))
            elif kind == 2:
                for _ in range(r.choice((1, 1, 2))):
                    fields.append((b"te", self.pick(b"trailers", b"gzip", b"", b"trailers, deflate", b"Trailers")))
            elif kind == 3:
                fields.append((b"host", self.authority()))
            elif kind == 4:
                for _ in range(r.randrange(1, 5)):
                    fields.append((b"cookie", self.pick(b"a=1", b"b=2", b"", b"c=3; d=4", b" e=5 ")))
            elif kind == 5:
                fields.append((b"x-big", b"v" * r.choice((1000, 5000, 20000, 60000))))
            elif kind == 6:
                fields.append((b"user-agent", self.value()))
            elif kind == 7:
                fields.append((b"expect", self.pick(b"100-continue", b"foo")))
            elif kind == 8:
                fields.append((b"trailer", self.pick(b"x-t", b"x-t, x-u", b"content-length")))
            else:
                fields.append((b"x-fuzz", self.value()))
        lengths = None
        if self.chance(0.5):
            exact = str(body_len).encode()
            lengths = r.choice(([exact], [exact], [str(body_len + 1).encode()], [str(max(body_len - 1, 0)).encode()],
                                [exact, exact], [exact, b"7"], [b"abc"], [b"+%d" % body_len], [b"-1"], [b""],
                                [b" " + exact], [b"0" + exact], [b"99999999999999999999"], [b"0"]))
            for v in lengths:
                fields.insert(r.randrange(len(fields) + 1), (b"content-length", v))
        return fields, lengths

    def body_plan(self):
        """DATA payloads, where END_STREAM goes, and the trailers."""
        r = self.r
        if self.chance(0.4):
            return {"data": [], "end": "headers", "trailers": None}
        data = [b"d" * r.choice((0, 1, 3, 10, 100)) for _ in range(r.choice((1, 1, 2, 3)))]
        end = self.pick("data", "data", "data", "empty-data", "trailers")
        trailers = None
        if end == "trailers":
            trailers = r.choice(([(b"x-t", b"1")], [(b"x-t", b"1")], [(b":path", b"/x")], [(b"X-T", b"1")],
                                 [(b"x-t", b"a\x01")], [(b"content-length", b"5")], []))
            if self.chance(0.2):
                end = "trailers-no-es"
        return {"data": data, "end": end, "trailers": trailers}

    def stream(self, sid, tls):
        plan = self.body_plan()
        fields = self.mutate_pseudo(self.pseudo(tls))
        regular, lengths = self.regular(sum(len(d) for d in plan["data"]))
        block_fields = [tuple(f) for f in fields] + regular
        if self.chance(0.1):  # a pseudo-header field after the regular ones
            self.r.shuffle(block_fields)
        flags = 0
        if plan["end"] == "headers":
            flags |= ES
        if self.chance(0.1):
            flags |= PADDED
        if self.chance(0.1):
            flags |= PRIO | (self.pick(0, sid) << 8)  # depends on stream 0 or (an error) itself
        frames = self.head_frames(sid, block_fields, flags)
        for i, d in enumerate(plan["data"]):
            last = i == len(plan["data"]) - 1 and plan["end"] == "data"
            pad = self.chance(0.1)
            payload = (b"\x01" + d + b"\x00") if pad else d
            if self.wire and self.wire["pad"] and self.w.random() < 0.3:
                n = self.w.choice((0, 3, 40, 255))
                payload, pad = bytes([n]) + d + b"\x00" * n, True
            frames.append(frame(DATA, (ES if last else 0) | (PADDED if pad else 0), sid, payload))
        if plan["end"] == "empty-data":
            frames.append(frame(DATA, ES, sid))
        elif plan["end"] in ("trailers", "trailers-no-es"):
            frames += self.head_frames(sid, plan["trailers"], ES if plan["end"] == "trailers" else 0)
        client_rst = None
        if self.wire and self.wire["rst"] and self.w.random() < 0.4:
            client_rst = self.w.choice((0, 8, 8, 1, 2))  # NO_ERROR, CANCEL, PROTOCOL, INTERNAL
            frames.append(frame(RST_STREAM, 0, sid, struct.pack(">I", client_rst)))
        extra = self.pick(None, None, None, None, None, None, None, None, None, "priority", "window", "window0")
        if extra == "priority":
            dep = self.pick(0, sid, 1)
            extra = "priority-self" if dep == sid else extra
            frames.append(frame(PRIORITY, 0, sid, struct.pack(">IB", dep, 3)))
        elif extra == "window":
            frames.append(frame(WINDOW_UPDATE, 0, sid, struct.pack(">I", 1000)))
        elif extra == "window0":
            frames.append(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1000)))
        describe = {"sid": sid, "fields": [[n.decode("latin-1"), v.decode("latin-1")[:80]] for n, v in block_fields],
                    "flags": flags, "body": plan["end"], "data": [len(d) for d in plan["data"]],
                    "trailers": [[n.decode("latin-1"), v.decode("latin-1")] for n, v in plan["trailers"] or []],
                    "lengths": [v.decode("latin-1") for v in lengths or []], "extra": extra,
                    "client_rst": client_rst}
        return frames, describe

    def head_frames(self, sid, fields, flags):
        """A header block's frames: as before, or in this case's wire shape."""
        if not self.wire:
            return header_frames(sid, hpack(fields), flags)
        w = self.w
        update = None
        if self.wire["table_update"] is not None and not self.wire.get("updated"):
            update, self.wire["updated"] = self.wire["table_update"], True
        block = self.enc.encode(fields, update) if self.wire["index"] else hpack(fields)
        if update is not None and not self.wire["index"]:
            block = _hint(update, 5, 0x20) + block
        parts = w.choice((1, 1, 2, 3, 8)) if self.wire["split"] else 1
        parts = max(parts, -(-len(block) // 16000))  # no frame over 16 KiB before SETTINGS are acked
        pad = None
        if flags & PADDED or (self.wire["pad"] and w.random() < 0.3):
            pad = w.choice((0, 1, 17, 200)) if len(block) < 12000 else 0
            if w.random() < 0.05 and len(block) < 200:
                pad = 256  # more padding than the frame holds
        return block_frames(sid, block, flags & ~PADDED, parts, pad)

    def wire_shape(self):
        """This case's wire options and the connection-level frames before and after its streams."""
        w = self.w
        if w is None or w.random() < 0.4:
            return None, [], []
        opts = {"index": w.random() < 0.5, "split": w.random() < 0.4, "pad": w.random() < 0.3,
                "rst": w.random() < 0.25, "table_update": None}
        if w.random() < 0.2:
            opts["table_update"] = w.choice((0, 256, 4096, 4096, 8192))  # 8192: over our SETTINGS
        before, after, settings = [], [], []
        if w.random() < 0.5:
            if w.random() < 0.5:
                settings.append((0x1, w.choice((0, 100, 4096, 65536))))  # HEADER_TABLE_SIZE
            window = None
            if w.random() < 0.5:
                window = w.choice((0, 1, 10, 100, 65535, 1 << 31))  # 1 << 31: a FLOW_CONTROL_ERROR
                settings.append((0x4, window))
            if w.random() < 0.3:
                settings.append((0x5, w.choice((16384, 20000, 16383, 1 << 24))))  # MAX_FRAME_SIZE (bad ones too)
            if w.random() < 0.2:
                settings.append((0x2, w.choice((0, 1, 2))))  # ENABLE_PUSH (2: a PROTOCOL_ERROR)
            if w.random() < 0.2:
                settings.append((w.choice((0x3, 0x6, 0x99)), w.choice((0, 1, 100))))
            before.append(frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in settings)))
            if window is not None and window < 65535:
                # Raised again after the streams (a change that reaches streams already open),
                # or each stream's window opened by WINDOW_UPDATE.
                after.append(frame(SETTINGS, 0, 0, struct.pack(">HI", 0x4, w.choice((65535, 1 << 20)))))
        if w.random() < 0.1:
            after.append(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", w.choice((1, 0x7FFFFFFF)))))  # overflow too
        opts["settings"] = [list(kv) for kv in settings]
        return opts, before, after

    def case(self):
        tls = self.chance(0.5)
        self.wire, before, after = self.wire_shape()
        self.enc = HpackEncoder(self.w) if self.wire else None
        frames, described = list(before), []
        for i in range(self.r.choice((1, 1, 2, 3))):
            f, d = self.stream(1 + 2 * i, tls)
            frames += f
            described.append(d)
        frames += after
        wire = dict(self.wire, updated=None) if self.wire else None
        return {"tls": tls, "frames": frames, "streams": described, "wire": wire}


# ---- running a case ----

def connect(port, tls):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2"])
        s = ctx.wrap_socket(s, server_hostname="localhost")
    return s


def run_case(port, case, ports_seen):
    """What the server did: {"streams": {id: result}, "goaway": code|None, "alive": bool}."""
    sock = connect(port, case["tls"])
    inflater, buf, block, block_sid = Inflater(), b"", b"", 0
    streams, goaway, alive, closed = {}, None, False, False
    sids = {s["sid"] for s in case["streams"] if s.get("client_rst") is None}  # a cancelled one may get nothing

    def st(sid):
        return streams.setdefault(sid, {"heads": [], "body": b"", "end": False, "rst": None})

    def finished():
        return all(sid in streams and (streams[sid]["end"] or streams[sid]["rst"] is not None) for sid in sids)

    try:
        sock.sendall(PREFACE + frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 1 << 20)) +
                     frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1 << 24)))
        sock.sendall(b"".join(case["frames"]) + frame(PING, 0, 0, PING_DATA))
        deadline = time.time() + 4
        quiet_until = None
        while True:
            now = time.time()
            if alive and finished():
                quiet_until = quiet_until or now + 0.08
            elif alive:
                deadline = min(deadline, now + 0.5)  # a stream left unanswered: Go ignored it
            stop = min(deadline, quiet_until or deadline)
            if now >= stop:
                break
            while len(buf) < 9 or len(buf) < 9 + struct.unpack(">I", b"\x00" + buf[:3])[0]:
                sock.settimeout(max(0.01, stop - time.time()))
                try:
                    chunk = sock.recv(65536)
                except (socket.timeout, ssl.SSLError, OSError):
                    chunk = None
                if not chunk:
                    if chunk == b"":
                        closed = True
                    break
                buf += chunk
            else:
                length = struct.unpack(">I", b"\x00" + buf[:3])[0]
                ftype, flags, sid = buf[3], buf[4], struct.unpack(">I", buf[5:9])[0] & 0x7FFFFFFF
                payload, buf = buf[9:9 + length], buf[9 + length:]
                if ftype == SETTINGS and not flags & ACK:
                    sock.sendall(frame(SETTINGS, ACK, 0))
                elif ftype == PING and flags & ACK and payload == PING_DATA:
                    alive = True
                elif ftype in (HEADERS, CONTINUATION):
                    if ftype == HEADERS:
                        block_sid = sid
                        if flags & PADDED:
                            payload = payload[1:len(payload) - payload[0]]
                        if flags & PRIO:
                            payload = payload[5:]
                        st(sid)["_es"] = bool(flags & ES)
                    block += payload
                    if flags & EH:
                        fields = sorted((n, v) for n, v in inflater.decode(block) if n not in IGNORED_FIELDS)
                        s = st(block_sid)
                        s["heads"].append(fields)
                        s["end"] = s["end"] or s.pop("_es", False)
                        block = b""
                elif ftype == DATA:
                    s = st(sid)
                    if flags & PADDED:
                        payload = payload[1:len(payload) - payload[0]]
                    s["body"] += payload
                    s["end"] = s["end"] or bool(flags & ES)
                elif ftype == RST_STREAM:
                    st(sid)["rst"] = struct.unpack(">I", payload)[0]
                elif ftype == GOAWAY:
                    goaway = struct.unpack(">I", payload[4:8])[0]
                    deadline = min(deadline, time.time() + 0.2)  # Go closes a second later
                continue
            if closed:
                break
    finally:
        sock.close()
    out = {}
    for sid, s in sorted(streams.items()):
        body = s["body"]
        for p, name in ports_seen:
            body = body.replace(str(p).encode(), name.encode())
        s = dict(s, body=body.decode("latin-1"))
        s.pop("_es", None)
        s["heads"] = [[(n, normalize_ports(v, ports_seen)) for n, v in h] for h in s["heads"]]
        out[str(sid)] = s
    return {"streams": out, "goaway": goaway, "alive": alive}


def normalize_ports(text, ports_seen):
    for p, name in ports_seen:
        text = text.replace(str(p), name)
    return text


# ---- known differences (README, HTTP/2): gatehouse resets where Go serves, on purpose ----

def field(describe, name):
    return [v for n, v in describe["fields"] if n == name]


# Placeholders in the echo where gatehouse differs on purpose: (pattern, reason).
FIELD_CLASSES = [
    (re.compile(r" hosth=\[.*?\](?= expect=)"),
     "{header.Host}: Go keeps an HTTP/2 Host field in the header map, gatehouse reads it as the host only"),
    (re.compile(r" trailer=\[.*?\](?= big=)"),
     "{header.Trailer}: Go moves an HTTP/2 request's Trailer field into Request.Trailer, gatehouse keeps it "
     "as a field (its proxy announces the trailers from it)"),
]


def known(describe, want, got):
    """A reason when this stream's difference is a listed one, else None."""
    def without(r, patterns):
        if not r:
            return r
        body = r["body"]
        for p in patterns:
            body = p.sub("", body)
        return dict(r, body=body, heads=[[(n, v) for n, v in h if n != "content-length"] for h in r["heads"]])

    if want and got:
        patterns = [p for p, _ in FIELD_CLASSES]
        if without(want, patterns) == without(got, patterns):
            return "; ".join(reason for p, reason in FIELD_CLASSES if without(want, [p]) != without(got, [p]))
    authority = field(describe, ":authority") + field(describe, "host")
    path = field(describe, ":path")
    if got.get("rst") in (1, 5) and not got["heads"]:  # 5: DATA behind the deliberate reset
        token = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        if any(not set(m) <= token for m in field(describe, ":method")):
            return "a :method that is not a token is reset (Go serves it; its transport refuses to proxy it)"
        auth_ok = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:%@[]")
        if any(not set(a) <= auth_ok for a in authority):
            return "an :authority or Host with bytes a host cannot hold is reset (Go serves it)"
        if any(p and p[0] not in "/*" and not p.lower().startswith(("http://", "https://")) for p in path):
            return "a :path Go reads as an opaque or other-scheme URI is reset"
    if ({want.get("rst"), got.get("rst")} == {1, 5} and want["heads"] == got["heads"] == []
            and want["body"] == got["body"] == ""):
        return ("a stream Go resets (PROTOCOL_ERROR), DATA behind it: Go adds RST_STREAM STREAM_CLOSED when its "
                "writer sent the first reset before the next frame was read, else nothing (a race there; "
                "Gatehouse adds it from the second DATA frame behind a reset head)")
    if ([p.lower() for p in field(describe, ":protocol")] == ["websocket"] and field(describe, ":method") == ["CONNECT"]
            and want.get("rst") == 1 and not want["heads"]):
        return ("a WebSocket's extended CONNECT (RFC 8441, :protocol websocket) is served here on purpose "
                "(WebSockets over HTTP/2 to the proxy); caddy 2.6.2 knows no :protocol and resets it")
    return None


def go_frame_refused(describe):
    """Go's framer refuses this header block itself (readMetaFrame, checkPseudos): a bad field
    name or value, an unknown, doubled or misplaced pseudo-header field (:protocol included)."""
    seen, regular = set(), False
    for name, value in describe["fields"]:
        if any(ord(c) < 0x20 and c != "\t" or ord(c) == 0x7F for c in value):
            return True
        if name.startswith(":"):
            if regular or name in seen or name not in (":method", ":path", ":scheme", ":authority"):
                return True
            seen.add(name)
        else:
            regular = True
            token = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz")
            if not name or not set(name) <= token:
                return True
    return False


def known_connection_end(case, want, got):
    """Connection fates that differ by a race in Go, or left as found (nghttp2 internals)."""
    if (want["goaway"] == 9 and got["goaway"] == 1 and case.get("wire") and case["wire"]["table_update"] == 8192
            and any(s["data"] for s in case["streams"])):
        return ("a dynamic table size update over our SETTINGS (COMPRESSION_ERROR) followed by DATA: nghttp2 "
                "reads on after its HPACK error and ends on the DATA's PROTOCOL_ERROR (left as found)")
    if want["goaway"] != got["goaway"] or want["goaway"] is None or want == got:
        return None
    for s in case["streams"]:
        sid = str(s["sid"])
        w, g = want["streams"].get(sid), got["streams"].get(sid)
        if w == g or not go_frame_refused(s):
            continue
        pair = {json.dumps(w), json.dumps(g)}
        if pair != {json.dumps(None), json.dumps({"heads": [], "body": "", "end": False, "rst": 1})}:
            return None
    if all(want["streams"].get(k) == got["streams"].get(k) or go_frame_refused(by) for k, by in
           ((str(s["sid"]), s) for s in case["streams"])):
        return ("the reset of a head Go's framer refused went out before its connection error's GOAWAY or not "
                "(Go's writer races its reader; both happen under caddy 2.6.2); the GOAWAY is the same")
    return None


# ---- driver ----

def compare(case, want, got):
    """[(stream or 'conn', reason-or-None, caddy, gatehouse)] for every difference."""
    diffs = []
    by_sid = {str(s["sid"]): s for s in case["streams"]}
    whole = known_connection_end(case, want, got)
    if whole:
        return [("conn", whole, {"goaway": want["goaway"]}, {"goaway": got["goaway"]})]
    for sid in sorted(set(want["streams"]) | set(got["streams"])):
        w, g = want["streams"].get(sid), got["streams"].get(sid)
        if w != g:
            reason = known(by_sid[sid], w or {}, g or {}) if sid in by_sid else None
            diffs.append((sid, reason, w, g))
    if want["goaway"] != got["goaway"] or want["alive"] != got["alive"]:
        reasons = {d[1] for d in diffs}
        reason = next(iter(reasons)) if len(reasons) == 1 and None not in reasons else None
        diffs.append(("conn", reason, {"goaway": want["goaway"], "alive": want["alive"]},
                      {"goaway": got["goaway"], "alive": got["alive"]}))
    return diffs


def start_gatehouse(binary, caddyfile, ports, tmp):
    path = os.path.join(tmp, "gatehouse.Caddyfile")
    with open(path, "w") as f:
        f.write(caddyfile)
    env = dict(os.environ, HOME=tmp, XDG_DATA_HOME=os.path.join(tmp, "data"),
               XDG_CONFIG_HOME=os.path.join(tmp, "config"))
    log = open(os.path.join(tmp, "gatehouse.log"), "w")
    proc = subprocess.Popen([binary, "run", "--config", path, "--adapter", "caddyfile"], stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    deadline = time.time() + 20
    waiting = list(ports)
    while waiting and time.time() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", waiting[0]), timeout=1).close()
            waiting.pop(0)
        except OSError:
            time.sleep(0.05)
    return proc, log, not waiting


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gatehouse")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--cases", type=int, default=40)
    ap.add_argument("--time-limit", type=float, default=0)
    ap.add_argument("--out")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    if shutil.which("caddy") is None:
        print("skip: caddy not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="gh-h2fuzz-")
    upstreams = CompatUpstreams([{"kind": "echo", "name": "up"}])
    ca = tls_pki.make_ca(tmp)
    crt, key = tls_pki.make_leaf(tmp, "leaf", ["DNS:localhost", "IP:127.0.0.1"], ca)
    ports = {"caddy": (free_port(), free_port()), "gatehouse": (free_port(), free_port())}
    up = upstreams.addresses[0]

    def caddyfile(p):
        return CADDYFILE % {"h2c": p[0], "tls": p[1], "crt": crt, "key": key, "upstream": up}

    peer = None
    gh, log = None, None
    unexpected = known_n = unstable = total = 0
    started = time.time()
    try:
        peer = CaddyPeer(caddyfile(ports["caddy"]), list(ports["caddy"]), name="h2fuzz")
        gh, log, up_ok = start_gatehouse(args.gatehouse, caddyfile(ports["gatehouse"]), ports["gatehouse"], tmp)
        if not up_ok:
            print("FAIL: gatehouse did not start")
            return 1
        norm = {"caddy": [(up.rsplit(":", 1)[1], "{UPSTREAM}"), (ports["caddy"][0], "{H2C}"),
                          (ports["caddy"][1], "{TLS}")],
                "gatehouse": [(up.rsplit(":", 1)[1], "{UPSTREAM}"), (ports["gatehouse"][0], "{H2C}"),
                              (ports["gatehouse"][1], "{TLS}")]}
        for seed in range(args.seed, args.seed + args.seeds):
            if args.time_limit and time.time() - started > args.time_limit:
                print("time limit reached before seed %d" % seed)
                break
            gen = Gen(random.Random(seed), random.Random("wire-%d" % seed))
            for n in range(args.cases):
                case = gen.case()
                total += 1
                which = 1 if case["tls"] else 0

                def run(server):
                    return run_case(ports[server][which], case, norm[server])

                want, got = run("caddy"), run("gatehouse")
                diffs = compare(case, want, got)
                if diffs and any(d[1] is None for d in diffs):
                    # Go's answers can race with its resets: gatehouse passes when it matches
                    # any of a few runs of caddy; a case caddy answers differently each time
                    # and gatehouse matches none of is counted apart.
                    seen = [want]
                    for _ in range(3):
                        seen.append(run("caddy"))
                        if seen[-1] == got:
                            break
                    if got in seen:
                        continue
                    if any(other != want for other in seen):
                        unstable += 1
                        if args.verbose:
                            print("seed %d case %d: caddy unstable, gatehouse matched none of its answers" % (seed, n))
                            for sid, _, w, g in compare(case, want, got):
                                print("  [%s] caddy:     %s\n  [%s] gatehouse: %s" % (sid, json.dumps(w)[:400], sid,
                                                                                      json.dumps(g)[:400]))
                        continue
                    got = run("gatehouse")
                    diffs = compare(case, want, got)
                if not diffs:
                    continue
                bad = [d for d in diffs if d[1] is None]
                if not bad:
                    known_n += 1
                    if args.verbose:
                        print("seed %d case %d: known: %s" % (seed, n, "; ".join(sorted({d[1] for d in diffs}))))
                    continue
                unexpected += 1
                print("DIFF seed %d case %d (%s):" % (seed, n, "h2" if case["tls"] else "h2c"))
                if case["wire"]:
                    print("  wire: %s" % case["wire"])
                for s in case["streams"]:
                    print("  stream %d: %s body=%s data=%s trailers=%s extra=%s rst=%s" % (
                        s["sid"], s["fields"], s["body"], s["data"], s["trailers"], s["extra"], s["client_rst"]))
                for sid, _, w, g in bad:
                    print("  [%s] caddy:     %s\n  [%s] gatehouse: %s" % (sid, json.dumps(w)[:700], sid,
                                                                          json.dumps(g)[:700]))
                if args.out:
                    os.makedirs(args.out, exist_ok=True)
                    with open(os.path.join(args.out, "h2-fuzz-%d-%d.json" % (seed, n)), "w") as f:
                        json.dump({"case": {"tls": case["tls"], "streams": case["streams"], "wire": case["wire"],
                                            "frames": [fr.hex() for fr in case["frames"]]},
                                   "caddy": want, "gatehouse": got}, f, indent=1)
    finally:
        if peer:
            peer.stop()
        if gh and gh.poll() is None:
            gh.terminate()
            try:
                gh.wait(10)
            except subprocess.TimeoutExpired:
                gh.kill()
                gh.wait(5)
        if log:
            log.close()
        upstreams.close()
        if unexpected and args.verbose:
            with open(os.path.join(tmp, "gatehouse.log")) as f:
                print("--- gatehouse log (last lines) ---\n" + "".join(f.readlines()[-20:]))
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d cases: %d unexpected differences, %d known, %d where caddy disagreed with itself (%.1f s)"
          % (total, unexpected, known_n, unstable, time.time() - started))
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
