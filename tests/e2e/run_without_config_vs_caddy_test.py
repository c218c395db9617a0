"""`run` with neither --config nor ./Caddyfile starts with no config, as caddy 2.6.2: only the
admin endpoint (localhost:2019, the default) serves, GET /config/ says null and nothing is
autosaved; a config POSTed to /config/ then serves, and DELETE /config/ stops it again.
Both servers run the same steps one after the other. Port 2019 is the default and may be
held by someone else (another test's caddy): a server whose endpoint did not start is
checked for the start alone."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.dont_write_bytecode = True
from harness import check, finish, interrupt  # noqa: E402
from ports import free_port  # noqa: E402

ADMIN = "http://localhost:2019"


def call(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return None, None


def wait_for(pred, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def scenario(kind, binary, port):
    home = tempfile.mkdtemp(prefix="gh-noconfig-%s-" % kind)
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, "cfg"), XDG_DATA_HOME=os.path.join(home, "data"))
    log_path = os.path.join(home, "log")
    label = kind + ": "
    with open(log_path, "w") as log:
        extra = ["--workers", "1"] if kind == "gatehouse" else []
        proc = subprocess.Popen([binary, "run", *extra], cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        try:
            def text():
                with open(log_path) as f:
                    return f.read()

            check(wait_for(lambda: "serving initial configuration" in text() or proc.poll() is not None)
                  and proc.poll() is None, label + "starts with no config")
            if '"admin endpoint started"' not in text():
                print("note: %s: the admin endpoint did not start (port 2019 taken?): API steps skipped" % kind)
                return
            check('"admin endpoint started","address":"localhost:2019"' in text(),
                  label + "the start-up line names the admin address as configured (localhost:2019)")
            check(call("GET", ADMIN + "/config/") == (200, "null\n"), label + "GET /config/ is null")
            site = {"apps": {"http": {"servers": {"a": {"listen": ["127.0.0.1:%d" % port], "routes": [
                {"handle": [{"handler": "static_response", "body": "yo"}]}]}}}}}
            check(call("POST", ADMIN + "/config/", site)[0] == 200, label + "POST /config/ a site")
            check(wait_for(lambda: call("GET", "http://127.0.0.1:%d/" % port) == (200, "yo")), label + "the site serves")
            check(call("DELETE", ADMIN + "/config/")[0] == 200, label + "DELETE /config/")
            check(wait_for(lambda: call("GET", "http://127.0.0.1:%d/" % port)[0] is None), label + "the site stops")
            check(call("GET", ADMIN + "/config/") == (200, "null\n"), label + "GET /config/ null again")
            saved = os.path.join(home, "cfg", "caddy", "autosave.json")
            with open(saved) as f:
                check(json.load(f) == site, label + "the posted config was autosaved (and not the null one)")
        finally:
            interrupt(proc)
            shutil.rmtree(home, ignore_errors=True)


def main():
    binary = os.path.abspath(sys.argv[1])
    port = free_port()
    scenario("gatehouse", binary, port)
    if shutil.which("caddy"):
        scenario("caddy", shutil.which("caddy"), port)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
