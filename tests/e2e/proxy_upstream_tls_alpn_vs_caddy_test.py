#!/usr/bin/env python3
"""What a TLS upstream sees offered in ALPN, from caddy 2.6.2 and from gatehouse alike: the
upstream selects http/1.1 when it is offered and reports what it selected (None when the
client offered nothing). Go's transport offers h2 and http/1.1 when the handler's versions
include 2, and nothing at all for an HTTP/1.1-only transport (`versions 1.1`) or for an
upgrade request (a WebSocket handshake), which must go over HTTP/1.1.
Usage: proxy_upstream_tls_alpn_vs_caddy_test.py <gatehouse>
"""
import os
import shutil
import socket
import ssl
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, finish  # noqa: E402
from caddy_peer import serving  # noqa: E402
from accept_loop import AcceptLoop  # noqa: E402
import ports  # noqa: E402
import tls_pki  # noqa: E402


class AlpnUpstream(AcceptLoop):
    """HTTP/1.1 over TLS; each answer names the protocol ALPN selected on its connection."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _serve(self, conn):
        try:
            with self.ctx.wrap_socket(conn, server_side=True) as tls:
                tls.settimeout(10)
                selected = tls.selected_alpn_protocol()
                buf = b""
                while True:
                    while b"\r\n\r\n" not in buf:
                        chunk = tls.recv(65536)
                        if not chunk:
                            return
                        buf += chunk
                    head, _, buf = buf.partition(b"\r\n\r\n")
                    body = ("alpn=%s" % selected).encode()
                    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
                                % (len(body), body))
        except (OSError, ssl.SSLError):
            pass


def caddyfile(sites, upstream):
    return """{
	admin off
	auto_https off
	skip_install_trust
}
:%d {
	reverse_proxy https://127.0.0.1:%d {
		transport http {
			tls_insecure_skip_verify
			versions 1.1
		}
	}
}
:%d {
	reverse_proxy https://127.0.0.1:%d {
		transport http {
			tls_insecure_skip_verify
		}
	}
}
:%d {
	reverse_proxy https://127.0.0.1:%d {
		transport http {
			tls_insecure_skip_verify
		}
	}
}
""" % (sites["h1"], upstream, sites["default"], upstream, sites["ws"], upstream)


def get(port, path, upgrade=False):
    """The protocol the upstream reports for a GET (a WebSocket handshake with `upgrade`)."""
    fields = (b"Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n") if upgrade else b"Connection: close\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: example.test\r\n%s\r\n" % (path.encode(), fields))
        data = b""
        while not data.rstrip().endswith((b"alpn=None", b"alpn=h2", b"alpn=http/1.1")):
            try:
                chunk = s.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    return data.partition(b"alpn=")[2].strip().decode() if b"alpn=" in data else "no answer"


def main():
    binary = sys.argv[1]
    if shutil.which("caddy") is None:
        print("caddy not installed: skipped")
        return 77
    with tempfile.TemporaryDirectory(prefix="gatehouse-alpn-") as tmp:
        ca = tls_pki.make_ca(tmp)
        cert, key = tls_pki.make_leaf(tmp, "up", ["IP:127.0.0.1"], ca)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        ctx.set_alpn_protocols(["http/1.1"])
        upstream = AlpnUpstream(ctx)
        answers = {}
        for who in ("caddy", "gatehouse"):
            # The upgrade has a site of its own: its dial is the first (Gatehouse would reuse an
            # idle pooled connection for it, where Go dials one of its own).
            sites = {"h1": ports.free_port(), "default": ports.free_port(), "ws": ports.free_port()}
            with serving(who, binary, caddyfile(sites, upstream.port), list(sites.values())):
                answers[who] = {
                    "versions 1.1": get(sites["h1"], "/a"),
                    "default versions": get(sites["default"], "/b"),
                    "default versions, upgrade": get(sites["ws"], "/ws", upgrade=True),
                }
        upstream.close()
    want = {"versions 1.1": "None", "default versions": "http/1.1", "default versions, upgrade": "None"}
    for case, expected in want.items():
        check(answers["caddy"][case] == expected, "caddy, %s: the upstream selected %s (%s expected)"
              % (case, answers["caddy"][case], expected))
        check(answers["gatehouse"][case] == answers["caddy"][case], "gatehouse, %s: the upstream selected %s "
              "(caddy: %s)" % (case, answers["gatehouse"][case], answers["caddy"][case]))
    return finish()


if __name__ == "__main__":
    sys.exit(main())
