#!/usr/bin/env python3
"""HTTP benchmark (a script, not a test): Gatehouse beside nginx, HAProxy, h2o and Caddy on
the same machine in one run. Each server runs as one process with one worker, pinned to
core 0; wrk runs pinned to core 1. Besides req/s and p99 it records the server's CPU time per
request (utime+stime from /proc), which is steadier than req/s on a shared 2-core machine.
Each row is printed against its strongest anchor (the best other server).

usage: bench/http_bench.py [--gatehouse build/gatehouse] [--scenarios respond,file1m,...]
                           [--duration 5] [--runs 3] [--conns 64] [--idle 9000]
servers: gatehouse, nginx, haproxy, h2o, caddy; nginx_bare, haproxy_bare, h2o_bare are the
proxy anchors without X-Forwarded-For/-Proto/-Host (the anchors forward them by default, as
gatehouse and caddy do: like-for-like; the _bare rows are the anchors measured before
session 10). Same for bench/proxy_kernel_stats.py --servers and bench/proxy_profile.py --server.
scenarios: respond (100 B body), file1m (1 MiB static file), zstd / gzip (1 MiB JSON through
encode), proxy (100 B through a reverse proxy to an nginx backend on core 0), proxy1m (1 MiB
through the same proxy; compare MB/s), idle (RSS per
idle keep-alive connection; 9,000 by default because HAProxy wants 2 descriptors per
connection and the hard descriptor limit here is 20,000).
"""
import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
PATHS = {"respond": "/", "file1m": "/1m.bin", "zstd": "/1m.json", "gzip": "/1m.json", "proxy": "/small.txt",
         "proxy1m": "/1m.bin", "idle": "/"}
HEADERS = {"zstd": ["Accept-Encoding: zstd"], "gzip": ["Accept-Encoding: gzip"]}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, proc, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def parse_latency(text):
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not m:
        return float("nan")
    v = float(m.group(1))
    return v / 1000.0 if m.group(2) == "us" else v * 1000.0 if m.group(2) == "s" else v


def run_wrk(port, scenario, duration, conns):
    cmd = ["taskset", "-c", "1", "wrk", "-t1", "-c%d" % conns, "-d%ds" % duration, "--latency"]
    for h in HEADERS.get(scenario, []):
        cmd += ["-H", h]
    cmd.append("http://127.0.0.1:%d%s" % (port, PATHS[scenario]))
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30).stdout
    reqs = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    mb = re.search(r"Transfer/sec:\s+([\d.]+)(KB|MB|GB)", out)
    mbps = 0.0
    if mb:
        mbps = float(mb.group(1)) * {"KB": 1 / 1024, "MB": 1, "GB": 1024}[mb.group(2)]
    return {"requests": int(reqs.group(1)) if reqs else 0, "p99_ms": parse_latency(out),
            "bad": int(errors.group(1)) if errors else 0, "mbps": mbps, "raw": out}


def measure_load(proc, port, scenario, args):
    run_wrk(port, scenario, 1, args.conns)  # warm-up
    rows = []
    for _ in range(args.runs):
        c0 = cpu_seconds(proc.pid)
        r = run_wrk(port, scenario, args.duration, args.conns)
        c1 = cpu_seconds(proc.pid)
        if r["requests"] == 0 or r["bad"]:
            return {"error": "no/bad responses: " + r["raw"][-300:]}
        rows.append({"rps": r["requests"] / args.duration, "us": (c1 - c0) * 1e6 / r["requests"],
                     "p99": r["p99_ms"], "mbps": r["mbps"]})
    return {k: statistics.median(x[k] for x in rows) for k in rows[0]}


def measure_idle(proc, port, count):
    import resource
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    want = count + 1000 if hard == resource.RLIM_INFINITY else min(count + 1000, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))  # soft only: servers started later need the hard
    before = rss_kib(proc.pid)
    socks = []
    req = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
    try:
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(req)
            socks.append(s)
        for s in socks:
            s.recv(4096)
        time.sleep(1.0)
        after = rss_kib(proc.pid)
    finally:
        for s in socks:
            s.close()
    return {"kib_per_conn": (after - before) / count, "rss_before_kib": before, "rss_after_kib": after}


def compression_ratio(port, scenario):
    import urllib.request
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, PATHS[scenario]),
                                 headers={"Accept-Encoding": scenario})
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read()
        if r.headers.get("Content-Encoding") != scenario:
            return float("nan")
    return (1 << 20) / max(1, len(body))


def start_backend(root, workdir):
    """An nginx on core 0 serving the site, as the upstream of the proxy scenario."""
    port = free_port()
    ng = servers.Nginx()
    argv = ng.config("file1m", port, root, workdir)
    proc = servers.start(ng, argv, 0, workdir)
    if not wait_port(port, proc):
        raise SystemExit("backend nginx did not start")
    return proc, port


def bench_server(srv, scenario, root, args, backend_port):
    with tempfile.TemporaryDirectory(prefix="bench-%s-" % srv.name) as wd:
        port = free_port()
        argv = srv.config("respond" if scenario == "idle" else scenario, port, root, wd, backend_port)
        if argv is None:
            return None
        proc = servers.start(srv, argv, 0, wd)
        try:
            if not wait_port(port, proc):
                return {"error": "did not start: " + open(os.path.join(wd, srv.name + ".log")).read()[-300:]}
            if scenario == "idle":
                return measure_idle(proc, port, args.idle)
            res = measure_load(proc, port, scenario, args)
            if scenario in ("zstd", "gzip") and "error" not in res:
                res["ratio"] = compression_ratio(port, scenario)
            return res
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def report(scenario, results):
    print("\n## %s" % scenario)
    ok = {k: v for k, v in results.items() if v and "error" not in v}
    for name, r in results.items():
        if r and "error" in r:
            print("  %-10s ERROR %s" % (name, r["error"]))
    if scenario == "idle":
        for name, r in ok.items():
            print("  %-10s %8.2f KiB/conn (RSS %d -> %d KiB)" % (name, r["kib_per_conn"], r["rss_before_kib"],
                                                                  r["rss_after_kib"]))
        return
    anchors = {k: v for k, v in ok.items() if k != "gatehouse"}
    best = max(anchors.items(), key=lambda kv: kv[1]["rps"]) if anchors else None
    print("  %-10s %10s %9s %9s %9s %8s %s" % ("server", "req/s", "us CPU/req", "p99 ms", "MB/s", "ratio", ""))
    for name, r in sorted(ok.items(), key=lambda kv: -kv[1]["rps"]):
        extra = ""
        if best and name == "gatehouse":
            extra = "vs %s: %.2fx req/s, %.2fx CPU/req" % (best[0], r["rps"] / best[1]["rps"], r["us"] / best[1]["us"])
        print("  %-10s %10.0f %9.1f %9.2f %9.1f %8s %s" % (name, r["rps"], r["us"], r["p99"], r["mbps"],
                                                          "%.2f" % r["ratio"] if "ratio" in r else "-", extra))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--gatehouse", default=os.path.join(here, "..", "build", "gatehouse"))
    ap.add_argument("--scenarios", default="respond,file1m,zstd,gzip,idle")
    ap.add_argument("--servers", default="gatehouse,nginx,haproxy,h2o,caddy")
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--conns", type=int, default=64)
    ap.add_argument("--idle", type=int, default=9000)
    args = ap.parse_args()
    chosen = [servers.anchor(n, os.path.abspath(args.gatehouse)) for n in args.servers.split(",")]
    chosen = [s for s in chosen if s.available()]
    with tempfile.TemporaryDirectory(prefix="bench-site-") as root:
        servers.write_site(root)
        backend = None
        try:
            for scenario in args.scenarios.split(","):
                backend_port = None
                if scenario.startswith("proxy") and backend is None:
                    backend = start_backend(root, root)
                if scenario.startswith("proxy"):
                    backend_port = backend[1]
                results = {}
                for srv in chosen:
                    results[srv.name] = bench_server(srv, scenario, root, args, backend_port)
                report(scenario, results)
                sys.stdout.flush()
        finally:
            if backend:
                backend[0].terminate()


if __name__ == "__main__":
    main()
