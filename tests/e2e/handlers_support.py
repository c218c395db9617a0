"""Shared by the handlers_* and log_* e2e scripts: start the real gatehouse binary on a
Caddyfile (adapted with `gatehouse adapt`, every listener moved to 127.0.0.1:0 so parallel
tests never collide), find its bound address in the startup log, make requests, stop it.
"""
import http.client
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True
from harness import FAILURES, addr_of, check, finish, start, stop  # noqa: E402,F401 (re-exported)


def adapt(binary, caddyfile_text, tmp):
    path = os.path.join(tmp, "Caddyfile")
    with open(path, "w") as f:
        f.write(caddyfile_text)
    out = subprocess.run([binary, "adapt", "--config", path], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise SystemExit("adapt failed: " + out.stderr)
    cfg = json.loads(out.stdout)
    for srv in cfg.get("apps", {}).get("http", {}).get("servers", {}).values():
        srv["listen"] = ["127.0.0.1:0"]
    cfg["admin"] = {"disabled": True}
    json_path = os.path.join(tmp, "config.json")
    with open(json_path, "w") as f:
        json.dump(cfg, f)
    return json_path


class Server:
    def __init__(self, binary, config_path, workers=1, stdout=subprocess.DEVNULL):
        self.proc, servers, self.drain, _ = start(binary, config_path, "json", workers, stdout=stdout)
        self.addr = addr_of(next(iter(servers.values()))[0])

    def request(self, path, method="GET", headers=None, body=None, host="example.test", timeout=10):
        c = http.client.HTTPConnection(self.addr[0], self.addr[1], timeout=timeout)
        h = {"Host": host}
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def stop(self):
        """Stops the server; returns its stderr (a sanitizer report fails the test)."""
        stop(self.proc, self.drain, expect_clean=False)
        return self.drain.text()
