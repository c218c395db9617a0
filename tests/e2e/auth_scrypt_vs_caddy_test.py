#!/usr/bin/env python3
"""Differential: http_basic with Caddy 2.6's scrypt algorithm (JSON config only: caddy
2.6.2's Caddyfile `basicauth` takes bcrypt alone). The same JSON is served by Debian's caddy
and by gatehouse; status, WWW-Authenticate and body must match for right, wrong, unknown and
missing credentials, with default and explicit scrypt parameters.
Usage: auth_scrypt_vs_caddy_test.py <path-to-gatehouse>   (exit 77 when caddy is missing)
"""
import base64
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
from harness import check, finish, free_port  # noqa: E402

# `caddy hash-password --algorithm scrypt --plaintext hunter2 --salt somesalt` (defaults), and
# the same password with N=1024 r=8 p=1 key_length=16.
DEFAULT_HASH = "YdzL6KkJMRpymbgLC/it8D/cobo1e2M/DR1yYZOZZQ4="
SMALL_HASH = "IeNk/6jPNCdYBXMi6e/UIA=="
SALT = base64.b64encode(b"somesalt").decode()


def config(port):
    def auth(path, hash_cfg, password):
        return {"match": [{"path": [path]}],
                "handle": [{"handler": "authentication", "providers": {"http_basic": {
                    "hash": hash_cfg, "realm": "scrypt test", "hash_cache": {},
                    "accounts": [{"username": "bob", "password": password, "salt": SALT}]}}}]}
    routes = [
        auth("/default/*", {"algorithm": "scrypt"}, DEFAULT_HASH),
        auth("/small/*", {"algorithm": "scrypt", "N": 1024, "r": 8, "p": 1, "key_length": 16}, SMALL_HASH),
        {"handle": [{"handler": "static_response", "body": "user=[{http.auth.user.id}]"}]},
    ]
    return {"admin": {"disabled": True},
            "apps": {"http": {"servers": {"srv0": {"listen": ["127.0.0.1:%d" % port], "routes": routes,
                                                   "automatic_https": {"disable": True}}}}}}


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


REQUESTS = [
    ("/default/a", None),
    ("/default/a", basic("bob", "hunter2")),
    ("/default/a", basic("bob", "hunter2")),
    ("/default/a", basic("bob", "wrong")),
    ("/default/a", basic("eve", "hunter2")),
    ("/small/a", basic("bob", "hunter2")),
    ("/small/a", basic("bob", "hunter3")),
    ("/open", None),
]


def serve(argv, tmp, name):
    port = free_port()
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump(config(port), f)
    env = dict(os.environ, HOME=tmp, XDG_DATA_HOME=tmp, XDG_CONFIG_HOME=tmp)
    proc = subprocess.Popen(argv + ["run", "--config", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=env)
    results = []
    try:
        deadline = time.time() + 20
        while time.time() < deadline and proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        for target, auth in REQUESTS:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            headers = {"Host": "example.test"}
            if auth:
                headers["Authorization"] = auth
            try:
                c.request("GET", target, headers=headers)
                r = c.getresponse()
                results.append((r.status, r.getheader("WWW-Authenticate"), r.read()))
            except OSError as e:
                results.append(("error", str(e), b""))
            c.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return results


def main():
    binary = sys.argv[1]
    caddy = shutil.which("caddy")
    if caddy is None:
        print("caddy not installed: skipped")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        want = serve([caddy], tmp, "caddy")
        got = serve([binary], tmp, "gatehouse")
    for (target, auth), w, g in zip(REQUESTS, want, got):
        check(g == w, "%s %s: gatehouse %r == caddy %r" % (target, auth, g, w))
    check(want[1][0] == 200 and want[3][0] == 401, "caddy itself accepts the right password only: %r" % want)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
