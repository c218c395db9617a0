"""Socket-level upstreams for the compat runner (stdlib only), for what http.server smooths over.

  {"kind": "rawecho"}   answers every request on a kept-alive connection with exactly what it
                        received: the request line, each header line as written (name case kept;
                        sorted by lowercased name, duplicates in arrival order; "order": true
                        keeps arrival order), then "body <framing> <len> <repr of the first 200
                        bytes>" and any chunked trailer lines. "status" and "headers" shape the
                        answer (default 200, text/plain).
  {"kind": "script", "steps": [...], "routes": {"/prefix": [...]}}
                        reads one request (head and body), then plays the steps of the first
                        route whose prefix starts the target (else "steps"):
                        {"send": "text"} writes it (latin-1; \\r\\n written as given),
                        {"sleep": s} waits, {"reset": true} closes with an RST,
                        {"close": true} closes; {"keep": true} reads the next request on the
                        same connection. Without close/reset/keep the connection closes at the end.
  Either kind with "unix": true listens on a Unix socket; {UPSTREAMn} is then "unix/<path>".
"""
import os
import shutil
import socket
import struct
import tempfile
import threading
import time

MAX_HEAD = 256 * 1024
IO_TIMEOUT = 15.0


class _Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def head(self):
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > MAX_HEAD:
                raise EOFError
            self._fill()
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        return head.decode("latin-1")

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def exactly(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def _fields(head):
    lines = head.split("\r\n")
    return lines[0], lines[1:]


def _field(fields, name):
    return [l.split(":", 1)[1].strip() for l in fields if l.split(":", 1)[0].strip().lower() == name]


def _read_body(conn, fields):
    """(framing, body, trailer lines) of the request whose header lines are `fields`."""
    if any("chunked" in v.lower() for v in _field(fields, "transfer-encoding")):
        body, trailers = b"", []
        for _ in range(1000000):
            size = int(conn.line().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                break
            body += conn.exactly(size)
            conn.line()
        for _ in range(1000):
            line = conn.line()
            if not line:
                break
            trailers.append(line.decode("latin-1"))
        return "chunked", body, trailers
    lengths = _field(fields, "content-length")
    if lengths:
        return "length", conn.exactly(int(lengths[0])), []
    return "none", b"", []


def _wants_continue(fields):
    return any(v.lower() == "100-continue" for v in _field(fields, "expect"))


def _echo(spec, conn):
    for _ in range(1000):
        request_line, fields = _fields(conn.head())
        if _wants_continue(fields):
            conn.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        framing, body, trailers = _read_body(conn, fields)
        shown = fields if spec.get("order") else sorted(fields, key=lambda l: l.split(":", 1)[0].lower())
        out = [request_line] + shown + ["body %s %d %r" % (framing, len(body), body[:200])]
        out += ["trailer " + t for t in trailers]
        text = ("\n".join(out) + "\n").encode("latin-1")
        status = spec.get("status", 200)
        head = ["HTTP/1.1 %d %s" % (status, spec.get("reason", "OK"))]
        for k, v in spec.get("headers", {"Content-Type": "text/plain"}).items():
            head.append("%s: %s" % (k, v))
        head.append("Content-Length: %d" % len(text))
        conn.sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + text)


def _steps_for(spec, target):
    for prefix, steps in spec.get("routes", {}).items():
        if target.startswith(prefix):
            return steps
    return spec.get("steps", [])


def _script(spec, conn):
    for _ in range(1000):
        request_line, fields = _fields(conn.head())
        _read_body(conn, fields)
        parts = request_line.split(" ")
        keep = False
        for step in _steps_for(spec, parts[1] if len(parts) > 1 else "/"):
            if "send" in step:
                conn.sock.sendall(step["send"].encode("latin-1"))
            elif "sleep" in step:
                time.sleep(min(float(step["sleep"]), 10.0))
            elif step.get("reset"):
                conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            elif step.get("close"):
                return
            elif step.get("keep"):
                keep = True
        if not keep:
            return


class RawUpstream:
    """A loopback listener serving one spec on a thread per connection; close() stops it."""

    def __init__(self, spec):
        self.spec = spec
        self.dir = None
        if spec.get("unix"):
            # "unix": true listens on a Unix socket instead; its address is "unix/<path>".
            self.dir = tempfile.mkdtemp(prefix="compat-unix-")
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(os.path.join(self.dir, "up.sock"))
            self.address = "unix/" + os.path.join(self.dir, "up.sock")
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind(("127.0.0.1", 0))
            self.address = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping:
            try:
                client, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        client.settimeout(IO_TIMEOUT)
        serve = _echo if self.spec["kind"] == "rawecho" else _script
        try:
            serve(self.spec, _Conn(client))
        except (EOFError, OSError, ValueError):
            pass
        finally:
            client.close()

    def close(self):
        self.stopping = True
        self.thread.join(2)
        self.sock.close()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
