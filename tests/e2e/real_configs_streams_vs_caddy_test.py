#!/usr/bin/env python3
"""WebSocket upgrades and server-sent events through the Caddyfiles that projects' docs give
(Vaultwarden's notifications hub, Home Assistant, Uptime Kuma's socket.io, Open WebUI with
`flush_interval -1`, LobeChat's `encode zstd gzip` front), gatehouse against caddy 2.6.2 on
the same Caddyfile and the same upstream.

The compat cases `real_*` compare the answers a request/response runner can see; this test
covers what it cannot: a 101 whose tunnel then carries frames both ways (the upstream echoes
each frame; the client sends masked ones, reads the answers, closes), and the timing of
events an upstream writes 0.4 s apart (each must reach the client before the next is
written, through `encode` too). Compared with caddy: the 101 head (fields other than
Date/Server), what the upstream received in the handshake, the frames echoed, and the event
payloads (decoded).
Usage: real_configs_streams_vs_caddy_test.py <path-to-gatehouse>   (exit 77 without caddy)
"""
import base64
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zlib

sys.dont_write_bytecode = True
from caddy_peer import CaddyPeer  # noqa: E402
from harness import check, finish, free_port, wait_port  # noqa: E402
from proxy_upstreams import read_exact, ws_frame  # noqa: E402
from raw_http_upstream import RawHttpUpstream, head_fields, request_line  # noqa: E402

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC11B85"
EVENT_GAP = 0.4  # seconds between the upstream's events
EVENTS = 3

CADDYFILE = """{
	admin off
	auto_https off
	default_bind 127.0.0.1
	skip_install_trust
}

# Vaultwarden wiki (Caddy 2.x): notifications go to the WebSocket server
http://vault.example.test:%(front)d {
	encode zstd gzip
	header / {
		Strict-Transport-Security "max-age=31536000;"
		-Server
	}
	reverse_proxy /notifications/hub/negotiate 127.0.0.1:%(up)d
	reverse_proxy /notifications/hub 127.0.0.1:%(up)d
	reverse_proxy 127.0.0.1:%(up)d {
		header_up X-Real-IP {remote_host}
	}
}

# Home Assistant and Uptime Kuma: a plain reverse_proxy carries their WebSockets
http://homeassistant.example.test:%(front)d {
	reverse_proxy 127.0.0.1:%(up)d
}

# Open WebUI with streaming flushed at once
http://chat.example.test:%(front)d {
	reverse_proxy 127.0.0.1:%(up)d {
		flush_interval -1
		header_up X-Forwarded-Proto {scheme}
	}
}

# LobeChat's front: compression before the proxy
http://lobe.example.test:%(front)d {
	encode zstd gzip
	reverse_proxy 127.0.0.1:%(up)d
}
"""


class StreamUpstream(RawHttpUpstream):
    """Answers a WebSocket handshake with 101 and echoes each frame (unmasked) until a close
    frame; answers /sse with EVENTS chunked text/event-stream events EVENT_GAP apart (each
    with its send time), anything else with a short text. Keeps the handshake heads it saw."""

    def __init__(self):
        self.heads = []
        self.sent = {}  # event id -> time the upstream wrote it
        super().__init__(backlog=32, timeout=10)

    def answer(self, conn, head, rest):
        fields = head_fields(head)
        _, target = request_line(head)
        if fields.get("upgrade", "").lower() == "websocket":
            self.heads.append(head)
            self._websocket(conn, fields)
        elif target.startswith("/sse"):
            self._events(conn, target)
        else:
            body = b"plain " + target.encode()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
                         % (len(body), body))

    def _websocket(self, conn, fields):
        accept = base64.b64encode(hashlib.sha1(fields["sec-websocket-key"].encode() + WS_GUID).digest())
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        for _ in range(100):  # bounded: at most this many frames
            head = read_exact(conn, 2)
            if len(head) < 2:
                return
            opcode, n = head[0] & 0x0F, head[1] & 0x7F
            if n == 126:
                n = int.from_bytes(read_exact(conn, 2), "big")
            mask = read_exact(conn, 4)
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(read_exact(conn, n)))
            reply = b"echo:" + data if opcode != 0x8 else data
            conn.sendall(bytes([0x80 | opcode, len(reply)]) + reply)
            if opcode == 0x8:
                return

    def _events(self, conn, target):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        for i in range(EVENTS):
            event = b"id: %d\ndata: {\"token\": %d, \"path\": \"%s\"}\n\n" % (i, i, target.encode())
            self.sent[(target, i)] = time.time()
            conn.sendall(b"%x\r\n%s\r\n" % (len(event), event))
            time.sleep(EVENT_GAP)
        conn.sendall(b"0\r\n\r\n")


def websocket(port, host, path):
    """(101 head minus Date/Server, echoed frames) for a handshake and three frames."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = "dGhlIHNhbXBsZSBub25jZQ=="  # fixed, so both servers' 101 heads compare whole
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\nOrigin: http://%s\r\n\r\n"
               % (path, host, key, host)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf and len(buf) < 65536:
        data = s.recv(4096)
        if not data:
            break
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin1").split("\r\n")
    kept = [lines[0]] + sorted(l for l in lines[1:] if l.split(":")[0].lower() not in ("date", "server"))
    want = base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()
    frames = []
    if lines[0].startswith("HTTP/1.1 101"):
        for payload, opcode in ((b"hello", 0x1), (b"\x00\x01binary", 0x2), (b"\x03\xe8", 0x8)):
            s.sendall(ws_frame(payload, opcode))
            got = rest + read_exact(s, 2 - len(rest))
            rest = b""
            frames.append((got[0] & 0x0F, read_exact(s, got[1] & 0x7F)) if len(got) == 2 else None)
    s.close()
    return kept, frames, ("sec-websocket-accept: " + want.lower()) in [l.lower() for l in kept]


def events(port, host, path, accept_encoding, upstream):
    """(decoded body, lags): each event's arrival minus the upstream's send time."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    ae = "Accept-Encoding: %s\r\n" % accept_encoding if accept_encoding else ""
    s.sendall(("POST %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\nContent-Type: application/json\r\n"
               "%sContent-Length: 2\r\nConnection: close\r\n\r\n{}" % (path, host, ae)).encode())
    raw, arrivals = b"", []
    decoder = None
    decoded = b""
    deadline = time.time() + 10
    while time.time() < deadline:
        data = s.recv(65536)
        if not data:
            break
        raw += data
        head, sep, body = raw.partition(b"\r\n\r\n")
        if not sep:
            continue
        if decoder is None:
            coding = [l.split(b":", 1)[1].strip() for l in head.split(b"\r\n") if l.lower().startswith(b"content-encoding:")]
            decoder = ("gzip" if coding == [b"gzip"] else "zstd" if coding == [b"zstd"] else "identity")
        text = dechunk(body) if b"transfer-encoding: chunked" in head.lower() else body
        now = decode(text, decoder)
        for i in range(EVENTS):
            marker = b"id: %d\n" % i
            if marker in now and marker not in decoded:
                arrivals.append((i, time.time()))
        decoded = now
    s.close()
    lags = [t - upstream.sent.get((path, i), t) for i, t in arrivals]
    return decoded, lags, decoder


def dechunk(body):
    out = b""
    while body:
        size_line, sep, rest = body.partition(b"\r\n")
        if not sep:
            break
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0 or len(rest) < size:
            out += rest[:size] if size else b""
            break
        out += rest[:size]
        body = rest[size + 2:]
    return out


def decode(data, coding):
    """What a client can decode so far (a sync-flushed gzip/zstd stream decodes in part)."""
    if coding == "gzip":
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)
    if coding == "zstd":
        out = subprocess.run(["zstd", "-dc"], input=data, capture_output=True, timeout=10).stdout
        return out
    return data


def main():
    binary = sys.argv[1]
    if shutil.which("caddy") is None:
        print("caddy not installed")
        return 77
    up = StreamUpstream()
    cport, gport = free_port(), free_port()
    tmp = tempfile.mkdtemp(prefix="gh-realstreams-")
    path = os.path.join(tmp, "Caddyfile")
    with open(path, "w") as f:
        f.write(CADDYFILE % {"front": gport, "up": up.port})
    peer = CaddyPeer(CADDYFILE % {"front": cport, "up": up.port}, [cport], name="realstreams")
    log = open(os.path.join(tmp, "gatehouse.log"), "w")
    gh = subprocess.Popen([binary, "run", "--config", path, "--adapter", "caddyfile", "--workers", "1"],
                          stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        check(wait_port(gport, gh), "gatehouse starts")
        for host, target in (("vault.example.test", "/notifications/hub?access_token=t"),
                             ("homeassistant.example.test", "/api/websocket"),
                             ("homeassistant.example.test", "/socket.io/?EIO=4&transport=websocket")):
            before = len(up.heads)
            c_head, c_frames, c_ok = websocket(cport, host, target)
            c_up = up.heads[before:]
            before = len(up.heads)
            g_head, g_frames, g_ok = websocket(gport, host, target)
            g_up = up.heads[before:]
            check(c_ok and g_ok and c_head == g_head,
                  "%s%s: the same 101 head as caddy (caddy %r, gatehouse %r)" % (host, target, c_head, g_head))
            check(len(g_frames) == 3 and g_frames == c_frames and g_frames[0] == (1, b"echo:hello"),
                  "%s%s: frames echoed through the tunnel as through caddy (%r / %r)"
                  % (host, target, c_frames, g_frames))
            # Field order is not compared: Go's transport writes them sorted, Gatehouse in the
            # client's order (the compat runner's raw echo sorts them too).
            norm = lambda heads, port: [sorted(h.replace(":%d" % port, ":PORT").split("\r\n")) for h in heads]
            check(len(g_up) == 1 and norm(c_up, cport) == norm(g_up, gport),
                  "%s%s: the upstream got the handshake caddy sends (caddy %r, gatehouse %r)"
                  % (host, target, c_up, g_up))
        for host, target, ae in (("chat.example.test", "/sse/chat", None),
                                 ("lobe.example.test", "/sse/lobe", "gzip, deflate, br"),
                                 ("lobe.example.test", "/sse/lobe-zstd", "zstd"),
                                 ("vault.example.test", "/sse/vault", "gzip")):
            c_body, c_lags, c_coding = events(cport, host, target, ae, up)
            g_body, g_lags, g_coding = events(gport, host, target, ae, up)
            check(g_body == c_body and g_body.count(b"data: ") == EVENTS,
                  "%s%s: the events caddy passes (%r)" % (host, target, g_body[:120]))
            # Each event reaches the client well before the upstream writes the next one.
            check(len(g_lags) == EVENTS and max(g_lags) < EVENT_GAP * 0.75,
                  "%s%s (%s): every event arrives at once (lags %s; caddy %s, %s)"
                  % (host, target, g_coding, ["%.3f" % x for x in g_lags], ["%.3f" % x for x in c_lags],
                     c_coding))
    finally:
        peer.stop()
        if gh.poll() is None:
            gh.terminate()
            try:
                gh.wait(10)
            except subprocess.TimeoutExpired:
                gh.kill()
                gh.wait(5)
        log.close()
        up.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
