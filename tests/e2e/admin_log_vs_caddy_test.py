#!/usr/bin/env python3
"""Differential: what Debian's caddy 2.6.2 and gatehouse log on stderr for admin API calls:
admin.api "received request" (method, host, uri, remote_ip, remote_port, headers as Go's
sorted header map; DEBUG, so not shown, for GET /metrics), "load complete" after each
POST /load, "config is unchanged" (logger "") before it when the config is the same, and
"request error" (error, status_code) for a refused config or a refused Host. Compared: each
such line's level, logger, message, field names and values (ports and the error text's
cause normalized).
Usage: admin_log_vs_caddy_test.py <path-to-gatehouse>   (exit 77 without caddy)
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

sys.dont_write_bytecode = True
from harness import check, finish, free_port, wait_port  # noqa: E402

MESSAGES = ("received request", "load complete", "config is unchanged", "request error")


def call(admin, method, path, body=None, host=None):
    headers = {"User-Agent": "adminlog/1", "Accept": "*/*"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if host:
        headers["Host"] = host
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (admin, path), data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def lines(argv, home):
    port, admin = free_port(), free_port()
    cfg = os.path.join(home, "Caddyfile")
    with open(cfg, "w") as f:
        f.write("{\n\tadmin 127.0.0.1:%d\n\tauto_https off\n}\n:%d {\n\tbind 127.0.0.1\n\trespond x\n}\n"
                % (admin, port))
    config = json.dumps({"admin": {"listen": "127.0.0.1:%d" % admin}, "apps": {"http": {"servers": {"s": {
        "listen": ["127.0.0.1:%d" % port], "routes": [{"handle": [{"handler": "static_response", "body": "y"}]}]}}}}})
    bad = json.dumps({"admin": {"listen": "127.0.0.1:%d" % admin}, "apps": {"http": {"servers": {"s": {
        "listen": ["127.0.0.1:%d" % port], "routes": [{"handle": [{"handler": "nope"}]}]}}}}})
    env = dict(os.environ, HOME=home, XDG_DATA_HOME=home, XDG_CONFIG_HOME=home)
    err_path = os.path.join(home, "stderr")
    codes = []
    with open(err_path, "w") as err:
        proc = subprocess.Popen(argv + ["run", "--config", cfg, "--adapter", "caddyfile"], stdout=err, stderr=err,
                                stdin=subprocess.DEVNULL, env=env)
        try:
            check(wait_port(port, proc, timeout=15) and wait_port(admin, proc, timeout=15), "%s serves" % argv[0])
            codes.append(call(admin, "POST", "/load", config.encode()))
            wait_port(admin, proc, timeout=10)
            codes.append(call(admin, "POST", "/load", config.encode()))
            codes.append(call(admin, "POST", "/load", bad.encode()))
            codes.append(call(admin, "GET", "/metrics"))
            codes.append(call(admin, "GET", "/config/", host="evil.test"))
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
    out = []
    with open(err_path, encoding="utf-8") as f:
        for line in f:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if e.get("msg") not in MESSAGES:
                continue
            e.pop("ts", None)
            for k in ("remote_port",):
                if k in e:
                    e[k] = "<port>"
            if "host" in e:
                e["host"] = e["host"].replace(str(admin), "{ADMIN}")
            if "headers" in e and "Content-Length" in e["headers"]:
                e["headers"]["Content-Length"] = ["<n>"]
            if "error" in e and "nope" in e["error"]:
                e["error"] = "<refused: unknown handler nope>"
            out.append([(k, v) for k, v in e.items()])
    return codes, out


def main():
    gh = os.path.abspath(sys.argv[1])
    caddy = shutil.which("caddy")
    if caddy is None:
        print("SKIP: caddy not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="gh-admin-log-")
    try:
        homes = [os.path.join(tmp, n) for n in ("caddy", "gatehouse")]
        for h in homes:
            os.makedirs(h)
        c_codes, c = lines([caddy], homes[0])
        g_codes, g = lines([gh], homes[1])
        check(c_codes == [200, 200, 400, 200, 403] and g_codes == c_codes,
              "answers: caddy %s, gatehouse %s" % (c_codes, g_codes))
        check(len(c) == 9, "caddy 2.6.2 logs 9 of these lines (%d)" % len(c))
        check(len(g) == len(c), "gatehouse logs as many (%d vs %d)" % (len(g), len(c)))
        for i, (a, b) in enumerate(zip(c, g)):
            check(a == b, "line %d as caddy's\n  gatehouse %s\n  caddy     %s" % (i, b, a))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
