#!/usr/bin/env python3
"""reverse_proxy ws:// and wss:// upstreams, gatehouse against caddy 2.6.2 on one Caddyfile.

caddy 2.6.2 adapts them as plain upstreams: the port is kept, none is inferred, and wss://
gets no TLS. So `ws://127.0.0.1:PORT` and `wss://127.0.0.1:PORT` proxy plain HTTP, and
`ws://127.0.0.1` (dial "127.0.0.1:") dials port 0: the connection is refused, 502, and
the error log says "dial tcp 127.0.0.1:0: connect: connection refused". A placeholder
upstream that resolves to "127.0.0.1:" does the same. Each answer (status, body) and each
error-log message is compared with caddy's; `gatehouse adapt` must print caddy's JSON.
Usage: proxy_ws_scheme_vs_caddy_test.py <path-to-gatehouse>   (exit 77 when caddy is missing)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True
from caddy_peer import CaddyPeer  # noqa: E402
from harness import check, finish, free_port, wait_port  # noqa: E402

CADDYFILE = """{
	admin off
	auto_https off
	default_bind 127.0.0.1
}
:%(up)d {
	respond "up {method} {uri} {header.Connection}"
}
:%(front)d {
	reverse_proxy /ws/* ws://127.0.0.1:%(up)d
	reverse_proxy /wss/* wss://127.0.0.1:%(up)d
	reverse_proxy /noport/* ws://127.0.0.1
	reverse_proxy /noport6/* ws://[::1]
	reverse_proxy /dyn/* {header.X-Up}
}
"""

# (name, path, X-Up header or None)
REQUESTS = [
    ("ws:// with a port proxies plain HTTP", "/ws/a?b=1", None),
    ("wss:// with a port proxies plain HTTP (no TLS)", "/wss/a", None),
    ("ws:// without a port dials port 0", "/noport/a", None),
    ("ws://[::1] without a port dials port 0", "/noport6/a", None),
    ("a placeholder giving host: dials port 0", "/dyn/a", "127.0.0.1:"),
]


def get(port, path, up):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path))
    if up is not None:
        req.add_header("X-Up", up)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def error_messages(text):
    """The msg of each http.log.error line, in order."""
    out = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("logger") == "http.log.error":
            out.append(entry.get("msg"))
    return out


def read_file(path):
    with open(path) as f:
        return f.read()


def wait_lines(read, count, limit=5):
    """read() once it holds `count` error lines, or after `limit` seconds."""
    deadline = time.time() + limit
    while time.time() < deadline:
        text = read()
        if len(error_messages(text)) >= count:
            return text
        time.sleep(0.1)
    return read()


def main():
    binary = sys.argv[1]
    if shutil.which("caddy") is None:
        print("caddy not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="gh-wsscheme-")
    cports = {"up": free_port(), "front": free_port()}
    gports = {"up": free_port(), "front": free_port()}
    path = os.path.join(tmp, "Caddyfile")
    with open(path, "w") as f:
        f.write(CADDYFILE % gports)

    adapted = subprocess.run([binary, "adapt", "--config", path, "--pretty"], capture_output=True, text=True,
                             timeout=30)
    want = subprocess.run(["caddy", "adapt", "--config", path, "--pretty"], capture_output=True, text=True,
                          timeout=30, env=dict(os.environ, HOME=tmp, XDG_DATA_HOME=tmp, XDG_CONFIG_HOME=tmp))
    check(adapted.returncode == 0 and adapted.stdout.strip() == want.stdout.strip(),
          "gatehouse adapt prints caddy's JSON byte for byte")
    if adapted.stdout.strip() != want.stdout.strip():
        print("  gatehouse: %s%s\n  caddy: %s" % (adapted.stdout, adapted.stderr, want.stdout))

    peer = CaddyPeer(CADDYFILE % cports, [cports["front"], cports["up"]], name="wsscheme")
    log_path = os.path.join(tmp, "gatehouse.log")
    log = open(log_path, "w")
    gh = subprocess.Popen([binary, "run", "--config", path, "--adapter", "caddyfile", "--workers", "1"],
                          stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        check(wait_port(gports["front"], gh) and wait_port(gports["up"], gh), "gatehouse starts")
        for name, req_path, up in REQUESTS:
            c = get(cports["front"], req_path, up)
            g = get(gports["front"], req_path, up)
            g_norm = (g[0], g[1].replace(str(gports["up"]), "UP"))
            c_norm = (c[0], c[1].replace(str(cports["up"]), "UP"))
            check(c_norm == g_norm, "%s: same answer as caddy (caddy %r, gatehouse %r)" % (name, c_norm, g_norm))
        failing = sum(1 for _, p, _ in REQUESTS if p.startswith(("/noport", "/dyn")))
        cmsgs = error_messages(wait_lines(peer.read_log, failing))
        gmsgs = error_messages(wait_lines(lambda: read_file(log_path), failing))
        check(cmsgs == gmsgs and len(gmsgs) == failing,
              "the same error-log messages as caddy (caddy %r, gatehouse %r)" % (cmsgs, gmsgs))
        check("dial tcp 127.0.0.1:0: connect: connection refused" in gmsgs,
              "the empty port is named as port 0 in the dial error")
    finally:
        peer.stop()
        if gh.poll() is None:
            gh.terminate()
            try:
                gh.wait(10)
            except subprocess.TimeoutExpired:
                gh.kill()
                gh.wait(5)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
