#!/usr/bin/env python3
"""Differential: access-log entries of a `tls internal` site under automatic HTTPS, written
by Debian's caddy 2.6.2 and by gatehouse for the same requests, compared line by line with
the compat runner's access_logs.py (key order, values, types; ports and times normalized):
HTTP/1.1 and HTTP/2 over TLS (the `request>tls` object), a 404, a proxy's 502, and the
plain-HTTP request that automatic HTTPS redirects: caddy 2.6.2 gives its
remaining_auto_https_redirects server the logs of an HTTPS server, so the 308 is logged by
the site's logger with `Connection: close` and Go's nil Content-Type.
Usage: access_log_autohttps_vs_caddy_test.py <path-to-gatehouse>   (exit 77 without caddy)
"""
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "compat"))
from harness import check, finish, free_port, wait_port  # noqa: E402
import access_logs  # noqa: E402

CADDYFILE = """{
	admin off
	skip_install_trust
	local_certs
	http_port %(http)d
	https_port %(https)d
	default_bind 127.0.0.1
}
localhost {
	tls internal
	log {
		output file %(logdir)s/access.log
	}
	handle /proxy {
		reverse_proxy 127.0.0.1:%(down)d
	}
	respond /hello "hello"
	respond /missing 404
}
"""


def requests(http, https):
    base = ["curl", "-sk", "-o", "/dev/null", "--max-time", "10", "--resolve", "localhost:%d:127.0.0.1" % https,
            "--resolve", "localhost:%d:127.0.0.1" % http, "-H", "User-Agent: logtest"]
    return [
        base + ["--http1.1", "https://localhost:%d/hello?q=1" % https],
        base + ["--http2", "https://localhost:%d/missing" % https, "-H", "X-A: 1", "-H", "X-A: 2"],
        base + ["--http2", "https://localhost:%d/proxy" % https],
        base + ["http://localhost:%d/hello?from=http" % http],
    ]


def handshakes(port, name, limit=20):
    """True once a TLS handshake for `name` succeeds on 127.0.0.1:port (no request: nothing
    logged). Caddy signs the internal leaf in the background once its listeners are up, and
    fails handshakes until then."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    deadline = time.time() + limit
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
                with ctx.wrap_socket(raw, server_hostname=name):
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def serve(argv, root, name, down):
    d = os.path.join(root, name)
    os.makedirs(os.path.join(d, "logs"))
    http, https = free_port(), free_port()
    with open(os.path.join(d, "Caddyfile"), "w") as f:
        f.write(CADDYFILE % {"http": http, "https": https, "logdir": os.path.join(d, "logs"), "down": down})
    env = dict(os.environ, HOME=d, XDG_DATA_HOME=d, XDG_CONFIG_HOME=d)
    with open(os.path.join(d, "stderr"), "w") as err:
        proc = subprocess.Popen(argv + ["run", "--config", os.path.join(d, "Caddyfile"), "--adapter", "caddyfile"],
                                stdout=err, stderr=err, stdin=subprocess.DEVNULL, env=env)
        try:
            ok = wait_port(https, proc, timeout=30) and wait_port(http, proc, timeout=10)
            check(ok, "%s serves both ports" % name)
            check(handshakes(https, "localhost"), "%s completes a TLS handshake for localhost" % name)
            for argv_ in requests(http, https):
                subprocess.run(argv_, timeout=20, stdin=subprocess.DEVNULL)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
    return os.path.join(d, "logs"), [http, https, down]


def main():
    binary = os.path.abspath(sys.argv[1])
    caddy = shutil.which("caddy")
    if caddy is None or shutil.which("curl") is None:
        print("SKIP: caddy or curl not installed")
        return 77
    root = tempfile.mkdtemp(prefix="gh-autohttps-log-")
    try:
        down = free_port()  # nothing listens there: the proxy's 502
        c_dir, c_ports = serve([caddy], root, "caddy", down)
        g_dir, g_ports = serve([binary], root, "gatehouse", down)
        with open(os.path.join(c_dir, "access.log")) as f:
            c_lines = f.read().splitlines()
        check(len(c_lines) == 4, "caddy 2.6.2 logged the 4 requests, the redirect too (%d)" % len(c_lines))
        check(any('"status":308' in l and '"Connection":["close"]' in l for l in c_lines),
              "caddy's redirect entry carries Connection: close")
        diffs, newer = access_logs.compare(["access.log"], c_dir, c_ports, g_dir, g_ports)
        check(not diffs, "access log entries as caddy 2.6.2's: %s" % diffs[:4])
        for reason in newer:
            print("known difference:", reason)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
