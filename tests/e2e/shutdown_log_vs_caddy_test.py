#!/usr/bin/env python3
"""Differential: the lines Debian's caddy 2.6.2 and gatehouse write on stderr when they stop,
for SIGINT ("shutting down"), SIGTERM ("shutting down apps, then terminating") and the admin
API's POST /stop: each line's level, logger, message and field names in order, from the
stop request to "shutdown complete" ("exiting; byeee!! 👋" at WARN in between, the signal
or the admin.api logger carried through). Caddy's own extra lines (certificate
maintenance, admin request logging) are left out: only messages both know are compared.
Usage: shutdown_log_vs_caddy_test.py <path-to-gatehouse>   (exit 77 without caddy)
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.dont_write_bytecode = True
from harness import check, finish, free_port, wait_port  # noqa: E402

MESSAGES = ("shutting down", "shutting down apps, then terminating", "exiting; byeee!! \U0001F44B",
            "shutdown complete")


def stop_lines(argv, home, how):
    port, admin = free_port(), free_port()
    cfg = os.path.join(home, "Caddyfile")
    with open(cfg, "w") as f:
        f.write("{\n\tadmin 127.0.0.1:%d\n\tauto_https off\n}\n:%d {\n\tbind 127.0.0.1\n\trespond x\n}\n"
                % (admin, port))
    env = dict(os.environ, HOME=home, XDG_DATA_HOME=home, XDG_CONFIG_HOME=home)
    err_path = os.path.join(home, "stderr-%s" % how)
    with open(err_path, "w") as err:
        proc = subprocess.Popen(argv + ["run", "--config", cfg, "--adapter", "caddyfile"], stdout=err, stderr=err,
                                stdin=subprocess.DEVNULL, env=env)
        try:
            check(wait_port(port, proc, timeout=15), "%s serves (%s)" % (argv[0], how))
            if how == "stop":
                req = urllib.request.Request("http://127.0.0.1:%d/stop" % admin, method="POST")
                urllib.request.urlopen(req, timeout=10).read()
            else:
                proc.send_signal(signal.SIGINT if how == "SIGINT" else signal.SIGTERM)
            code = proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
            code = None
    check(code == 0, "%s exits 0 after %s (%s)" % (argv[0], how, code))
    out = []
    with open(err_path, encoding="utf-8") as f:
        for line in f:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if e.get("msg") in MESSAGES:
                out.append((e.get("level"), e.get("logger"), e.get("msg"),
                            [k for k in e if k not in ("level", "ts", "logger", "msg")],
                            e.get("signal")))
    return out


def main():
    gh = os.path.abspath(sys.argv[1])
    caddy = shutil.which("caddy")
    if caddy is None:
        print("SKIP: caddy not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="gh-shutdown-log-")
    try:
        for how in ("SIGINT", "SIGTERM", "stop"):
            homes = [os.path.join(tmp, "%s-%s" % (n, how)) for n in ("caddy", "gatehouse")]
            for h in homes:
                os.makedirs(h)
            c = stop_lines([caddy], homes[0], how)
            g = stop_lines([gh], homes[1], how)
            want = 2 if how == "stop" else 3  # POST /stop says no "shutting down"
            check(len(c) == want, "caddy 2.6.2 writes %d shutdown lines for %s: %s" % (want, how, c))
            check(g == c, "%s: gatehouse's shutdown lines are caddy's\n  gatehouse %s\n  caddy     %s" % (how, g, c))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
