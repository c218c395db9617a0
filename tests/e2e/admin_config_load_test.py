#!/usr/bin/env python3
"""Dynamic config loading (caddy 2.6.2's admin.config.load, module "http", and load_delay):
gatehouse and caddy start from the same JSON config whose loader fetches the real config
from a small local HTTP server, and both end up serving it. Covered: the request as
configured (method, header), a JSON answer and a text/caddyfile one (adapted), load_delay
(the first config serves until the delay passes; a fetched config with its own loader keeps
polling and picks up a change), and a failed fetch at start-up without load_delay (both
refuse to start with the same error).
Usage: admin_config_load_test.py <path-to-gatehouse>
"""
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.dont_write_bytecode = True
from harness import check, finish, free_port, wait_port  # noqa: E402


UNCHANGED = "dynamically-loaded config was unchanged; will retry"


class ConfigSource:
    """The HTTP server the loaders fetch from; `routes` maps a path to (content type, body)."""

    def __init__(self):
        self.routes = {}
        self.seen = []  # (method, path, X-Token header)
        self.lock = threading.Lock()
        source = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self):
                with source.lock:
                    source.seen.append((self.command, self.path, self.headers.get_all("X-Token")))
                    route = source.routes.get(self.path)
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                ctype, body = route
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def set(self, path, ctype, body):
        with self.lock:
            self.routes[path] = (ctype, body)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def site_config(admin, site, body, load=None, delay=None):
    cfg = {"admin": {"listen": "127.0.0.1:%d" % admin},
           "apps": {"http": {"servers": {"s": {"listen": ["127.0.0.1:%d" % site], "routes": [
               {"handle": [{"handler": "static_response", "body": body}]}]}}}}}
    if load is not None:
        cfg["admin"]["config"] = {"load": load}
        if delay is not None:
            cfg["admin"]["config"]["load_delay"] = delay
    return cfg


def get(port):
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                "http://127.0.0.1:%d/" % port, timeout=5) as r:
            return r.read().decode()
    except OSError:
        return None


def wait_body(port, want, proc, timeout=20):
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline and proc.poll() is None:
        got = get(port)
        if got == want:
            return got
        time.sleep(0.1)
    return got


def start(argv, path, env):
    """The server running `path`; its stderr lines are gathered in proc.log as they come."""
    proc = subprocess.Popen(argv + ["run", "--config", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=env, text=True)
    proc.log = []

    def gather():
        for line in proc.stderr:
            proc.log.append(line)

    proc.reader = threading.Thread(target=gather, daemon=True)
    proc.reader.start()
    return proc


def wait_log(proc, text, timeout=10):
    """True once a stderr line of `proc` holds `text` (waits at most `timeout` s)."""
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if any(text in line for line in list(proc.log)):
            return True
        time.sleep(0.05)
    return any(text in line for line in list(proc.log))


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    proc.reader.join(5)
    return "".join(proc.log)


def run_immediate(name, argv, src, tmp, env):
    """No load_delay: the fetched JSON config replaces the initial one at start-up."""
    admin, first, fetched = free_port(), free_port(), free_port()
    key = "/%s/now.json" % name
    src.set(key, "application/json", json.dumps(site_config(admin, fetched, "fetched")))
    load = {"module": "http", "method": "POST", "url": "http://127.0.0.1:%d%s" % (src.port, key),
            "header": {"X-Token": ["a", "b"]}, "timeout": "5s"}
    path = os.path.join(tmp, name + "-now.json")
    with open(path, "w") as f:
        json.dump(site_config(admin, first, "initial", load), f)
    proc = start(argv, path, env)
    check(wait_body(fetched, "fetched", proc) == "fetched", "%s serves the fetched config" % name)
    # caddy starts the fetched config before it stops the initial one, so the old listener
    # may answer for a moment after the new one serves; give either server 3 s to close it.
    deadline = time.time() + 3
    while get(first) is not None and time.time() < deadline:
        time.sleep(0.05)
    check(get(first) is None, "%s no longer serves the initial config" % name)
    with src.lock:
        reqs = [s for s in src.seen if s[1] == key]
    check(bool(reqs) and reqs[0][0] == "POST" and reqs[0][2] == ["a", "b"],
          "%s fetched with the configured method and headers (%s)" % (name, reqs[:1]))
    log = stop(proc)
    return "successfully applied dynamically-loaded config" in log


def run_delayed(name, argv, src, tmp, env):
    """load_delay: the first config serves until the delay; a Caddyfile answer is adapted; a
    fetched config with its own loader keeps polling."""
    admin, first, fetched = free_port(), free_port(), free_port()
    key = "/%s/poll" % name
    url = "http://127.0.0.1:%d%s" % (src.port, key)

    def caddyfile(body):
        # The fetched config names the same loader, so the server keeps polling.
        return json.dumps(site_config(admin, fetched, body, {"module": "http", "url": url}, "300ms"))

    src.set(key, "text/caddyfile",
            "{\n\tadmin 127.0.0.1:%d\n}\nhttp://127.0.0.1:%d {\n\trespond \"from caddyfile\"\n}\n" % (admin, fetched))
    path = os.path.join(tmp, name + "-delay.json")
    with open(path, "w") as f:
        json.dump(site_config(admin, first, "initial", {"module": "http", "url": url}, "2s"), f)
    proc = start(argv, path, env)
    ok = wait_port(first, proc)
    check(ok and get(first) == "initial", "%s serves the initial config during load_delay" % name)
    check(wait_body(fetched, "from caddyfile", proc) == "from caddyfile",
          "%s serves the adapted Caddyfile after load_delay" % name)
    src.set(key, "application/json", caddyfile("v1"))
    # The Caddyfile config has no loader: polling ended with it. Load a polling one by hand.
    req = urllib.request.Request("http://127.0.0.1:%d/load" % admin, data=caddyfile("v1").encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=30).read()
    check(wait_body(fetched, "v1", proc) == "v1", "%s serves v1" % name)
    # The next poll (300 ms on) brings the running config again: the server says so.
    check(wait_log(proc, UNCHANGED), "%s polls while serving v1" % name)
    src.set(key, "application/json", caddyfile("v2"))
    check(wait_body(fetched, "v2", proc) == "v2", "%s polls and picks up v2" % name)
    log = stop(proc)
    return log.count(UNCHANGED) > 0


def run_failure(name, argv, src, tmp, env):
    admin, first = free_port(), free_port()
    load = {"module": "http", "url": "http://127.0.0.1:%d/%s/missing" % (src.port, name)}
    path = os.path.join(tmp, name + "-fail.json")
    with open(path, "w") as f:
        json.dump(site_config(admin, first, "initial", load), f)
    proc = start(argv, path, env)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        pass
    log = stop(proc)
    lines = [ln for ln in log.splitlines() if ln.startswith("Error:")]
    return proc.returncode, lines[-1] if lines else ""


def main():
    gh = os.path.abspath(sys.argv[1])
    caddy = shutil.which("caddy")
    tmp = tempfile.mkdtemp(prefix="gh-admin-load-")
    env = dict(os.environ, HOME=tmp, XDG_DATA_HOME=tmp, XDG_CONFIG_HOME=tmp)
    src = ConfigSource()
    try:
        peers = [("gatehouse", [gh])] + ([("caddy", [caddy])] if caddy else [])
        for name, argv in peers:
            check(run_immediate(name, argv, src, tmp, env), "%s logs the applied config" % name)
            check(run_delayed(name, argv, src, tmp, env), "%s logs unchanged polls" % name)
        failures = {name: run_failure(name, argv, src, tmp, env) for name, argv in peers}
        rc, line = failures["gatehouse"]
        check(rc == 1 and line.endswith("loading dynamic config from *caddyconfig.HTTPLoader: "
                                        "server responded with HTTP 404"),
              "gatehouse refuses to start when the fetch fails (%r)" % line)
        if caddy:
            check(failures["caddy"][1] == line, "the same error as caddy (%r)" % failures["caddy"][1])
    finally:
        src.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
