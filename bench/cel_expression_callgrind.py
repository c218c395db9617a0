#!/usr/bin/env python3
"""Cost of the `expression` matcher (a script, not a test): server instructions per keep-alive
GET under callgrind (as callgrind_engine.py: (Ir(N2) - Ir(N1)) / (N2 - N1)), for a site whose
route is guarded by a CEL expression and for the same site guarded by the equivalent plain
matchers, so the difference is the CEL evaluation.

usage: bench/cel_expression_callgrind.py [--gatehouse build/gatehouse] [--n1 200] [--n2 1200]
"""
import argparse
import glob
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import callgrind_engine  # noqa: E402
import http_bench  # noqa: E402

SITES = {
    "expression": '@m expression `{path}.startsWith("/api") || ({method} == "GET" && path("/", "/index.html"))`',
    "plain": "@m {\n\t\tpath /api* / /index.html\n\t\tmethod GET\n\t}",
}


def run(binary, matcher, n, wd):
    port = http_bench.free_port()
    conf = os.path.join(wd, "Caddyfile")
    with open(conf, "w") as f:
        f.write("{\n\tadmin off\n\tauto_https off\n}\n:%d {\n\t%s\n\trespond @m \"matched\"\n\trespond \"no\"\n}\n"
                % (port, matcher))
    out = os.path.join(wd, "cg.%d.out" % n)
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, binary, "run",
                             "--config", conf, "--workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=wd)
    try:
        if not http_bench.wait_port(port, proc, timeout=120):
            raise SystemExit("server did not start under valgrind")
        callgrind_engine.client("respond", port, n)
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(120)
    total = 0
    for path in glob.glob(out + "*"):
        with open(path) as fh:
            for line in fh:
                if line.startswith(("summary:", "totals:")):
                    total += int(line.split()[1])
                    break
        os.unlink(path)
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gatehouse", default="build/gatehouse")
    ap.add_argument("--n1", type=int, default=200)
    ap.add_argument("--n2", type=int, default=1200)
    args = ap.parse_args()
    binary = os.path.abspath(args.gatehouse)
    with tempfile.TemporaryDirectory() as wd:
        for name, matcher in SITES.items():
            a = run(binary, matcher, args.n1, wd)
            b = run(binary, matcher, args.n2, wd)
            print("%-10s %8.0f instructions per request" % (name, (b - a) / (args.n2 - args.n1)))


if __name__ == "__main__":
    main()
