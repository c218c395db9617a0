#!/usr/bin/env python3
"""End-to-end: what a `tls internal` certificate logs, against Debian's caddy 2.6.2.

caddy 2.6.2 logs certmagic's "obtaining certificate" and "certificate obtained successfully"
(logger tls.obtain, field identifier) when its local CA signs a leaf, and nothing when the
leaf comes from storage; Gatehouse logs the same lines, with the same logger and fields, for
the same config. A short-lived leaf renewed while serving logs "renewing certificate" and
"certificate renewed successfully" (tls.renew). Loopback only; every wait is bounded.
Skips (77) without caddy. Usage: tls_internal_log_test.py <path-to-gatehouse>
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import harness  # noqa: E402
import tls_pki  # noqa: E402
from harness import check  # noqa: E402

OBTAIN = ("obtaining certificate", "certificate obtained successfully")
RENEW = ("renewing certificate", "certificate renewed successfully")


def config(store, site="a.test", issuer="\ttls internal\n"):
    # skip_install_trust: neither server may touch the machine's trust store.
    return ("{\n\tstorage file_system %s\n\tadmin off\n\tskip_install_trust\n\thttp_port %d\n\thttps_port %d\n}\n\n"
            "%s {\n\tbind 127.0.0.1\n%s\trespond \"x\"\n}\n"
            % (store, tls_pki.free_port(), tls_pki.free_port(), site, issuer))


def parse(text):
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            pass
    return lines


def shape(lines, name, msgs):
    """msg -> (logger, field names) of the lines about `name` with those messages."""
    out = {}
    for e in lines:
        if e.get("msg") in msgs and e.get("identifier") == name:
            out[e["msg"]] = (e.get("logger"), sorted(k for k in e if k not in ("level", "ts")))
    return out


def caddy_lines(tmp, cfg_text, leaf):
    cfg = os.path.join(tmp, "caddy.Caddyfile")
    with open(cfg, "w") as f:
        f.write(cfg_text)
    env = dict(os.environ, HOME=tmp, XDG_DATA_HOME=os.path.join(tmp, "xdg-data"),
               XDG_CONFIG_HOME=os.path.join(tmp, "xdg-config"))
    log_path = os.path.join(tmp, "caddy.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(["caddy", "run", "--config", cfg, "--adapter", "caddyfile"], stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        try:
            deadline = time.time() + 30
            while time.time() < deadline and not os.path.exists(leaf) and proc.poll() is None:
                time.sleep(0.2)
            time.sleep(0.5)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
    with open(log_path) as f:
        return parse(f.read())


def ours(binary, tmp, name, cfg_text, wait=None):
    """Runs Gatehouse on the config; `wait(lines_so_far)` may keep it running (bounded by itself)."""
    cfg = os.path.join(tmp, name)
    with open(cfg, "w") as f:
        f.write(cfg_text)
    proc, _, drain, _ = harness.start(binary, cfg, adapter="caddyfile")
    try:
        if wait:
            wait(drain)
    finally:
        harness.stop(proc, drain)
    return parse(drain.text())


def main():
    binary = sys.argv[1]
    if shutil.which("caddy") is None:
        print("SKIP: caddy not installed")
        return 77
    with tempfile.TemporaryDirectory(prefix="gh-internal-log-") as tmp:
        cstore, gstore = os.path.join(tmp, "caddy-store"), os.path.join(tmp, "our-store")
        theirs = caddy_lines(tmp, config(cstore), os.path.join(cstore, "certificates/local/a.test/a.test.crt"))
        want = shape(theirs, "a.test", OBTAIN)
        check(set(want) == set(OBTAIN), "caddy 2.6.2 logs both lines for a local-CA leaf: %s" % want)
        got = shape(ours(binary, tmp, "first.Caddyfile", config(gstore)), "a.test", OBTAIN)
        check(got == want, "Gatehouse logs them with caddy's logger and fields: %s vs %s" % (got, want))
        again = shape(ours(binary, tmp, "again.Caddyfile", config(gstore)), "a.test", OBTAIN)
        check(again == {}, "a leaf loaded from storage logs neither (as caddy): %s" % again)

        def renewed(drain):
            deadline = time.time() + 30
            while time.time() < deadline and "certificate renewed successfully" not in drain.text():
                time.sleep(0.5)
        short = "\ttls {\n\t\tissuer internal {\n\t\t\tlifetime 15s\n\t\t}\n\t}\n"
        lines = ours(binary, tmp, "renew.Caddyfile", config(os.path.join(tmp, "renew-store"), "r.test", short),
                     renewed)
        got = shape(lines, "r.test", RENEW)
        check(got == {m: ("tls.renew", ["identifier", "logger", "msg"]) for m in RENEW},
              "a renewal while serving logs certmagic's tls.renew lines: %s" % got)
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
