#!/usr/bin/env python3
"""An upstream that dies mid-stream ends the client's response visibly, never as a
silently truncated success (issue 4), on HTTP/2 (h2c and h2 over TLS) and HTTP/1.1:

- an RFC 8441 WebSocket tunnel whose HTTP/1.1 upstream resets its connection after the 101
  ends with RST_STREAM(CONNECT_ERROR) (RFC 9113 8.5: a TCP reset behind a CONNECT stream),
  after the bytes the upstream sent before; one whose upstream closes in order (FIN) ends
  with END_STREAM (the FIN's HTTP/2 form), not a reset;
- a proxied response cut short (chunked without its last chunk, 5 of 100 announced bytes,
  a close-delimited body ended by a reset) ends with RST_STREAM(INTERNAL_ERROR), as Go's
  server answers http.ErrAbortHandler; a close-delimited body ended by a FIN is complete
  (END_STREAM). Caddy 2.6.2 ends the first and third with END_STREAM (a truncated
  success: checked here against the real caddy when it is installed);
- the connection's other streams (an open WebSocket) go on working through all of it;
- over HTTP/1.1 the same WebSocket reset closes the client connection.
127.0.0.1 only.
Usage: proxy_h2_upstream_death_test.py <path-to-gatehouse>
"""
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import tls_pki  # noqa: E402
from harness import check  # noqa: E402
from ws_h2_peers import H2WsClient, WsUpstream, ws_frame  # noqa: E402

CONNECT_ERROR, INTERNAL_ERROR = 0xA, 0x2


def caddyfile(tmp, up, plain_port, tls_port, protocols="h1 h2 h2c"):
    ca, ca_key = tls_pki.make_ca(tmp)
    crt, key = tls_pki.make_leaf(tmp, "leaf", ["IP:127.0.0.1", "DNS:die.test"], (ca, ca_key))
    site = "\treverse_proxy 127.0.0.1:%d\n}\n" % up.port
    text = ("{\n\tadmin off\n\tauto_https off\n\tservers {\n\t\tprotocols %s\n\t}\n}\n" % protocols +
            "http://die.test:%d {\n\tbind 127.0.0.1\n" % plain_port + site)
    if tls_port:
        text += "https://die.test:%d {\n\tbind 127.0.0.1\n\ttls %s %s\n" % (tls_port, crt, key) + site
    path = os.path.join(tmp, "Caddyfile")
    with open(path, "w") as f:
        f.write(text)
    return path, ca


def connect(port, ca):
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    if ca is None:
        return raw, "http"
    ctx = ssl.create_default_context(cafile=ca)
    ctx.set_alpn_protocols(["h2"])
    return ctx.wrap_socket(raw, server_hostname="die.test"), "https"


def echoes(c, sid, payload):
    c.send(sid, ws_frame(payload, 0x2, os.urandom(4)))
    want = ws_frame(payload, 0x2)
    return c.read(sid, len(want), timeout=10) == want


def finished(c, sid, timeout=10):
    st = c.streams[sid]
    c.pump(lambda: st.ended or st.reset is not None, timeout)
    return st


def cuts(c, scheme, label, want_reset):
    """The four cut responses; want_reset: the codes expected per case (None: END_STREAM)."""
    for how, code in want_reset.items():
        sid = c.get("/cut?how=" + how, "die.test", scheme)
        st = finished(c, sid)
        check(c.status(sid) == "200", "%s: /cut %s: head passed on: %r" % (label, how, st.headers))
        check(bytes(st.data) == b"hello", "%s: /cut %s: the bytes before the cut arrive: %r" % (label, how, bytes(st.data)))
        if code is None:
            check(st.ended and st.reset is None, "%s: /cut %s: complete body -> END_STREAM (reset %r)"
                  % (label, how, st.reset))
        else:
            check(st.reset == code and not st.ended, "%s: /cut %s: RST_STREAM(%#x), no END_STREAM: reset %r ended %s"
                  % (label, how, code, st.reset, st.ended))


def run_h2(port, ca, label):
    sock, scheme = connect(port, ca)
    c = H2WsClient(sock)
    keep = c.open("/ws?tag=%s-keep" % label, "die.test", scheme)
    check(c.status(keep) == "200" and echoes(c, keep, b"first"), label + ": a WebSocket stream is open")

    sid = c.open("/die?how=rst&tag=%s-rst" % label, "die.test", scheme)
    check(c.status(sid) == "200", label + ": dying tunnel open")
    st = finished(c, sid)
    last = ws_frame(b"last words", 0x1)
    check(bytes(st.data) == last, label + ": the upstream's bytes before its reset arrive: %r" % bytes(st.data))
    check(st.reset == CONNECT_ERROR and not st.ended,
          label + ": upstream reset mid-tunnel -> RST_STREAM(CONNECT_ERROR), no END_STREAM: reset %r ended %s"
          % (st.reset, st.ended))
    check(echoes(c, keep, b"after a reset"), label + ": the connection's other tunnel still echoes")

    sid = c.open("/die?how=fin&tag=%s-fin" % label, "die.test", scheme)
    st = finished(c, sid)
    check(bytes(st.data) == last and st.ended and st.reset is None,
          label + ": upstream FIN mid-tunnel -> its bytes, then END_STREAM (no reset): reset %r ended %s"
          % (st.reset, st.ended))
    c.send(sid, b"", end=True)  # our half-close ends the tunnel
    check(echoes(c, keep, b"after a fin"), label + ": the other tunnel still echoes")

    cuts(c, scheme, label, {"chunked": INTERNAL_ERROR, "short": INTERNAL_ERROR, "eofrst": INTERNAL_ERROR,
                            "eoffin": None})
    check(echoes(c, keep, b"after the cut responses"), label + ": the other tunnel outlived them all")
    check(c.goaway is None, label + ": no GOAWAY: the connection stays usable")
    check(not c.flow_errors, label + ": within our windows: %r" % c.flow_errors[:3])
    c.close()


def run_h1(port):
    """HTTP/1.1: the WebSocket whose upstream resets closes the client connection."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /die?how=rst HTTP/1.1\r\nHost: die.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
              b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
    got, closed = b"", False
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            d = s.recv(65536)
        except OSError:
            closed = True
            break
        if not d:
            closed = True
            break
        got += d
    s.close()
    check(got.startswith(b"HTTP/1.1 101") and got.endswith(ws_frame(b"last words", 0x1)),
          "h1: 101 and the upstream's last frame: %r" % got[-40:])
    check(closed, "h1: upstream reset mid-tunnel closes the client connection")


def caddy_oracle(up):
    """What caddy 2.6.2 sends for the same cut responses over h2c (for the record)."""
    caddy = shutil.which("caddy")
    if caddy is None:
        print("skip: no caddy to compare with", flush=True)
        return
    with tempfile.TemporaryDirectory() as tmp:
        port = harness.free_port()
        path, _ = caddyfile(tmp, up, port, None)
        env = dict(os.environ, HOME=tmp, XDG_DATA_HOME=tmp, XDG_CONFIG_HOME=tmp)
        proc = subprocess.Popen([caddy, "run", "--config", path, "--adapter", "caddyfile"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 15
            while time.time() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            c = H2WsClient(socket.create_connection(("127.0.0.1", port), timeout=10))
            # Go ends a body its handler gave up on with END_STREAM: what this test refuses.
            cut = {}
            for how in ("chunked", "eofrst", "eoffin"):
                st = finished(c, c.get("/cut?how=" + how, "die.test", "http"))
                cut[how] = "reset %#x" % st.reset if st.reset is not None else "END_STREAM"
            print("caddy 2.6.2 h2c: %r" % cut, flush=True)
            check(cut["eoffin"] == "END_STREAM", "caddy: a close-delimited body ended by a FIN is complete too")
            c.close()
        finally:
            proc.terminate()
            proc.wait(15)


def main():
    binary = sys.argv[1]
    up = WsUpstream()
    with tempfile.TemporaryDirectory() as tmp:
        plain_port, tls_port = harness.free_port(), harness.free_port()
        path, ca = caddyfile(tmp, up, plain_port, tls_port)
        proc, _, drain, _ = harness.start(binary, path, adapter="caddyfile", workers=1)
        try:
            for port, ca_file, label in ((plain_port, None, "h2c"), (tls_port, ca, "h2")):
                try:
                    run_h2(port, ca_file, label)
                except (OSError, TimeoutError, ValueError) as e:
                    check(False, label + ": " + repr(e))
            run_h1(plain_port)
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
            report = drain.finish()
            check(not report, "clean stop: %s" % (report or ""))
    try:
        caddy_oracle(up)
    except (OSError, TimeoutError, ValueError) as e:
        check(False, "caddy oracle: " + repr(e))
    up.close()
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
