#!/usr/bin/env python3
"""End-to-end: reloading a running gatehouse loses no request.

A thread sends a steady, bounded stream of requests (a new connection each) while the
config is reloaded by SIGUSR1 and by `gatehouse reload` (admin endpoint POST /load).
Checks: every request answered 200, the new config visible right after each reload, a
listener added and removed by a reload, a broken config rejected with the old one still
serving, GET /config/ returning the running config. 127.0.0.1 only.
Usage: reload_test.py <path-to-gatehouse>
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
import tls_pki  # noqa: E402
from harness import FAILURES, check, finish  # noqa: E402,F401


def config(version, admin_port, extra_server=False, broken=False):
    servers = {"srv0": {"listen": ["127.0.0.1:0"],
                        "routes": [{"handle": [{"handler": "static_response", "body": version}]}]}}
    if extra_server:
        servers["srv1"] = {"listen": ["127.0.0.1:0"],
                           "routes": [{"handle": [{"handler": "static_response", "body": "extra " + version}]}]}
    if broken:
        servers["srv0"]["routes"][0]["handle"][0]["handler"] = "no_such_handler"
    return {"admin": {"listen": "127.0.0.1:%d" % admin_port}, "apps": {"http": {"servers": servers}}}


def write(path, cfg):
    with open(path + ".tmp", "w") as f:
        json.dump(cfg, f)
    os.replace(path + ".tmp", path)  # SIGUSR1 must never read a half-written file


def fetch(port, timeout=5):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", "/", headers={"Connection": "close"})
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


class Load(threading.Thread):
    """Requests in a loop until stopped (at most 20000 requests or 60 s)."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.results, self.errors = port, [], []
        self.stop = threading.Event()

    def run(self):
        deadline = time.time() + 60
        while not self.stop.is_set() and len(self.results) < 20000 and time.time() < deadline:
            try:
                self.results.append(fetch(self.port))
            except Exception as e:  # noqa: BLE001 - any failure is a lost request
                self.errors.append(repr(e))


def wait_body(port, want, seconds=10):
    deadline = time.time() + seconds
    body = None
    while time.time() < deadline:
        _, body = fetch(port)
        if body == want:
            return True
        time.sleep(0.05)
    print("last body:", body)
    return False


def reload_cli(binary, path):
    p = subprocess.run([binary, "reload", "--config", path, "--adapter", "json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60)
    return p.returncode, p.stderr


def last_addresses(drain, name):
    found = None
    for line in drain.lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("msg") == "server running" and entry.get("name") == name:
            found = entry["addresses"]
    return found


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except OSError:
        return True


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        admin_port = tls_pki.free_port()
        path = os.path.join(tmp, "config.json")
        write(path, config("v1", admin_port))
        proc, servers, drain, _ = tls_pki.start(binary, path, workers=2)
        port = tls_pki.port_of(servers["srv0"][0])
        load = Load(port)
        try:
            load.start()
            time.sleep(0.3)
            # 1. SIGUSR1 re-reads the file.
            write(path, config("v2", admin_port))
            proc.send_signal(signal.SIGUSR1)
            check(wait_body(port, "v2"), "SIGUSR1: the new config is served")
            # 2. gatehouse reload posts to the admin endpoint and returns once it is live.
            v3 = os.path.join(tmp, "v3.json")
            write(v3, config("v3", admin_port, extra_server=True))
            t0 = time.time()
            rc, err = reload_cli(binary, v3)
            took = time.time() - t0
            check(rc == 0, "gatehouse reload succeeds: %s" % err.strip())
            _, body = fetch(port)
            check(body == "v3", "new config visible as soon as reload returns (%.0f ms)" % (took * 1000))
            # The line is logged before the reload answers, but the drain thread reading our
            # pipe may not have it yet (CI under load once missed it): bounded wait.
            deadline = time.time() + 5
            extra = last_addresses(drain, "srv1")
            while extra is None and time.time() < deadline:
                time.sleep(0.05)
                extra = last_addresses(drain, "srv1")
            check(extra is not None, "a listener added by the reload is reported")
            extra_port = tls_pki.port_of(extra[0]) if extra else 0
            if extra:
                status, body = fetch(extra_port)
                check(status == 200 and body == "extra v3", "the added listener serves")
            # 3. A broken config is rejected; the old one keeps serving.
            bad = os.path.join(tmp, "bad.json")
            write(bad, config("v4", admin_port, extra_server=True, broken=True))
            rc, err = reload_cli(binary, bad)
            check(rc == 1 and "no_such_handler" in err, "broken config rejected by reload: %s" % err.strip())
            write(path, {"apps": {"http": {"servers": "not an object"}}})
            proc.send_signal(signal.SIGUSR1)
            time.sleep(1)
            _, body = fetch(port)
            check(body == "v3", "after rejected reloads the old config still serves")
            check(proc.poll() is None, "server still running after rejected reloads")
            check(any("reload rejected" in line for line in drain.lines), "SIGUSR1 rejection is logged")
            # 4. GET /config/ returns the running config.
            c = http.client.HTTPConnection("127.0.0.1", admin_port, timeout=5)
            c.request("GET", "/config/")
            r = c.getresponse()
            running = json.loads(r.read() or b"null")
            c.close()
            check(r.status == 200 and running["apps"]["http"]["servers"]["srv0"]["routes"][0]["handle"][0]["body"]
                  == "v3", "GET /config/ shows the running config")
            # A foreign Host (DNS rebinding) is refused.
            c = http.client.HTTPConnection("127.0.0.1", admin_port, timeout=5)
            c.request("GET", "/config/", headers={"Host": "evil.example"})
            check(c.getresponse().status == 403, "admin refuses a non-loopback Host")
            c.close()
            # 5. Removing srv1 closes its listener; srv0's listener stays.
            write(path, config("v5", admin_port))
            rc, err = reload_cli(binary, path)
            check(rc == 0, "reload to v5: %s" % err.strip())
            check(extra_port == 0 or refused(extra_port), "a listener removed by the reload is closed")
            _, body = fetch(port)
            check(body == "v5", "v5 served on the listener kept since start")
            time.sleep(0.3)
        finally:
            load.stop.set()
            load.join(70)
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = None
            check(rc == 0, "clean exit after SIGTERM (rc=%s)" % rc)
            report = drain.finish()
            check(report == "", "no sanitizer report")
        off = os.path.join(tmp, "off.json")
        write(off, {"admin": {"disabled": True}, "apps": {}})
        rc, err = reload_cli(binary, off)
        check(rc == 1 and "admin off" in err, "reload refuses a config with admin off: %s" % err.strip())
        gone = os.path.join(tmp, "gone.json")
        write(gone, config("v6", admin_port))
        rc, err = reload_cli(binary, gone)
        check(rc == 1 and "is gatehouse running" in err, "reload with nothing listening fails clearly: %s" % err.strip())
        total = len(load.results) + len(load.errors)
        bad_status = [r for r in load.results if r[0] != 200]
        bodies = sorted({b for _, b in load.results})
        print("load: %d requests, %d errors, bodies %s" % (total, len(load.errors), bodies))
        check(total > 50, "the load thread ran (%d requests)" % total)
        check(not load.errors, "no request lost during reloads: %s" % load.errors[:3])
        check(not bad_status, "every request answered 200")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
