"""`gatehouse reverse-proxy` against `caddy reverse-proxy` (2.6.2): the same flags serve the
same way. Plain HTTP only here (an HTTPS --from would make caddy install its local CA in
the machine's trust store): --from :PORT (any host), two --to upstreams balanced,
--change-host-header, the printed proxying lines, caddy's errors for a bad upstream and a
path in --from; gatehouse alone: --from http://localhost:PORT stays plain HTTP with the host
matched (caddy 2.6.2 turns it to HTTPS), an out-of-range port or unknown scheme upstream
refused at start (caddy 2.6.2 starts and fails every request)."""
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.dont_write_bytecode = True
from harness import check, finish, interrupt  # noqa: E402
from ports import free_port  # noqa: E402


def echo_upstream(name):
    class Echo(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = ("%s host=%s path=%s" % (name, self.headers.get("Host"), self.path)).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def get(port, host=None, path="/x?q=1"):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path))
    if host:
        req.add_header("Host", host)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return None, None


class Proxy:
    def __init__(self, kind, binary, args, wait_port=None):
        self.home = tempfile.mkdtemp(prefix="gh-rpcmd-%s-" % kind)
        env = dict(os.environ, HOME=self.home, XDG_CONFIG_HOME=os.path.join(self.home, "cfg"),
                   XDG_DATA_HOME=os.path.join(self.home, "data"))
        self.out_path = os.path.join(self.home, "out")
        self.out = open(self.out_path, "w")
        extra = ["--workers", "1"] if kind == "gatehouse" else []
        self.proc = subprocess.Popen([binary, "reverse-proxy", *args, *extra], env=env, cwd=self.home,
                                     stdout=self.out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 15
        while wait_port and time.time() < deadline and self.proc.poll() is None:
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/" % wait_port, timeout=1).close()
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.05)

    def text(self):
        with open(self.out_path) as f:
            return f.read()

    def stop(self):
        interrupt(self.proc)
        self.out.close()
        shutil.rmtree(self.home, ignore_errors=True)


def scenario(kind, binary, a, b):
    name = "Gatehouse" if kind == "gatehouse" else "Caddy"
    label = kind + ": "
    got = {}
    port = free_port()
    p = Proxy(kind, binary, ["--from", ":%d" % port, "--to", "127.0.0.1:%d" % a.server_port], port)
    try:
        got["any host"] = get(port, host="whatever.test")
        check(got["any host"] == (200, "A host=whatever.test path=/x?q=1"),
              label + "--from :PORT proxies any host, Host passed through: %s" % (got["any host"],))
        check("%s proxying http://:%d -> 127.0.0.1:%d" % (name, port, a.server_port) in p.text(),
              label + "prints the proxying line")
    finally:
        p.stop()

    # caddy 2.6.2 serves an http:// --from that names a host over HTTPS all the same (its
    # automatic HTTPS takes the host matcher; newer Caddy keeps it plain): with a host, only
    # gatehouse runs here, as a run of caddy would also install its CA in the trust store
    port = free_port()
    host = ["--from", "http://localhost:%d" % port] if kind == "gatehouse" else ["--from", ":%d" % port]
    p = Proxy(kind, binary, host + ["--to", "127.0.0.1:%d" % a.server_port,
                                    "--to", "127.0.0.1:%d" % b.server_port, "--change-host-header"], port)
    try:
        seen = set()
        for _ in range(40):
            status, body = get(port, host="localhost:%d" % port)
            if status == 200:
                seen.add(body.split()[0])
                check(body.split()[1] in ("host=127.0.0.1:%d" % a.server_port, "host=127.0.0.1:%d" % b.server_port),
                      label + "--change-host-header sends the upstream's host:port: %s" % body)
            if len(seen) == 2:
                break
        check(seen == {"A", "B"}, label + "two --to upstreams both used (random): %s" % sorted(seen))
        if kind == "gatehouse":
            other = get(port, host="other.test")
            check(other == (200, ""), label + "a host --from does not name gets caddy's empty 200: %s" % (other,))
        check("Load balancing policy: random" in p.text(), label + "prints the balancing policy")
    finally:
        p.stop()

    bad = [(["--from", "http://localhost:%d/path" % free_port(), "--to", "127.0.0.1:1"], "paths are not allowed")]
    if kind == "gatehouse":  # caddy 2.6.2 starts with these, and fails each request at the dial
        bad.append((["--from", ":%d" % free_port(), "--to", "ftp://127.0.0.1:1"], "invalid upstream address"))
        bad.append((["--from", ":%d" % free_port(), "--to", "127.0.0.1:99999"], "invalid upstream address"))
    for args, message in bad:
        p = Proxy(kind, binary, args)
        try:
            rc = p.proc.wait(10)
        except subprocess.TimeoutExpired:
            rc = None
        check(rc == 1 and message in p.text(), label + "%s: exit 1, %r (%s: %s)" % (args, message, rc, p.text()[-200:]))
        p.stop()
    return got


def main():
    binary = os.path.abspath(sys.argv[1])
    a, b = echo_upstream("A"), echo_upstream("B")
    try:
        ours = scenario("gatehouse", binary, a, b)
        if shutil.which("caddy"):
            theirs = scenario("caddy", shutil.which("caddy"), a, b)
            check(ours == theirs, "same answers: gatehouse %s, caddy %s" % (ours, theirs))
    finally:
        a.shutdown()
        b.shutdown()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
