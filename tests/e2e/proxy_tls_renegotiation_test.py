#!/usr/bin/env python3
"""End-to-end: reverse_proxy's `transport http { tls_renegotiation never|once|freely }`
against a real TLS 1.2 upstream that renegotiates mid-request, compared with caddy 2.6.2.

The upstream is `openssl s_server -tls1_2` driven through its stdin: once the proxied
request has arrived, each "r" line makes it send a HelloRequest (a server-initiated
renegotiation), and the text written after them is the HTTP response. Go's client (Caddy)
fails the connection on a renegotiation it refuses, so the request gets a 502; one it
accepts completes and the response arrives. Expected, for 1 and 2 renegotiations:
never 502/502, once 200/502, freely 200/200; caddy 2.6.2 must agree on each.
Usage: proxy_tls_renegotiation_test.py <path-to-gatehouse>
"""
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
import tls_pki  # noqa: E402

FAILURES = []
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


class RenegotiatingUpstream:
    """One `openssl s_server` connection: waits for the request, renegotiates `count` times,
    then answers. Every wait is bounded."""

    def __init__(self, cert, key):
        self.port = harness.free_port()
        self.proc = subprocess.Popen(
            ["openssl", "s_server", "-accept", "127.0.0.1:%d" % self.port, "-tls1_2", "-cert", cert, "-key", key,
             "-naccept", "1"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.output = b""
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        self._wait_for(b"ACCEPT", 10)

    def _read(self):
        for line in iter(self.proc.stdout.readline, b""):
            with self.lock:
                self.output += line

    def _wait_for(self, marker, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            with self.lock:
                if marker in self.output:
                    return True
            time.sleep(0.05)
        return False

    def serve(self, count):
        if not self._wait_for(b"GET /", 10):
            return
        try:
            for _ in range(count):
                self.proc.stdin.write(b"r\n")
                self.proc.stdin.flush()
                time.sleep(0.8)  # the client's new handshake completes meanwhile
            self.proc.stdin.write(RESPONSE)
            self.proc.stdin.flush()
        except OSError:
            pass  # s_server already gone: the client dropped the connection

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def request(port):
    """GET / through the proxy: (status, body), status 0 when the connection failed."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        c.request("GET", "/")
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, body
    except (OSError, http.client.HTTPException):
        return 0, b""


def caddyfile(port, upstream_port, mode):
    option = "\n\t\t\ttls_renegotiation %s" % mode if mode else ""
    return ("{\n\tadmin off\n\tauto_https off\n}\n"
            ":%d {\n\treverse_proxy https://127.0.0.1:%d {\n\t\ttransport http {\n"
            "\t\t\ttls_insecure_skip_verify%s\n\t\t}\n\t}\n}\n") % (port, upstream_port, option)


def wait_listening(port, proc, seconds=15):
    deadline = time.time() + seconds
    while time.time() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def run_once(server, tmp, cert, key, mode, count):
    """Serves one request through `server` ("gatehouse" binary path or "caddy"); returns the status."""
    upstream = RenegotiatingUpstream(cert, key)
    port = harness.free_port()
    cfg = os.path.join(tmp, "Caddyfile")
    with open(cfg, "w") as f:
        f.write(caddyfile(port, upstream.port, mode))
    drain = None
    if server == "caddy":
        proc = subprocess.Popen(["caddy", "run", "--config", cfg, "--adapter", "caddyfile"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                env=dict(os.environ, HOME=tmp, XDG_DATA_HOME=tmp, XDG_CONFIG_HOME=tmp))
    else:
        proc, _, drain, _ = harness.start(server, cfg, adapter="caddyfile", workers=1)
    try:
        if not wait_listening(port, proc):
            check(False, "%s did not start for %s" % (server, mode))
            return None
        t = threading.Thread(target=upstream.serve, args=(count,), daemon=True)
        t.start()
        status, body = request(port)
        t.join(15)
        if status == 200:
            check(body == b"ok", "%s %s x%d: body %r" % (server, mode, count, body))
        return status
    finally:
        upstream.close()
        if drain is not None:
            harness.stop(proc, drain)
        else:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def main():
    binary = sys.argv[1]
    if shutil.which("openssl") is None:
        print("SKIP: openssl CLI missing")
        return 77
    tmp = tempfile.mkdtemp(prefix="gh-reneg-")
    try:
        ca = tls_pki.make_ca(tmp)
        cert, key = tls_pki.make_leaf(tmp, "upstream", ["IP:127.0.0.1"], ca)
        have_caddy = shutil.which("caddy") is not None
        expected = {("", 1): 502, ("never", 1): 502, ("once", 1): 200, ("once", 2): 502, ("freely", 1): 200,
                    ("freely", 2): 200}
        for (mode, count), want in expected.items():
            got = run_once(binary, tmp, cert, key, mode, count)
            print("gatehouse %-6s x%d -> %s" % (mode or "(none)", count, got), flush=True)
            check(got == want, "gatehouse %s x%d: status %s, want %d" % (mode or "(default)", count, got, want))
            if have_caddy:
                ref = run_once("caddy", tmp, cert, key, mode, count)
                print("caddy     %-6s x%d -> %s" % (mode or "(none)", count, ref), flush=True)
                check(ref == got, "caddy %s x%d: status %s, gatehouse %s" % (mode or "(default)", count, ref, got))
        # No renegotiation at all: every mode serves the request.
        got = run_once(binary, tmp, cert, key, "never", 0)
        check(got == 200, "gatehouse never x0: status %s, want 200" % got)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
