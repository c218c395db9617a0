#!/usr/bin/env python3
"""WebSocket over HTTP/2 (RFC 8441 extended CONNECT) proxied to an HTTP/1.1 WebSocket
upstream, on the seed config (examples/lobechat.Caddyfile: `@websocket header Connection
*Upgrade* / header Upgrade websocket`), over h2c and h2 over TLS:

- the upstream sees an RFC 6455 handshake (GET <:path>, Upgrade/Connection, a fresh key,
  version 13, Host from :authority, subprotocol and extensions offers passed on), and the
  client gets a 200 with the upstream's Sec-WebSocket-Protocol/Extensions (no 101, no accept);
- frames pass byte-exact both ways, including a 1 MB message, within the flow-control windows;
- back-pressure: a client that grants no window holds the upstream back, and gets every byte
  once it reads again;
- END_STREAM -> upstream half-close -> upstream close -> END_STREAM;
- a client RST_STREAM closes the upstream connection;
- an upstream 403 is passed through as a normal response; a bad Sec-WebSocket-Accept is a 502.
"""
import hashlib
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import tls_pki  # noqa: E402
from harness import check  # noqa: E402
from ws_h2_peers import H2WsClient, WsUpstream, ws_frame  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def caddyfile(tmp, up, plain_port, tls_port):
    """The seed config, its site served on an h2c port and a TLS port."""
    with open(os.path.join(REPO, "examples", "lobechat.Caddyfile")) as f:
        text = f.read()
    check("@websocket {" in text and "reverse_proxy @websocket 127.0.0.1:3210" in text, "seed config's @websocket")
    ca, ca_key = tls_pki.make_ca(tmp)
    crt, key = tls_pki.make_leaf(tmp, "leaf", ["IP:127.0.0.1", "DNS:chat.test"], (ca, ca_key))
    text = text.replace("127.0.0.1:3210", "127.0.0.1:%d" % up.port)
    block = text[text.index("chat.example.com {"):]
    # The same site twice: an HTTP server cannot also carry TLS policies (as in Caddy).
    text = block.replace("chat.example.com {", "http://chat.test:%d {\n\tbind 127.0.0.1" % plain_port) + "\n" + \
        block.replace("chat.example.com {", "https://chat.test:%d {\n\tbind 127.0.0.1\n\ttls %s %s" %
                      (tls_port, crt, key))
    glob = "{\n\tadmin off\n\tauto_https off\n\tservers {\n\t\tprotocols h1 h2 h2c\n\t}\n}\n"
    path = os.path.join(tmp, "Caddyfile")
    with open(path, "w") as f:
        f.write(glob + text)
    return path, ca


def connect(port, ca):
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    if ca is None:
        return raw, "http"
    ctx = ssl.create_default_context(cafile=ca)
    ctx.set_alpn_protocols(["h2"])
    s = ctx.wrap_socket(raw, server_hostname="chat.test")
    check(s.selected_alpn_protocol() == "h2", "ALPN h2")
    return s, "https"


def exchange(c, sid, payload, opcode=0x2):
    """Sends one masked frame; True if exactly its unmasked form comes back."""
    c.send(sid, ws_frame(payload, opcode, os.urandom(4)))
    want = ws_frame(payload, opcode)
    return c.read(sid, len(want), timeout=60) == want


def run(port, ca, up, label):
    sock, scheme = connect(port, ca)
    c = H2WsClient(sock)
    check(c.peer_settings.get(8) == 1, label + ": SETTINGS_ENABLE_CONNECT_PROTOCOL=1")
    heads = len(up.heads)
    tag = label + "-echo"
    sid = c.open("/chat/ws?tag=" + tag, "chat.test", scheme,
                 [("sec-websocket-protocol", "chat, superchat"), ("sec-websocket-extensions", "x-test; a=1"),
                  ("origin", "https://chat.test")])
    got = dict(c.streams[sid].headers or [])
    check(got.get(":status") == "200", label + ": 200 to the extended CONNECT: %r" % got)
    check(got.get("sec-websocket-protocol") == "chat", label + ": upstream's subprotocol passed on: %r" % got)
    check(got.get("sec-websocket-extensions") == "x-test; a=1", label + ": upstream's extensions passed on")
    check("sec-websocket-accept" not in got and "upgrade" not in got and "connection" not in got,
          label + ": no HTTP/1.1 handshake fields in the 200: %r" % got)
    line, fields = up.heads[heads] if len(up.heads) > heads else ("", {})
    check(line == "GET /chat/ws?tag=%s HTTP/1.1" % tag, label + ": upstream request line %r" % line)
    check(fields.get("host") == "chat.test", label + ": Host from :authority: %r" % fields.get("host"))
    check(fields.get("upgrade") == "websocket" and fields.get("connection", "").lower() == "upgrade",
          label + ": Upgrade/Connection upstream: %r" % fields)
    check(fields.get("sec-websocket-version") == "13" and len(fields.get("sec-websocket-key", "")) == 24,
          label + ": key and version upstream")
    check(fields.get("sec-websocket-protocol") == "chat, superchat", label + ": subprotocol offer passed on")
    check(fields.get("origin") == "https://chat.test", label + ": other fields passed on")
    check("transfer-encoding" not in fields and "content-length" not in fields, label + ": no body framing upstream")
    check(exchange(c, sid, b"hello over h2", 0x1), label + ": text frame echoed byte-exact")
    big = os.urandom(1 << 20)
    check(exchange(c, sid, big), label + ": 1 MB binary message echoed byte-exact")
    check((tag, 0x2, hashlib.sha256(big).hexdigest()) in up.received, label + ": upstream got the 1 MB message intact")
    # Half-close: END_STREAM reaches the upstream as EOF; its last frame and its close follow.
    c.send(sid, b"", end=True)
    last = ws_frame(b"upstream saw EOF", 0x1)
    check(c.read(sid, len(last)) == last, label + ": upstream still talks after our half-close")
    c.pump(lambda: c.streams[sid].ended or c.streams[sid].reset is not None, 10)
    check(c.streams[sid].ended and c.streams[sid].reset is None, label + ": upstream close -> END_STREAM")
    check(not c.flow_errors, label + ": server kept within our windows: %r" % c.flow_errors)

    # A second stream on the same connection: a client reset closes the upstream connection.
    tag = label + "-reset"
    sid = c.open("/ws?tag=" + tag, "chat.test", scheme)
    check(c.status(sid) == "200" and exchange(c, sid, b"before reset"), label + ": second stream works")
    c.reset(sid)
    deadline = time.time() + 5
    while tag not in up.ended and time.time() < deadline:
        time.sleep(0.05)
    check(tag in up.ended, label + ": client RST_STREAM closed the upstream connection")

    # An upstream refusal is an ordinary response.
    sid = c.open("/deny", "chat.test", scheme)
    c.pump(lambda: c.streams[sid].ended or c.streams[sid].reset is not None, 10)
    got = dict(c.streams[sid].headers or [])
    check(got.get(":status") == "403" and got.get("x-upstream") == "denied", label + ": 403 passed on: %r" % got)
    check(bytes(c.streams[sid].data) == b"forbidden here", label + ": 403 body passed on")
    sid = c.open("/badaccept", "chat.test", scheme)
    c.pump(lambda: c.streams[sid].ended or c.streams[sid].reset is not None, 10)
    check(c.status(sid) == "502", label + ": wrong Sec-WebSocket-Accept -> 502: %r" % c.streams[sid].headers)
    c.close()

    # Back-pressure: a client that grants no window holds the upstream's flood back.
    sock, scheme = connect(port, ca)
    c = H2WsClient(sock, auto_window=False)
    tag = label + "-flood"
    total = 48 << 20
    sid = c.open("/flood?n=%d&tag=%s" % (total, tag), "chat.test", scheme)
    check(c.status(sid) == "200", label + ": flood stream open")
    time.sleep(1.5)
    held = up.flood_sent.get(tag, 0)
    check(held < 12 << 20, label + ": upstream held back while the client reads nothing (%d bytes sent)" % held)
    got = 0
    deadline = time.time() + 120
    while got < total and time.time() < deadline and not c.streams[sid].reset:
        c._frames(0.5)
        n = len(c.streams[sid].data)
        if n:
            got += n
            c.streams[sid].data.clear()
            c.grant(sid, n)
    check(got == total, label + ": every flooded byte arrived once the client read (%d of %d)" % (got, total))
    check(not c.flow_errors, label + ": flood within our windows: %r" % c.flow_errors[:3])
    c.close()


def main():
    binary = sys.argv[1]
    up = WsUpstream()
    with tempfile.TemporaryDirectory() as tmp:
        plain_port, tls_port = harness.free_port(), harness.free_port()
        path, ca = caddyfile(tmp, up, plain_port, tls_port)
        out = subprocess.run([binary, "adapt", "--config", path], capture_output=True, text=True, timeout=30)
        check(out.returncode == 0, "seed config adapts: " + out.stderr[-500:])
        proc, _, drain, _ = harness.start(binary, path, adapter="caddyfile", workers=1)
        try:
            for port, ca_file, label in ((plain_port, None, "h2c"), (tls_port, ca, "h2")):
                try:
                    run(port, ca_file, up, label)
                except (OSError, TimeoutError, ValueError) as e:
                    check(False, label + ": " + repr(e))
        finally:
            failures = []
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                failures.append("gatehouse did not stop")
            report = drain.finish()
            check(not report and not failures, "clean stop: %s %s" % (failures, report or ""))
    check(not up.errors, "upstream errors: %r" % up.errors[:3])
    up.close()
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
