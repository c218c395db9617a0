#!/usr/bin/env python3
"""Server CPU time per request of a templated page (templates + file_server), Gatehouse
beside Caddy, read from /proc/<pid>/stat around N keep-alive requests (CPU time is
steadier than req/s on a shared machine). Uses tests/compat/cases/templates_language/site.

    python3 bench/templates_cpu.py build/gatehouse [--requests 2000]
"""
import argparse
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SITE = os.path.join(HERE, "..", "tests", "compat", "cases", "templates_language", "site")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().split(")")[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(cmd, port, n):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        rows = []
        for path in ("/lang.html", "/sprig.html", "/style.css"):
            for _ in range(50):
                conn.request("GET", path)
                conn.getresponse().read()
            before = cpu_seconds(proc.pid)
            for _ in range(n):
                conn.request("GET", path)
                conn.getresponse().read()
            rows.append((path, (cpu_seconds(proc.pid) - before) / n * 1e6))
        return rows
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gatehouse")
    ap.add_argument("--requests", type=int, default=2000)
    args = ap.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "Caddyfile")
        with open(cfg, "w") as f:
            f.write("{\n\tadmin off\n\tauto_https off\n}\n:%d {\n\troot * %s\n\ttemplates\n\tfile_server\n}\n"
                    % (port, os.path.abspath(SITE)))
        results = {"gatehouse": measure([args.gatehouse, "run", "--config", cfg, "--workers", "1"], port,
                                        args.requests)}
        results["caddy"] = measure(["caddy", "run", "--config", cfg, "--adapter", "caddyfile"], port, args.requests)
    print("%-12s %14s %14s" % ("page", "gatehouse us", "caddy us"))
    for (path, g), (_, c) in zip(results["gatehouse"], results["caddy"]):
        print("%-12s %14.1f %14.1f" % (path, g, c))
    print("load average: %.2f" % os.getloadavg()[0])


if __name__ == "__main__":
    sys.exit(main())
