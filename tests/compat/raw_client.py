"""Raw HTTP/1.x exchanges for the compat runner: a request written byte for byte (HTTP/1.0,
Connection: close, Expect: 100-continue, duplicate fields, odd framing...) and its answer read
without http.client's smoothing, so the framing itself is compared.

The answer is returned as (status, headers, body) like the runner's own client, with
pseudo-headers that show what http.client hides:
  (version)  the status line's protocol ("HTTP/1.1", "HTTP/1.0")
  (interim)  the 1xx statuses sent before the final one
  (framing)  "chunked", "length", "close" (body until the connection closes) or "none"
  (closed)   "yes" when the server closed the connection after the answer ("check_close")
  (trailers) the chunked body's trailer fields
  (then)     with "then" (a second raw request sent on the same connection after the answer):
             its answer's status and body, or "closed" when the connection ended first
"""
import socket
import ssl
import time

READ_TIMEOUT = 10.0
MAX_BYTES = 8 << 20


class _Reader:
    def __init__(self, sock, deadline):
        self.sock = sock
        self.buf = b""
        self.deadline = deadline
        self.eof = False

    def _fill(self):
        if self.eof:
            return False
        self.sock.settimeout(max(0.05, self.deadline - time.time()))
        data = self.sock.recv(65536)
        if not data:
            self.eof = True
            return False
        self.buf += data
        if len(self.buf) > MAX_BYTES:
            raise OSError("answer larger than %d bytes" % MAX_BYTES)
        return True

    def line(self):
        while b"\n" not in self.buf:
            if not self._fill():
                raise OSError("connection closed inside the head")
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r").decode("latin-1")

    def exactly(self, n):
        while len(self.buf) < n:
            if not self._fill():
                raise OSError("connection closed inside the body")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def rest(self):
        while self._fill():
            pass
        out, self.buf = self.buf, b""
        return out


def _head(reader):
    status_line = reader.line()
    version, _, rest = status_line.partition(" ")
    status = int(rest.split(" ", 1)[0])
    headers = {}
    for _ in range(1000):
        line = reader.line()
        if not line:
            break
        k, _, v = line.partition(":")
        headers.setdefault(k.strip().lower(), []).append(v.strip())
    return version, status, headers


def _chunked(reader):
    body = b""
    for _ in range(1000000):
        size = int(reader.line().split(";")[0].strip(), 16)
        if size == 0:
            break
        body += reader.exactly(size)
        reader.line()
    trailers = []
    for _ in range(1000):
        line = reader.line()
        if not line:
            break
        trailers.append(line)
    return body, trailers


def _body(reader, method, status, headers):
    if method == "HEAD" or status in (204, 304):
        return "none", b"", []
    if "chunked" in ",".join(headers.get("transfer-encoding", [])).lower():
        body, trailers = _chunked(reader)
        return "chunked", body, trailers
    if "content-length" in headers:
        return "length", reader.exactly(int(headers["content-length"][0])), []
    return "close", reader.rest(), []


def _closed_after(reader, wait):
    """yes when the server ends the connection within `wait` seconds of the answer."""
    if reader.eof:
        return "yes"
    reader.deadline = time.time() + wait
    try:
        while reader._fill():
            pass
        return "yes"
    except socket.timeout:
        return "no"
    except OSError:
        return "yes"


def _then(sock, reader, raw):
    """The second exchange on a kept connection: ["<status>", body] or ["closed"]."""
    try:
        sock.sendall(raw)
        reader.deadline = time.time() + READ_TIMEOUT
        _, status, headers = _head(reader)
        _, body, _ = _body(reader, raw.split(b" ", 1)[0].decode("latin-1"), status, headers)
        return [str(status), body.decode("latin-1")]
    except OSError:
        return ["closed"]


def exchange(port, raw, check_close=False, tls_name=None, pause=None, then=None):
    """Sends `raw` (bytes) to 127.0.0.1:port and reads one answer.

    pause=seconds: write the head, wait, then the body (e.g. after Expect: 100-continue).
    then=bytes: a second request written after the answer, on the same connection."""
    method = raw.split(b" ", 1)[0].decode("latin-1")
    sock = socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT)
    client_port = sock.getsockname()[1]  # normalized as {CLIENT_PORT} (run_compat.normalize)
    try:
        if tls_name:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["http/1.1"])
            sock = ctx.wrap_socket(sock, server_hostname=tls_name)
        if pause:
            cut = raw.find(b"\r\n\r\n") + 4
            sock.sendall(raw[:cut])
            time.sleep(pause)
            sock.sendall(raw[cut:])
        else:
            sock.sendall(raw)
        reader = _Reader(sock, time.time() + READ_TIMEOUT)
        interim = []
        for _ in range(10):
            version, status, headers = _head(reader)
            if 100 <= status < 200 and status != 101:
                interim.append(str(status))
                continue
            break
        framing, body, trailers = ("none", b"", []) if status == 101 else _body(reader, method, status, headers)
        headers["(version)"] = [version]
        headers["(framing)"] = [framing]
        if interim:
            headers["(interim)"] = interim
        if trailers:
            headers["(trailers)"] = trailers
        if then is not None:
            headers["(then)"] = _then(sock, reader, then)
        elif check_close:
            headers["(closed)"] = [_closed_after(reader, 1.0)]
        headers["(client port)"] = [str(client_port)]
        return status, headers, body
    finally:
        sock.close()
