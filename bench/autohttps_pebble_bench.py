#!/usr/bin/env python3
"""Time from start to serving valid certificates for N names, Gatehouse vs Caddy, against the
same local pebble (PEBBLE_VA_NOSLEEP=1, default nonce rejection) and the same Caddyfile.

Usage: bench/autohttps_pebble_bench.py <gatehouse> [caddy=/usr/bin/caddy] [counts=1,10,50] [runs=1]
Prints one line per (server, N, run) with the 1-minute load average before the run (the
machine is shared), and the medians. Each name is its own certificate, so N names are N
orders; Gatehouse runs them concurrently. Loopback only; bounded waits (300 s a run).
"""
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import acme_pebble  # noqa: E402
import tls_pki  # noqa: E402


def caddyfile(tmp, pebble, storage, names):
    path = os.path.join(tmp, "Caddyfile")
    with open(path, "w") as f:
        f.write("{\n\temail a@b.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n\thttps_port %d\n"
                "\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n\tadmin off\n}\n\n"
                % (pebble.directory, pebble.cert, pebble.http_port, pebble.tls_port, storage))
        for n in names:
            f.write('%s {\n\trespond "hello {http.request.tls.server_name}"\n}\n\n' % n)
    return path


def measure(cmd, tmp, pebble, names, roots):
    env = dict(os.environ, HOME=tmp, XDG_DATA_HOME=os.path.join(tmp, "data"),
               XDG_CONFIG_HOME=os.path.join(tmp, "config"))
    log = open(os.path.join(tmp, "server.log"), "w")
    start = time.time()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    pending = list(names)
    try:
        while pending and time.time() - start < 300 and proc.poll() is None:
            rc, out, _ = tls_pki.curl(["--cacert", roots, "--resolve", "%s:%d:127.0.0.1" % (pending[0], pebble.tls_port),
                                       "https://%s:%d/" % (pending[0], pebble.tls_port)], timeout=5)
            if rc == 0:
                pending.pop(0)
            else:
                time.sleep(0.05)
        return None if pending else time.time() - start
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def main():
    gatehouse = sys.argv[1]
    caddy = sys.argv[2] if len(sys.argv) > 2 else "/usr/bin/caddy"
    counts = [int(a) for a in sys.argv[3].split(",")] if len(sys.argv) > 3 else [1, 10, 50]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    acme_pebble.require_pebble()
    results = {}
    for n in counts:
        names = ["n%d.test" % i for i in range(n)]
        for server in ("gatehouse", "caddy"):
            for run in range(runs):
                with tempfile.TemporaryDirectory() as tmp:
                    pebble = acme_pebble.Pebble(tmp)
                    load = os.getloadavg()[0]
                    try:
                        roots = os.path.join(tmp, "roots.pem")
                        with open(roots, "w") as f:
                            f.write(pebble.management("/roots/0"))
                        cfg = caddyfile(tmp, pebble, os.path.join(tmp, "storage"), names)
                        cmd = ([gatehouse, "run", "--config", cfg, "--adapter", "caddyfile"] if server == "gatehouse"
                               else [caddy, "run", "--config", cfg, "--adapter", "caddyfile"])
                        t = measure(cmd, tmp, pebble, names, roots)
                    finally:
                        pebble.stop()
                print("%-9s names=%-3d run=%d  %-8s (load %.2f)" % (server, n, run, "%.2fs" % t if t else "FAILED", load),
                      flush=True)
                if t:
                    results.setdefault((server, n), []).append(t)
    for (server, n), ts in sorted(results.items()):
        print("median %-9s names=%-3d %.2fs (%d runs)" % (server, n, statistics.median(ts), len(ts)))


if __name__ == "__main__":
    main()
