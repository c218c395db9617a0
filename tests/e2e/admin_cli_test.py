#!/usr/bin/env python3
"""`gatehouse reload` and `gatehouse stop` go through the admin API as caddy's commands do:
reload posts the config to /load (a JSON config as given, so its @id members reach the
server and /id/ finds them; --force reloads an unchanged one), stop posts to /stop and the
server exits cleanly. `caddy stop` stops gatehouse too (the same API), and `gatehouse stop`
stops caddy.
Usage: admin_cli_test.py <path-to-gatehouse>
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request

sys.dont_write_bytecode = True
from harness import check, finish, free_port, wait_port  # noqa: E402


def config(site, admin, body):
    return {"admin": {"listen": "127.0.0.1:%d" % admin}, "apps": {"http": {"servers": {"s": {
        "listen": ["127.0.0.1:%d" % site],
        "routes": [{"@id": "main", "handle": [{"handler": "static_response", "body": body}]}]}}}}}


def get(url):
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=10) as r:
        return r.read().decode()


def serve(argv, cfg, site, admin, env):
    proc = subprocess.Popen(argv + ["run", "--config", cfg], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, env=env)
    ok = wait_port(site, proc) and wait_port(admin, proc)
    return proc, ok


def wait_exit(proc):
    try:
        return proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
        return None


def main():
    gh = os.path.abspath(sys.argv[1])
    caddy = shutil.which("caddy")
    tmp = tempfile.mkdtemp(prefix="gh-admin-cli-")
    env = dict(os.environ, HOME=tmp, XDG_DATA_HOME=tmp, XDG_CONFIG_HOME=tmp)
    try:
        site, admin = free_port(), free_port()
        cfg = os.path.join(tmp, "a.json")
        with open(cfg, "w") as f:
            json.dump(config(site, admin, "one"), f)
        proc, ok = serve([gh], cfg, site, admin, env)
        check(ok, "gatehouse serves")
        if ok:
            with open(cfg, "w") as f:
                json.dump(config(site, admin, "two"), f)
            r = subprocess.run([gh, "reload", "--config", cfg], capture_output=True, text=True, timeout=60, env=env)
            check(r.returncode == 0, "gatehouse reload exits 0 (%s)" % r.stderr.strip())
            check(get("http://127.0.0.1:%d/" % site) == "two", "the reloaded config is served")
            check(json.loads(get("http://127.0.0.1:%d/id/main/handle/0/body" % admin)) == "two",
                  "the @id of the reloaded JSON config is indexed")
            r = subprocess.run([gh, "reload", "--config", cfg, "--force"], capture_output=True, text=True,
                               timeout=60, env=env)
            check(r.returncode == 0, "gatehouse reload --force of an unchanged config exits 0")
            r = subprocess.run([gh, "stop", "--address", "127.0.0.1:%d" % admin], capture_output=True, text=True,
                               timeout=60, env=env)
            check(r.returncode == 0, "gatehouse stop exits 0 (%s)" % r.stderr.strip())
            check(wait_exit(proc) == 0, "gatehouse stopped through /stop and exited 0")
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        r = subprocess.run([gh, "stop", "--address", "127.0.0.1:%d" % admin], capture_output=True, text=True,
                           timeout=60, env=env)
        check(r.returncode == 1 and "127.0.0.1:%d/stop" % admin in r.stderr,
              "gatehouse stop with nothing there fails naming the URL (%s)" % r.stderr.strip())
        if caddy:
            for server, stopper in (([gh], [caddy]), ([caddy], [gh])):
                site, admin = free_port(), free_port()
                with open(cfg, "w") as f:
                    json.dump(config(site, admin, "x"), f)
                proc, ok = serve(server, cfg, site, admin, env)
                check(ok, "%s serves" % server[0])
                r = subprocess.run(stopper + ["stop", "--address", "127.0.0.1:%d" % admin], capture_output=True,
                                   text=True, timeout=60, env=env)
                check(r.returncode == 0, "%s stop exits 0 (%s)" % (stopper[0], r.stderr.strip()[-300:]))
                check(wait_exit(proc) == 0, "%s stopped by %s stop" % (server[0], stopper[0]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
