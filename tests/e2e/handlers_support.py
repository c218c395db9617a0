"""Shared by the handlers_* and log_* e2e scripts: start the real gatehouse binary on a
Caddyfile (adapted with `gatehouse adapt`, every listener moved to 127.0.0.1:0 so parallel
tests never collide), find its bound address in the startup log, make requests, stop it.
"""
import http.client
import json
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
import server_stderr  # noqa: E402

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


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
        self.proc = subprocess.Popen([binary, "run", "--config", config_path, "--adapter", "json",
                                      "--workers", str(workers)],
                                     stderr=subprocess.PIPE, stdout=stdout, stdin=subprocess.DEVNULL, text=True)
        deadline = time.time() + 20
        self.addr = None
        seen = []
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            seen.append(line)
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("msg") == "server running" and self.addr is None:
                host, port = entry["addresses"][0].rsplit(":", 1)
                self.addr = (host.strip("[]"), int(port))
            if entry.get("msg") == "serving initial configuration" and self.addr:
                self.drain = server_stderr.Drain(self.proc, seen)
                return
        self.proc.kill()
        raise SystemExit("gatehouse did not start: " + "".join(seen))

    def request(self, path, method="GET", headers=None, body=None, host="example.test"):
        c = http.client.HTTPConnection(self.addr[0], self.addr[1], timeout=10)
        h = {"Host": host}
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def stop(self):
        """Stops the server; returns its stderr after startup (sanitizer reports fail the test)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        report = self.drain.finish()
        check(not report, "sanitizer report:\n" + report)
        return self.drain.text()


def finish():
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("OK")
    return 0
