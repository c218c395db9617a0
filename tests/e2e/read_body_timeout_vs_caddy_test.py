"""The server's `timeouts { read_body }` (Go's ReadTimeout) over HTTP/1.1, against caddy 2.6.2:
an upload still arriving read_body after its request began is cut and the connection closed
(caddy first writes Go's default empty 200, gatehouse no answer); an upload in time passes; a long answer (a
slow upstream, an event stream) is not bounded by it; a keep-alive connection idle longer
than it still serves its next request."""
import http.server
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
from harness import check, finish, interrupt  # noqa: E402
from ports import free_port  # noqa: E402

READ_BODY = 1.0

CADDYFILE = """{
	admin off
	skip_install_trust
	servers {
		timeouts {
			read_body 1s
		}
	}
}
http://:%(port)d {
	reverse_proxy 127.0.0.1:%(up)d
}
"""


class Upstream(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path == "/slow":
            time.sleep(2.5)
            self.reply(b"slow done")
        elif self.path == "/sse":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(5):
                data = b"data: %d\n\n" % i
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
                time.sleep(0.5)
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.reply(b"ok")

    def do_POST(self):
        data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.reply(b"got %d" % len(data))

    def reply(self, body):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def exchange(port, head, pieces=(), gap=0.0, timeout=8):
    """Sends `head`, then each piece `gap` seconds apart; returns (what came back before the
    server closed or `timeout`, closed?)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(head)
        for piece in pieces:
            time.sleep(gap)
            try:
                s.sendall(piece)
            except OSError:
                break
        data = b""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                return data, False
            except OSError:
                return data, True
            if not chunk:
                return data, True
            data += chunk
            if b"0\r\n\r\n" in data or (b"Content-Length:" in data and data.endswith((b"done", b"got 10"))):
                return data, False
        return data, False
    finally:
        s.close()


def status_and_body(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    line = head.split(b"\r\n", 1)[0].decode(errors="replace")
    return line, body


def scenario(kind, binary, up_port):
    port = free_port()
    home = tempfile.mkdtemp(prefix="gh-readbody-%s-" % kind)
    path = os.path.join(home, "Caddyfile")
    with open(path, "w") as f:
        f.write(CADDYFILE % {"port": port, "up": up_port})
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=home, XDG_DATA_HOME=home)
    extra = ["--workers", "1"] if kind == "gatehouse" else []
    log = open(os.path.join(home, "log"), "w")
    proc = subprocess.Popen([binary, "run", "--config", path, "--adapter", "caddyfile", *extra], env=env,
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    label = kind + ": "
    out = {}
    try:
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        head = b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"
        t0 = time.time()
        raw, closed = exchange(port, head, [b"xxxxx", b"xxxxx"], gap=0.2)
        check(status_and_body(raw) == ("HTTP/1.1 200 OK", b"got 10"), label + "an upload in time passes: %r" % raw[:80])

        t0 = time.time()
        raw, closed = exchange(port, head, [b"xx"] * 5, gap=0.6)
        took = time.time() - t0
        # caddy's body read error cancels the request's context, its proxy gives up as for a
        # client that left, and Go then writes its default answer: an empty 200 (with
        # Connection: close). Gatehouse closes without an answer: a success status for an
        # upload that never arrived would mislead the client.
        want = ("", b"") if kind == "gatehouse" else ("HTTP/1.1 200 OK", b"")
        check(status_and_body(raw) == want and closed,
              label + "an upload past read_body is cut, the connection closed (%r, closed=%s)" % (raw[:120], closed))
        check(READ_BODY - 0.1 <= took, label + "not before read_body (%.2fs)" % took)

        raw, closed = exchange(port, b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        out["slow answer"] = status_and_body(raw)
        check(out["slow answer"] == ("HTTP/1.1 200 OK", b"slow done"), label + "a 2.5 s answer is not cut: %r" % raw[-40:])

        raw, closed = exchange(port, b"GET /sse HTTP/1.1\r\nHost: x\r\n\r\n")
        check(raw.count(b"data: ") == 5, label + "a 2.5 s event stream is not cut (%d events)" % raw.count(b"data: "))

        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        first = s.recv(4096)
        time.sleep(READ_BODY + 0.5)
        s.sendall(b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        second = s.recv(4096)
        s.close()
        check(first.endswith(b"ok") and second.endswith(b"ok"),
              label + "keep-alive idle past read_body still serves: %r" % second[-20:])
    finally:
        interrupt(proc)
        log.close()
        shutil.rmtree(home, ignore_errors=True)
    return out


def main():
    binary = os.path.abspath(sys.argv[1])
    up = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Upstream)
    threading.Thread(target=up.serve_forever, daemon=True).start()
    try:
        ours = scenario("gatehouse", binary, up.server_port)
        if shutil.which("caddy"):
            theirs = scenario("caddy", shutil.which("caddy"), up.server_port)
            check(ours == theirs, "the same on both: gatehouse %s, caddy %s" % (ours, theirs))
    finally:
        up.shutdown()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
