"""Times one storage cleaning pass of caddy 2.6.2 and of gatehouse on identical storages of
N valid and N expired (20 days) certificates: from the `cleaning storage unit` line to
`finished cleaning storage units`. Usage: storage_clean_bench.py <gatehouse> [N=1000]"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import harness  # noqa: E402
import storage_clean_vs_caddy_test as t  # noqa: E402


def one_pass(cmd, home, port):
    root = os.path.join(home, "data", "caddy")
    for i in range(N):
        t.site(root, t.ISSUER, "v%05d.example" % i, 60)
        t.site(root, t.ISSUER, "x%05d.example" % i, -20)
    path = os.path.join(home, "Caddyfile")
    with open(path, "w") as f:
        f.write(t.CADDYFILE % ("", port))
    env = dict(os.environ, XDG_DATA_HOME=os.path.join(home, "data"), XDG_CONFIG_HOME=home, HOME=home)
    log_path = os.path.join(home, "out.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd + ["--adapter", "caddyfile", "--config", path], stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        stamps = []
        deadline = time.time() + 300
        while time.time() < deadline and len(stamps) < 2:
            time.sleep(0.2)
            with open(log_path) as f:
                stamps = [json.loads(line)["ts"] for line in f
                          if '"cleaning storage unit"' in line or '"finished cleaning storage units"' in line]
        proc.terminate()
        proc.wait(30)
    left = sum(len(files) for _, _, files in os.walk(os.path.join(root, "certificates")))
    return stamps[1] - stamps[0], left


N = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
base = tempfile.mkdtemp(prefix="gh-storageclean-bench-")
try:
    for name, cmd in (("caddy", ["caddy", "run"]), ("gatehouse", [sys.argv[1], "run", "--workers", "1"])):
        secs, left = one_pass(cmd, os.path.join(base, name), harness.free_port())
        print("%-9s %d sites (%d expired): one pass %.2f s, %d files left" % (name, 2 * N, N, secs, left))
finally:
    shutil.rmtree(base, ignore_errors=True)
