"""End-to-end, gatehouse against real caddy 2.6.2: a site bound to a unix socket
(`bind unix//path`). Both servers get the same Caddyfile; compared: the socket file (type,
mode), a stale file at the path replaced at start, the answer over the socket with
{http.request.remote.*}, the remote_ip matcher and the access log's remote fields for a
unix peer, a missing Host, a reload keeping the socket (same inode, a request loop loses
nothing), the file removed at stop, and HTTPS on a unix socket (TLS, h2, no redirect
listener on http_port, plain HTTP answered as on a TLS port). Gatehouse also runs with
several workers (parallel connections all answered) and refuses `unixgram`.

Usage: unix_listener_vs_caddy_test.py <path-to-gatehouse>
"""
import http.client
import http.server
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from caddy_peer import CaddyPeer  # noqa: E402
from harness import check  # noqa: E402

WORKERS = 3
UPSTREAM_PORT = [0]  # the forwarded-fields echo, set in main()


class ForwardedEcho(http.server.BaseHTTPRequestHandler):
    """Answers with the X-Forwarded-* fields the proxy sent (absent ones as '-')."""

    def do_GET(self):
        body = " ".join("%s=%s" % (n, ",".join(self.headers.get_all(n) or ["-"]))
                        for n in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host")).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=5):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def get(path, target="/x", host="example.com"):
    conn = UnixConnection(path)
    try:
        conn.request("GET", target, headers={"Host": host})
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


def raw(path, data, wait=2.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(wait)
    s.connect(path)
    s.sendall(data)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return out


def plain_caddyfile(sock, log, admin_port, body="v1"):
    return ("""{
	admin 127.0.0.1:%d
	auto_https off
}
http:// {
	bind unix/%s
	log {
		output file %s
	}
	handle /proxy* {
		reverse_proxy 127.0.0.1:""" + str(UPSTREAM_PORT[0]) + """
	}
	@local remote_ip 127.0.0.1/8 ::1
	respond @local "local"
	respond "%s host={http.request.host} rh={http.request.remote.host} rp=[{http.request.remote.port}] r={http.request.remote}"
}
""") % (admin_port, sock, log, body)


def make_stale(path):
    """A socket file left by a run that died: bound, closed, never unlinked."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.close()


def request_loop(sock, stop, results):
    """Fresh connections, one request each, until `stop` (bounded: 2000 requests)."""
    for _ in range(2000):
        if stop.is_set():
            return
        try:
            status, _ = get(sock)
            results.append(status)
        except OSError as e:
            results.append(repr(e))
        time.sleep(0.005)


class Gatehouse:
    """Gatehouse running a Caddyfile, with the same reload/stop interface as CaddyPeer."""

    def __init__(self, binary, text, dirname):
        self.binary = binary
        self.path = os.path.join(dirname, "Caddyfile")
        with open(self.path, "w") as f:
            f.write(text)
        self.proc, _, self.drain, _ = harness.start(binary, self.path, adapter="caddyfile", workers=WORKERS)

    def reload(self, text, admin_port):
        with open(self.path, "w") as f:
            f.write(text)
        return subprocess.run([self.binary, "reload", "--config", self.path, "--adapter", "caddyfile", "--address",
                               "127.0.0.1:%d" % admin_port], capture_output=True, timeout=60).returncode

    def stop(self):
        harness.stop(self.proc, self.drain)


def start(who, binary, text, dirname, sock):
    if who == "caddy":
        peer = CaddyPeer(text, [])
    else:
        peer = Gatehouse(binary, text, dirname)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            get(sock)
            break
        except OSError:
            time.sleep(0.1)
    return peer


def read_log(path):
    deadline = time.time() + 5
    while time.time() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                lines = [json.loads(line) for line in f if line.strip()]
            if lines:
                return lines
        time.sleep(0.1)
    return []


def plain_run(who, binary, base):
    """Everything observable of one server on a plain unix socket, for comparison."""
    d = os.path.join(base, who)
    os.makedirs(d)
    sock = os.path.join(d, "s.sock")
    log = os.path.join(d, "access.log")
    admin = harness.free_port()
    make_stale(sock)
    out = {}
    peer = start(who, binary, plain_caddyfile(sock, log, admin), d, sock)
    try:
        st = os.stat(sock)
        out["is_socket"] = stat.S_ISSOCK(st.st_mode)
        out["mode"] = oct(stat.S_IMODE(st.st_mode))
        out["answer"] = get(sock)
        out["no_host"] = raw(sock, b"GET /x HTTP/1.1\r\n\r\n").split(b"\r\n")[0]
        # reverse_proxy for a unix peer: no X-Forwarded-* of its own, the client's dropped.
        out["forwarded"] = get(sock, "/proxy")[1]
        out["forwarded_client_sent"] = raw(sock, b"GET /proxy HTTP/1.1\r\nHost: example.com\r\nX-Forwarded-For: "
                                                 b"6.6.6.6\r\nX-Forwarded-Host: evil\r\nConnection: close\r\n\r\n"
                                           ).split(b"\r\n\r\n", 1)[-1]
        entry = read_log(log)[0]["request"]
        out["log"] = {k: entry.get(k) for k in ("remote_ip", "remote_port", "host")}
        if who == "gatehouse":
            # Every worker polls the one socket: parallel connections are all answered.
            results = []
            threads = [threading.Thread(target=lambda: results.extend(get(sock)[0] for _ in range(20)))
                       for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            check(results == [200] * 160, "160 requests from 8 parallel clients all answered")
        inode = st.st_ino
        stop = threading.Event()
        results = []
        loop = threading.Thread(target=request_loop, args=(sock, stop, results))
        loop.start()
        time.sleep(0.3)
        rc = peer.reload(plain_caddyfile(sock, log, admin, body="v2"), admin)
        time.sleep(0.3)
        stop.set()
        loop.join(30)
        out["reload_rc"] = rc
        out["reload_same_inode"] = os.path.exists(sock) and os.stat(sock).st_ino == inode
        out["reload_lost"] = [r for r in results if r != 200]
        out["reload_answers"] = len(results) > 10
        out["after_reload"] = get(sock)[1].split(" ")[0]
    finally:
        peer.stop()
    out["removed_at_stop"] = not os.path.exists(sock)
    return out


def tls_caddyfile(sock, http_port, https_port, cert, key):
    return """{
	admin off
	http_port %d
	https_port %d
}
example.com {
	bind unix/%s
	tls %s %s
	respond "tls={http.request.tls.version} proto={http.request.proto} rh={http.request.remote.host}"
}
""" % (http_port, https_port, sock, cert, key)


def curl(*args):
    p = subprocess.run(["curl", "-s", "-k", "--max-time", "5", *args], capture_output=True, text=True, timeout=20)
    return p.stdout


def tls_run(who, binary, base, cert, key):
    d = os.path.join(base, who + "-tls")
    os.makedirs(d)
    sock = os.path.join(d, "t.sock")
    http_port, https_port = harness.free_port(), harness.free_port()
    out = {}
    peer = start(who, binary, tls_caddyfile(sock, http_port, https_port, cert, key), d, sock)
    try:
        deadline = time.time() + 10
        while time.time() < deadline and not os.path.exists(sock):
            time.sleep(0.1)
        out["h2"] = curl("--unix-socket", sock, "https://example.com/x")
        out["h1"] = curl("--http1.1", "--unix-socket", sock, "https://example.com/x")
        out["plain"] = raw(sock, b"GET /x HTTP/1.1\r\nHost: example.com\r\n\r\n")
        try:
            socket.create_connection(("127.0.0.1", http_port), timeout=1).close()
            out["http_port_listens"] = True
        except OSError:
            out["http_port_listens"] = False
    finally:
        peer.stop()
    out["removed_at_stop"] = not os.path.exists(sock)
    return out


def main():
    binary = os.path.abspath(sys.argv[1])
    base = tempfile.mkdtemp(prefix="gh-unix-")
    echo = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ForwardedEcho)
    UPSTREAM_PORT[0] = echo.server_address[1]
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    try:
        runs = {who: plain_run(who, binary, base) for who in ("gatehouse", "caddy")}
        g, c = runs["gatehouse"], runs["caddy"]
        print("gatehouse:", g)
        print("caddy:    ", c)
        for key in g:
            check(g[key] == c[key], "plain unix socket, %s: gatehouse %r, caddy %r" % (key, g[key], c[key]))
        check(c["answer"][1].startswith("v1 host=example.com rh=@ rp=[] r=@"), "caddy's answer is as expected")
        check(c["log"]["remote_ip"] == "@" and c["log"]["remote_port"] == "", "caddy logs the unix peer as @")
        check(c["forwarded"] == "X-Forwarded-For=- X-Forwarded-Proto=- X-Forwarded-Host=-",
              "caddy forwards no X-Forwarded-* for a unix peer: %r" % c["forwarded"])

        cert, key = os.path.join(base, "c.pem"), os.path.join(base, "k.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=example.com",
                        "-addext", "subjectAltName=DNS:example.com"], capture_output=True, check=True, timeout=60)
        tls = {who: tls_run(who, binary, base, cert, key) for who in ("gatehouse", "caddy")}
        g, c = tls["gatehouse"], tls["caddy"]
        print("gatehouse:", g)
        print("caddy:    ", c)
        for key_ in g:
            check(g[key_] == c[key_], "TLS unix socket, %s: gatehouse %r, caddy %r" % (key_, g[key_], c[key_]))
        check(c["h2"] == "tls=tls1.3 proto=HTTP/2.0 rh=@", "caddy serves h2 over TLS on the socket")

        # Refused clearly: a datagram socket cannot accept connections (caddy 2.6.2 panics).
        cfg = os.path.join(base, "gram.json")
        with open(cfg, "w") as f:
            json.dump({"admin": {"disabled": True}, "apps": {"http": {"servers": {"s": {
                "listen": ["unixgram/" + os.path.join(base, "g.sock")],
                "routes": [{"handle": [{"handler": "static_response", "body": "x"}]}]}}}}}, f)
        p = subprocess.run([binary, "run", "--config", cfg], capture_output=True, text=True, timeout=30)
        check(p.returncode != 0 and "listener network 'unixgram' cannot serve HTTP" in p.stderr,
              "unixgram refused at start: " + p.stderr.strip()[-200:])
    finally:
        echo.shutdown()
        echo.server_close()
        shutil.rmtree(base, ignore_errors=True)
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
