#!/usr/bin/env python3
"""Deterministic cost of one proxied request (a script, not a test): instructions per request
under callgrind, and system calls per request under strace, for `reverse_proxy` of a 100 B
body to an nginx backend, over keep-alive HTTP/1.1 (h2load --h1, 4 connections).

Both figures are counts, not times, so they hold on a busy shared machine. The run is
warmed up, the counters are zeroed (callgrind_control -z), N requests are sent, and the
counters are dumped (callgrind_control -d): Ir / N is the per-request cost of the whole
process (all threads), the session and the proxy together.

--server nginx|haproxy|h2o profiles that proxy instead (configured as bench/http_bench.py's
proxy scenario: forwarding X-Forwarded-For/-Proto/-Host as gatehouse does; NAME_bare forwards
none, the anchor measured before session 10), to show what is achievable. PROFILE_KEEP=DIR keeps annotate.txt (self
costs) and annotate_inclusive.txt there.

usage: bench/proxy_profile.py [--gatehouse build/gatehouse] [-n 4000] [--mode callgrind|strace|both] [--conns 4]
                              [--top 30] [--site 'reverse_proxy 127.0.0.1:{port}']
                              [--server gatehouse|nginx|haproxy|h2o|nginx_bare|...] [--h2c-backend] [--path /1m.bin]

--h2c-backend serves the backend nginx with `listen ... http2` (HTTP/2 with prior knowledge,
cleartext); pair it with --site 'reverse_proxy h2c://127.0.0.1:{port}'.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import http_bench  # noqa: E402
import servers  # noqa: E402


PATH = "/small.txt"


CONNS = 4


def h2load(port, n, conns=None):
    conns = conns or CONNS
    out = subprocess.run(["h2load", "--h1", "-n", str(n), "-c", str(conns), "-m", "1",
                          "http://127.0.0.1:%d%s" % (port, PATH)], capture_output=True, text=True,
                         timeout=600).stdout
    m = re.search(r"status codes: (\d+) 2xx", out)
    if not m or int(m.group(1)) != n:
        raise SystemExit("h2load: not all requests succeeded:\n" + out[-600:])


def write_config(wd, port, backend_port, site):
    path = os.path.join(wd, "Caddyfile")
    with open(path, "w") as f:
        f.write("{\n\tadmin off\n\tauto_https off\n}\n:%d {\n\t%s\n}\n" % (port, site.format(port=backend_port)))
    return path


def start_h2c_backend(root, workdir):
    """The same nginx backend, speaking h2c (prior knowledge) instead of HTTP/1.1."""
    port = http_bench.free_port()
    ng = servers.Nginx()
    argv = ng.config("file1m", port, root, workdir)
    conf = argv[2]
    with open(conf) as f:
        text = f.read()
    with open(conf, "w") as f:
        f.write(text.replace("listen 127.0.0.1:%d;" % port, "listen 127.0.0.1:%d http2;" % port))
    proc = servers.start(ng, argv, 0, workdir)
    if not http_bench.wait_port(port, proc):
        raise SystemExit("backend nginx (h2c) did not start")
    return proc, port


def callgrind(argv, port, n, top, wd):
    out = os.path.join(wd, "cg.out")
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out + ".%p"] + argv,
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(wd, "vg.log"), "w"))
    try:
        if not http_bench.wait_port(port, proc, timeout=120):
            raise SystemExit("gatehouse did not start under callgrind: " + open(os.path.join(wd, "vg.log")).read())
        h2load(port, 500)
        subprocess.run(["callgrind_control", "-z", str(proc.pid)], check=True, capture_output=True)
        h2load(port, n)
        subprocess.run(["callgrind_control", "-d", str(proc.pid)], check=True, capture_output=True)
        dumps = sorted(glob.glob(out + ".%d.*" % proc.pid))
        total = 0
        with open(dumps[-1]) as f:
            for line in f:
                if line.startswith("summary:") or line.startswith("totals:"):
                    total = int(line.split()[1])
        print("instructions/request: %.0f  (Ir %d over %d requests)" % (total / n, total, n))
        if top:
            keep = os.environ.get("PROFILE_KEEP", wd)
            ann = ""
            for inclusive, name in (("yes", "annotate_inclusive.txt"), ("no", "annotate.txt")):
                ann = subprocess.run(["callgrind_annotate", "--inclusive=" + inclusive, "--auto=no",
                                      "--threshold=100"] + dumps, capture_output=True, text=True).stdout
                with open(os.path.join(keep, name), "w") as f:
                    f.write(ann)
            if keep != wd:
                subprocess.run(["cp"] + dumps + [keep], check=True)
            lines = [l for l in ann.splitlines() if re.match(r"^\s*[\d,]+ \(", l)]
            print("top functions (self Ir per request):")
            for l in lines[:top]:
                count = int(l.split()[0].replace(",", ""))
                name = l.split(")", 1)[1].strip()
                print("  %8.0f  %s" % (count / n, name[:150]))
    finally:
        proc.terminate()
        proc.wait(60)


def strace_count(argv, port, n, wd):
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    tracer = None
    try:
        if not http_bench.wait_port(port, proc):
            raise SystemExit("gatehouse did not start")
        h2load(port, 500)
        log = os.path.join(wd, "strace.txt")
        tracer = subprocess.Popen(["strace", "-f", "-c", "-o", log, "-p", str(proc.pid)],
                                  stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        h2load(port, n)
        tracer.terminate()
        tracer.wait(30)
        tracer = None
        total = 0
        rows = []
        with open(log) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 5 and parts[0][0].isdigit() and parts[-1] != "total":
                    calls = int(parts[3])
                    rows.append((calls, parts[-1]))
                elif parts and parts[-1] == "total":
                    total = int(parts[3])
        print("system calls/request: %.2f" % (total / n))
        for calls, name in sorted(rows, reverse=True)[:12]:
            print("  %6.2f  %s" % (calls / n, name))
    finally:
        if tracer:
            tracer.kill()
        proc.terminate()
        proc.wait(30)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gatehouse", default=os.path.join(here, "..", "build", "gatehouse"))
    ap.add_argument("-n", type=int, default=4000)
    ap.add_argument("--mode", default="both")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--site", default="reverse_proxy 127.0.0.1:{port}")
    ap.add_argument("--server", default="gatehouse", choices=["gatehouse", "nginx", "haproxy", "h2o", "nginx_bare", "haproxy_bare", "h2o_bare"])
    ap.add_argument("--h2c-backend", action="store_true")
    ap.add_argument("--path", default="/small.txt", help="what is fetched: /small.txt (100 B) or /1m.bin (1 MiB)")
    ap.add_argument("--conns", type=int, default=4, help="client connections (http_bench.py's proxy scenario: 64)")
    args = ap.parse_args()
    global PATH, CONNS
    PATH = args.path
    CONNS = args.conns
    binary = os.path.abspath(args.gatehouse)
    with tempfile.TemporaryDirectory(prefix="proxy-profile-") as root:
        servers.write_site(root)
        if args.h2c_backend:
            backend, backend_port = start_h2c_backend(root, root)
        else:
            backend, backend_port = http_bench.start_backend(root, root)
        try:
            port = http_bench.free_port()
            if args.server == "gatehouse":
                argv = [binary, "run", "--config", write_config(root, port, backend_port, args.site), "--workers", "1"]
            else:
                srv = servers.anchor(args.server)
                own = os.path.join(root, args.server)
                os.makedirs(own)
                argv = srv.config("proxy", port, root, own, backend_port)
            if args.mode in ("callgrind", "both"):
                callgrind(argv, port, args.n, args.top, root)
            if args.mode in ("strace", "both"):
                strace_count(argv, port, args.n, root)
        finally:
            backend.terminate()
            backend.wait(10)


if __name__ == "__main__":
    main()
