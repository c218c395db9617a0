#!/usr/bin/env python3
"""Differential: the admin endpoint's Host and Origin checks against Debian's caddy 2.6.2, for
the default origins and for `origins` + `enforce_origin`: the same requests (Host, Origin,
Referer, OPTIONS) must get the same status, the same error body and the same
Access-Control-* headers. (The body of a successful GET /config/ is the config, formatted
differently by each, so only its status and headers are compared.)
Usage: admin_origins_vs_caddy_test.py <path-to-gatehouse>   (exit 77 when caddy is missing)
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
from harness import check, finish, free_port, wait_port  # noqa: E402

def ask(port, method, headers):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.putrequest(method, "/config/", skip_host=True, skip_accept_encoding=True)
    for k, v in headers.items():
        c.putheader(k, v)
    c.endheaders()
    r = c.getresponse()
    body = r.read().decode()
    cors = {k.lower(): v for k, v in r.getheaders() if k.lower().startswith("access-control-")}
    c.close()
    return r.status, body, cors


def requests_for(admin):
    host = "127.0.0.1:%d" % admin
    return [
        ("GET", {"Host": host}),
        ("GET", {"Host": "localhost:%d" % admin}),
        ("GET", {"Host": "localhost"}),
        ("GET", {"Host": "evil.test:%d" % admin}),
        ("GET", {"Host": "example.test"}),
        ("GET", {"Host": host, "Origin": "http://example.test"}),
        ("GET", {"Host": host, "Origin": "http://evil.test"}),
        ("GET", {"Host": host, "Origin": "example.test"}),
        ("GET", {"Host": host, "Referer": "https://example.test/a/b?c=d"}),
        ("GET", {"Host": host, "Origin": "https://secure.test"}),
        ("GET", {"Host": host, "Origin": "http://secure.test"}),
        ("OPTIONS", {"Host": host, "Origin": "http://example.test"}),
    ]


def serve(argv, cfg_text, site, admin, tmp, name):
    home = os.path.join(tmp, name)
    os.makedirs(home, exist_ok=True)
    cfg = os.path.join(home, "config.json")
    with open(cfg, "w") as f:
        f.write(cfg_text)
    env = dict(os.environ, HOME=home, XDG_DATA_HOME=home, XDG_CONFIG_HOME=home)
    proc = subprocess.Popen(argv + ["run", "--config", cfg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env)
    answers = []
    try:
        ok = wait_port(site, proc) and wait_port(admin, proc)
        check(ok, "%s serves its site and admin endpoint" % name)
        if ok:
            answers = [ask(admin, m, h) for m, h in requests_for(admin)]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return answers


def config(site, admin, extra):
    admin_cfg = dict({"listen": "127.0.0.1:%d" % admin}, **extra)
    return json.dumps({"admin": admin_cfg, "apps": {"http": {"servers": {"s": {
        "listen": ["127.0.0.1:%d" % site],
        "routes": [{"handle": [{"handler": "static_response", "body": "x"}]}]}}}}})


def main():
    gh = os.path.abspath(sys.argv[1])
    caddy = shutil.which("caddy")
    if not caddy:
        print("caddy not installed: skipping")
        return 77
    tmp = tempfile.mkdtemp(prefix="gh-admin-origins-")
    try:
        variants = [("default origins", {}),
                    ("origins + enforce_origin",
                     {"origins": [None, "example.test", "https://secure.test"], "enforce_origin": True})]
        for label, extra in variants:
            site, admin = free_port(), free_port()
            if "origins" in extra:
                extra = dict(extra, origins=["127.0.0.1:%d" % admin] + extra["origins"][1:])
            text = config(site, admin, extra)
            c = serve([caddy], text, site, admin, tmp, "caddy")
            g = serve([gh], text, site, admin, tmp, "gatehouse")
            for (method, headers), ca, ga in zip(requests_for(admin), c, g):
                what = "%s: %s %s" % (label, method, headers)
                check(ga[0] == ca[0], "%s status %d == caddy's %d" % (what, ga[0], ca[0]))
                if ca[0] == 403:
                    check(ga[1] == ca[1], "%s body %r == caddy's %r" % (what, ga[1], ca[1]))
                check(ga[2] == ca[2], "%s CORS headers %s == caddy's %s" % (what, ga[2], ca[2]))
            check(len(c) == len(g) == len(requests_for(admin)), "%s: every request answered" % label)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
