#!/usr/bin/env python3
"""Active health checks of HTTP/2 upstreams, against caddy 2.6.2.

Caddy 2.6.2 checks through the handler's transport: an `h2c://` upstream (or `versions
h2c`) is checked with HTTP/2 prior knowledge, a TLS upstream with ALPN h2 offered (its
default `versions 1.1 2`). Gatehouse checked both over HTTP/1.1, so an upstream speaking
only HTTP/2 (a gRPC server) failed every check and every request got 503. Here the
upstreams are raw-frame HTTP/2 servers (h2_script_upstream.py) that speak nothing else,
one cleartext, one TLS offering only h2; both servers run the same Caddyfile and must give
the same answers: the check with health_body matching passes (requests reach the
upstream), with a body that does not match fails (503), as does one past health_timeout
(its stream reset, the connection kept), a 300 KB answer matched at its end (past any
64 KiB window) and a gzip answer decoded; the checks arrive as HTTP/2
(prior knowledge, or ALPN h2); a TLS upstream that selects HTTP/1.1 is still checked.
Usage: h2_health_check_vs_caddy_test.py <path-to-gatehouse>
"""
import gzip
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
import tls_pki  # noqa: E402
from caddy_peer import CaddyPeer  # noqa: E402
from h2_script_upstream import ScriptedH2Upstream  # noqa: E402
from harness import check, finish, free_port, wait_port  # noqa: E402

CADDYFILE = """{
	admin off
	skip_install_trust
	default_bind 127.0.0.1
}
:%(good)d {
	reverse_proxy h2c://127.0.0.1:%(h2c)d {
		health_uri /health
		health_interval 200ms
		health_body ^ok$
	}
}
:%(bad)d {
	reverse_proxy 127.0.0.1:%(h2c)d {
		transport http {
			versions h2c
		}
		health_uri /health
		health_interval 200ms
		health_body nope
	}
}
:%(tls)d {
	reverse_proxy https://127.0.0.1:%(h2tls)d {
		transport http {
			tls_insecure_skip_verify
		}
		health_uri /health
		health_interval 200ms
		health_body ^ok$
	}
}
:%(slow)d {
	reverse_proxy h2c://127.0.0.1:%(slowup)d {
		health_uri /health
		health_interval 200ms
		health_timeout 300ms
	}
}
:%(big)d {
	reverse_proxy h2c://127.0.0.1:%(bigup)d {
		health_uri /health
		health_interval 200ms
		health_body END$
	}
}
:%(gz)d {
	reverse_proxy h2c://127.0.0.1:%(gzup)d {
		health_uri /health
		health_interval 200ms
		health_body "^healthy ok$"
	}
}
:%(h1tls)d {
	reverse_proxy https://127.0.0.1:%(h1up)d {
		transport http {
			tls_insecure_skip_verify
		}
		health_uri /health
		health_interval 200ms
		health_body ^ok$
	}
}
"""
SITES = ("good", "bad", "tls", "slow", "big", "gz", "h1tls")


class H1TlsUpstream:
    """TLS offering only http/1.1 (what a check falls back to); answers "ok" to each request
    on a connection of its own and records the ALPN selected."""

    def __init__(self, ctx):
        self.ctx, self.alpns = ctx, []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            conn.settimeout(10)
            conn = self.ctx.wrap_socket(conn, server_side=True)
            self.alpns.append(conn.selected_alpn_protocol())
            data = b""
            while b"\r\n\r\n" not in data:
                piece = conn.recv(4096)
                if not piece:
                    return
                data += piece
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        except OSError:
            pass
        finally:
            conn.close()


def get(port):
    r = subprocess.run(["curl", "-s", "--max-time", "5", "-o", "-", "-w", " %{http_code}",
                        "http://127.0.0.1:%d/x" % port], capture_output=True, timeout=10)
    return r.stdout.decode(errors="replace")


def answers(ports):
    """Each site's answer once the checks settled (a few rounds at 200 ms)."""
    time.sleep(1.5)
    return {site: get(ports[site]) for site in SITES}


def main():
    if len(sys.argv) < 2:
        print("usage: h2_health_check_vs_caddy_test.py <gatehouse>")
        return 2
    if shutil.which("caddy") is None or shutil.which("curl") is None:
        print("skip: caddy or curl not installed")
        return 77
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="gh-h2hc-")
    ca = tls_pki.make_ca(tmp)
    crt, key = tls_pki.make_leaf(tmp, "leaf", ["DNS:localhost", "IP:127.0.0.1"], ca)

    def server_ctx(alpn):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        ctx.set_alpn_protocols(alpn)
        return ctx

    results = {}
    gh = None
    try:
        for name in ("caddy", "gatehouse"):
            h2c = ScriptedH2Upstream(body=b"ok")
            h2tls = ScriptedH2Upstream(body=b"ok", tls=server_ctx(["h2"]))
            h1up = H1TlsUpstream(server_ctx(["http/1.1"]))
            slowup = ScriptedH2Upstream(body=b"ok", delay=1.0)
            bigup = ScriptedH2Upstream(body=b"x" * 300000 + b"END")  # past a 64 KiB window
            gzup = ScriptedH2Upstream(body=gzip.compress(b"healthy ok"), fields=[("content-encoding", "gzip")])
            ports = {site: free_port() for site in SITES}
            cfg = CADDYFILE % dict(ports, h2c=h2c.port, h2tls=h2tls.port, h1up=h1up.port, slowup=slowup.port, bigup=bigup.port, gzup=gzup.port)
            if name == "caddy":
                peer = CaddyPeer(cfg, list(ports.values()), name="h2hc")
                try:
                    results[name] = answers(ports)
                finally:
                    peer.stop()
            else:
                path = os.path.join(tmp, "Caddyfile")
                with open(path, "w") as f:
                    f.write(cfg)
                gh = subprocess.Popen([binary, "run", "--config", path, "--adapter", "caddyfile", "--workers", "2"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      stdin=subprocess.DEVNULL)
                check(all(wait_port(p, gh) for p in ports.values()), "gatehouse listens")
                results[name] = answers(ports)
            # Every check and request reached the HTTP/2 upstreams as HTTP/2: the cleartext
            # one reads the preface first, the TLS one closes a connection without h2.
            check(h2c.requests >= 4, "%s: h2c checks arrive as HTTP/2 (%d requests)" % (name, h2c.requests))
            check(h2tls.alpns and set(h2tls.alpns) == {"h2"} and h2tls.requests >= 2,
                  "%s: TLS checks offer and select h2 (%s, %d requests)" % (name, h2tls.alpns, h2tls.requests))
            check(h1up.alpns and set(h1up.alpns) == {"http/1.1"},
                  "%s: a TLS upstream selecting http/1.1 is checked over it (%s)" % (name, h1up.alpns[:3]))
            # A check past health_timeout: its stream is reset, the connection kept.
            check(slowup.connections == 1 and slowup.requests >= 3,
                  "%s: timed-out checks on one kept connection (%d connections, %d requests)"
                  % (name, slowup.connections, slowup.requests))
            for up in (h2c, h2tls, slowup, bigup, gzup):
                up.close()
            h1up.sock.close()
            if gh is not None:
                gh.terminate()
                gh.wait(10)
        want = {"good": "ok 200", "bad": " 503", "tls": "ok 200", "slow": " 503", "big": None, "gz": "healthy ok 200",
                "h1tls": "ok 200"}
        for r in results.values():
            # The verdict shows in the status; the proxied copy of that upstream's answer
            # (which ignores flow control) is cut by a client with a smaller window than Go's.
            r["big"] = r["big"].split(" ")[-1]
        want["big"] = "200"
        check(results["caddy"] == want, "caddy answers as expected: %r" % results["caddy"])
        check(results["gatehouse"] == results["caddy"], "gatehouse answers as caddy: %r" % results["gatehouse"])
    finally:
        if gh is not None and gh.poll() is None:
            gh.kill()
            gh.wait(5)
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
