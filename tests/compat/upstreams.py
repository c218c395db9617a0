"""Upstream servers the compat runner starts for a case's `upstreams.json` (stdlib only).

`upstreams.json` is a list; entry N becomes {UPSTREAMN} ("127.0.0.1:port") in the Caddyfile and
in request header values, and every upstream port is normalized in responses. Kinds:
  {"kind": "echo", "name": "a"}   answers with a plain-text echo of the request it received:
                                  "<name> <METHOD> <target>", then each header field as
                                  "name: value" (lowercased names, sorted, hop-by-hop headers
                                  included so their removal shows), then "body <len> <sha256>".
                                  Query parameters shape the answer: status=NNN, set=Name:Value
                                  (repeatable, response header), body=text (replaces the echo),
                                  sse=N (N text/event-stream events).
  {"kind": "fixed", "status": 200, "headers": {...}, "body": "..."}  always the same answer
  {"kind": "down"}                a free port with nothing listening (connection refused)
  {"kind": "hangup"}              reads the request, then closes the connection unanswered (the
                                  upstream was reached: a failure that is not a dial error)
Any echo or fixed upstream may add "tls": {"sans": ["IP:127.0.0.1", "DNS:name"], "ca": "main"|"other"}:
it then speaks HTTPS with a leaf of that test CA (made with the openssl CLI for the run) and the
echo adds an "sni: <name>" line. {UPSTREAM_CA} and {UPSTREAM_OTHER_CA} become the CA files.
An echo request with gzip=1 gets its answer gzip-encoded when it accepted gzip.
An echo upstream with "h2c": true is reached through a real HTTP/2 cleartext server: Debian's
caddy (`protocols h1 h2 h2c`) reverse-proxying to the echo; {UPSTREAMN} is caddy's address, so
both servers under test speak h2c to it (`h2c://{UPSTREAMN}`).
{"kind": "phpfpm"} is a real php-fpm (Debian's, e2e/php_fpm.py) on a free port (with "unix": true
on a Unix socket, {UPSTREAMn} then "unix/<path>"): it runs the case's own site/*.php scripts,
whose paths the server under test sends (SCRIPT_FILENAME).
Kinds "rawecho" (the exact request bytes echoed) and "script" (a scripted raw answer: partial
bodies, resets, slow heads, close-delimited bodies) are socket-level: raw_upstreams.py.
"""
import gzip
import os
import shutil
import ssl
import subprocess
import tempfile
import hashlib
import http.server
import socket
import threading
import time
import sys
import urllib.parse

from raw_upstreams import RawUpstream

# Appended, not inserted: compat's own modules keep their names.
sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import ports  # noqa: E402  (ports below the ephemeral range, shared with the e2e tests)
import php_fpm  # noqa: E402

_free_port = ports.free_port


def _read_body(handler):
    te = handler.headers.get("Transfer-Encoding", "")
    if "chunked" in te.lower():
        out = b""
        for _ in range(100000):  # bounded: at most this many chunks
            line = handler.rfile.readline(1024)
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                for _ in range(100):  # trailers, then the empty line
                    if handler.rfile.readline(1024) in (b"\r\n", b"\n", b""):
                        break
                return out, True
            out += handler.rfile.read(size)
            handler.rfile.readline(16)
        return out, True
    n = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(n) if n else b"", False


def _make_handler(spec):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "compat-upstream"
        sys_version = ""

        def log_message(self, *args):
            pass

        def _answer(self):
            body, chunked = _read_body(self)
            if spec["kind"] == "hangup":
                self.close_connection = True
                return
            if spec["kind"] == "fixed":
                self._send(spec.get("status", 200), list(spec.get("headers", {}).items()),
                           spec.get("body", "").encode())
                return
            url = urllib.parse.urlsplit(self.path)
            q = urllib.parse.parse_qs(url.query, keep_blank_values=True)
            status = int(q.get("status", ["200"])[0])
            headers = []
            for s in q.get("set", []):
                k, _, v = s.partition(":")
                headers.append((k, v))
            if "sse" in q:
                n = int(q["sse"][0])
                events = "".join("data: {\"token\": %d}\n\n" % i for i in range(n)) + "data: [DONE]\n\n"
                self._send(status, headers + [("Content-Type", "text/event-stream"),
                                              ("Cache-Control", "no-cache")], events.encode())
                return
            if "body" in q:
                self._send(status, headers + [("Content-Type", "text/plain")], q["body"][0].encode())
                return
            lines = ["%s %s %s" % (spec.get("name", "echo"), self.command, self.path)]
            if spec.get("tls"):
                lines.append("sni: %s" % getattr(self.connection, "sni_seen", None))
            for k, v in sorted((k.lower(), v) for k, v in self.headers.items()):
                lines.append("%s: %s" % (k, v))
            lines.append("body %d %s%s" % (len(body), hashlib.sha256(body).hexdigest()[:16],
                                          " chunked" if chunked else ""))
            out = ("\n".join(lines) + "\n").encode()
            if "gzip" in q and "gzip" in self.headers.get("Accept-Encoding", ""):
                out = gzip.compress(out, mtime=0)
                headers.append(("Content-Encoding", "gzip"))
            self._send(status, headers + [("Content-Type", "text/plain; charset=utf-8")], out)

        def _send(self, status, headers, body):
            self.send_response_only(status)
            for k, v in headers:
                self.send_header(k, v)
            no_body = status in (204, 304) or 100 <= status < 200
            if not no_body:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD" and not no_body:
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _answer

        def __getattr__(self, name):
            # any other method (WebDAV's PROPFIND, REPORT, MKCALENDAR...) is echoed too
            if name.startswith("do_"):
                return self._answer
            raise AttributeError(name)

    return Handler


def _openssl(args, cwd):
    subprocess.run(["openssl"] + args, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=30)


class _Pki:
    """Two throwaway CAs ("main", "other") and leaves made on demand (P-256, 2 days)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="compat-pki-")
        self.cas = {n: self._ca(n) for n in ("main", "other")}
        self.count = 0

    def _ca(self, name):
        key, crt = name + "-ca.key", name + "-ca.crt"
        _openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                  "-keyout", key, "-out", crt, "-subj", "/CN=Compat " + name, "-days", "2",
                  "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"],
                 self.dir)
        return os.path.join(self.dir, crt), os.path.join(self.dir, key)

    def leaf(self, sans, ca):
        self.count += 1
        base = os.path.join(self.dir, "leaf%d" % self.count)
        with open(base + ".ext", "w") as f:
            f.write("basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
            f.write("subjectAltName=" + ",".join(sans) + "\n")
        _openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                  "-keyout", base + ".key", "-out", base + ".csr", "-subj", "/CN=compat upstream"], self.dir)
        _openssl(["x509", "-req", "-in", base + ".csr", "-CA", self.cas[ca][0], "-CAkey", self.cas[ca][1],
                  "-CAcreateserial", "-out", base + ".crt", "-days", "2", "-extfile", base + ".ext"], self.dir)
        return base + ".crt", base + ".key"

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class _TlsServer(http.server.ThreadingHTTPServer):
    """Handshakes on the request's own thread, so a failing client never stalls accept()."""

    daemon_threads = True

    def __init__(self, addr, handler, ctx):
        super().__init__(addr, handler)
        self.ctx = ctx
        ctx.sni_callback = lambda sock, name, _ctx: setattr(sock, "sni_seen", name)

    def get_request(self):
        conn, addr = self.socket.accept()
        return self.ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False), addr

    def finish_request(self, request, client_address):
        try:
            request.settimeout(10)
            request.do_handshake()
        except (OSError, ssl.SSLError):
            return  # the proxy refused our certificate: its business
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        pass


class CompatUpstreams:
    """Starts every upstream of a case; close() stops them."""

    def __init__(self, specs):
        self.servers = []
        self.addresses = []
        self.fronts = []  # (caddy process, its directory) of h2c upstreams
        self.raw = []  # socket-level upstreams
        self.fpms = []  # php-fpm masters
        self.pki = _Pki() if any(s.get("tls") for s in specs) else None
        for spec in specs:
            if spec.get("kind") == "down":
                self.addresses.append("127.0.0.1:%d" % _free_port())
                continue
            if spec.get("kind") == "phpfpm":
                if not php_fpm.binary():
                    raise RuntimeError("the case needs php-fpm (scripts/install-deps.sh installs it)")
                sock = os.path.join(tempfile.mkdtemp(prefix="compat-fpm-"), "php-fpm.sock") if spec.get("unix") else None
                fpm = php_fpm.PhpFpm(_free_port(), unix_path=sock, children=2)
                self.fpms.append((fpm, os.path.dirname(sock) if sock else None))
                self.addresses.append("unix/" + sock if sock else "127.0.0.1:%d" % fpm.port)
                continue
            if spec.get("kind") in ("rawecho", "script"):
                raw = RawUpstream(spec)
                self.raw.append(raw)
                self.addresses.append(raw.address)
                continue
            if spec.get("tls"):
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(*self.pki.leaf(spec["tls"].get("sans", ["IP:127.0.0.1"]),
                                                   spec["tls"].get("ca", "main")))
                srv = _TlsServer(("127.0.0.1", 0), _make_handler(spec), ctx)
            else:
                srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(spec))
            srv.daemon_threads = True
            threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1},
                             daemon=True).start()
            self.servers.append(srv)
            self.addresses.append("127.0.0.1:%d" % srv.server_address[1])
            if spec.get("h2c"):
                self.addresses[-1] = self._h2c_front(self.addresses[-1])

    def substitute(self, text):
        # highest index first so {UPSTREAM1} is not a prefix match of {UPSTREAM10}
        if self.pki:
            text = text.replace("{UPSTREAM_CA}", self.pki.cas["main"][0])
            text = text.replace("{UPSTREAM_OTHER_CA}", self.pki.cas["other"][0])
        for i in reversed(range(len(self.addresses))):
            text = text.replace("{UPSTREAM%d_PORT}" % i, self.ports()[i])
            text = text.replace("{UPSTREAM%d}" % i, self.addresses[i])
        return text

    def _h2c_front(self, echo):
        port = _free_port()
        tmp = tempfile.mkdtemp(prefix="compat-h2c-")
        path = os.path.join(tmp, "Caddyfile")
        with open(path, "w") as f:
            f.write("{\n\tadmin off\n\tauto_https off\n\tservers {\n\t\tprotocols h1 h2 h2c\n\t}\n}\n"
                    "http://:%d {\n\treverse_proxy %s\n}\n" % (port, echo))
        env = dict(os.environ, XDG_DATA_HOME=tmp, XDG_CONFIG_HOME=tmp, HOME=tmp)
        proc = subprocess.Popen(["caddy", "run", "--adapter", "caddyfile", "--config", path], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        self.fronts.append((proc, tmp))
        deadline = time.time() + 15
        while time.time() < deadline and proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        return "127.0.0.1:%d" % port

    def ports(self):
        # a Unix socket's path stands in for its port (normalized the same way)
        return [a[len("unix/"):] if a.startswith("unix/") else a.rsplit(":", 1)[1] for a in self.addresses]

    def close(self):
        for proc, tmp in self.fronts:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            shutil.rmtree(tmp, ignore_errors=True)
        for raw in self.raw:
            raw.close()
        for fpm, sock_dir in self.fpms:
            fpm.stop()
            if sock_dir:
                shutil.rmtree(sock_dir, ignore_errors=True)
        for srv in self.servers:
            srv.shutdown()
            srv.server_close()
        if self.pki:
            self.pki.close()
