#!/usr/bin/env python3
"""Where a proxied request's CPU goes (a script, not a test): for the `proxy` scenario of
bench/http_bench.py (100 B through the proxy to an nginx backend; proxy and backend pinned to
core 0, wrk -c64 to core 1), per request and per server, side by side in one run:
  - task-clock (CPU time on core, all threads), context switches, wakeups (perf stat);
  - system calls by name and loopback transmissions (perf tracepoints, no strace slowdown);
  - TCP segments on the client and upstream sockets, pure ACKs apart (ss -ti counters; nginx
    renews an upstream connection every 1,000 requests, which makes its upstream row
    approximate);
  - with --record, a perf record (cpu-clock -g) split by system call / user-space library.
Counting is switched on and off through perf's control FIFO around the window in which the
requests are counted, so the per-request figures share one denominator. Needs root (or
perf_event_paranoid <= 0) for the tracepoints.

usage: bench/proxy_kernel_stats.py [--gatehouse build/gatehouse] [--servers gatehouse,nginx]
                                   [--rounds 3] [--window 4] [--conns 64] [--record]
                                   [--baseline other/gatehouse]
--servers: gatehouse, nginx, haproxy, h2o; the anchors forward X-Forwarded-For/-Proto/-Host as
gatehouse does (like-for-like); nginx_bare, haproxy_bare, h2o_bare forward none (the rows
measured before session 10).
"""
import argparse
import collections
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import http_bench  # noqa: E402
import servers  # noqa: E402

SYSCALLS = ["read", "write", "writev", "recvfrom", "sendto", "epoll_wait", "epoll_pwait", "epoll_ctl", "setsockopt",
            "getsockopt", "accept4", "close", "futex"]
EVENTS = ["task-clock", "context-switches", "sched:sched_wakeup"] + ["syscalls:sys_enter_" + s for s in SYSCALLS] + [
    "net:net_dev_xmit"]
# perf record samples are put under the first of these found in their call chain.
CATEGORIES = [("epoll_wait", "epoll_wait"), ("epoll_ctl", "epoll_ctl"), ("ksys_read", "read"),
              ("__x64_sys_recvfrom", "recvfrom"), ("ksys_write", "write"), ("do_writev", "writev"),
              ("__x64_sys_getsockopt", "getsockopt"), ("schedule", "scheduler"),
              ("sysvec_apic_timer_interrupt", "timer interrupt"), ("__x64_sys_", "other system calls")]


def socket_counters(filt):
    out = subprocess.run(["ss", "-tinH", "state", "established", "( " + filt + " )"], capture_output=True,
                         text=True).stdout
    total = collections.Counter()
    for m in re.finditer(r"\b(bytes_received|segs_out|segs_in|data_segs_out|data_segs_in):(\d+)", out):
        total[m.group(1)] += int(m.group(2))
    return total


def split_record(path, requests):
    out = subprocess.run(["perf", "script", "-i", path, "-F", "period,ip,sym,dso"], capture_output=True,
                         text=True).stdout
    cats = collections.Counter()
    chain, period = [], 0

    def flush():
        if not chain:
            return
        cat = next((name for key, name in CATEGORIES if any(key in s for s, _ in chain)), None)
        if cat is None:
            dso = chain[0][1]
            cat = "kernel, other" if "kernel" in dso else "user: " + dso.rsplit("/", 1)[-1].rstrip(")")
        cats[cat] += period

    for line in out.splitlines():
        words = line.split()
        if len(words) == 1 and words[0].isdigit():
            flush()
            chain, period = [], int(words[0])
        elif len(words) >= 2:
            sym, _, dso = line.strip().split(None, 1)[1].rpartition(" (")
            chain.append((sym, dso))
    flush()
    total = sum(cats.values()) or 1
    return ["    %-22s %6.2f us/req %5.1f%%" % (k, v / 1e3 / requests, 100.0 * v / total) for k, v in cats.most_common()]


def measure(srv, root, backend, backend_port, args, wd):
    port = http_bench.free_port()
    argv = srv.config("proxy", port, root, wd, backend_port)
    proc = servers.start(srv, argv, 0, wd)
    try:
        if not http_bench.wait_port(port, proc):
            raise SystemExit("%s did not start" % srv.name)
        http_bench.run_wrk(port, "proxy", 1, args.conns)  # warm-up
        wrk = subprocess.Popen(["taskset", "-c", "1", "wrk", "-t1", "-c%d" % args.conns, "-d%ds" % (args.window + 3),
                                "http://127.0.0.1:%d%s" % (port, http_bench.PATHS["proxy"])],
                               stdout=subprocess.DEVNULL)
        time.sleep(1.0)
        ctl, ack = os.path.join(wd, "ctl"), os.path.join(wd, "ack")
        os.mkfifo(ctl)
        os.mkfifo(ack)
        events = EVENTS[:3] if args.record else EVENTS  # tracepoints would weigh on the samples
        stat = subprocess.Popen(["perf", "stat", "-x", ",", "-D", "-1", "--control", "fifo:%s,%s" % (ctl, ack), "-p",
                                 str(proc.pid), "-e", ",".join(events)], stderr=subprocess.PIPE, text=True)
        control, acks = open(ctl, "w"), open(ack)

        def command(c):
            control.write(c + "\n")
            control.flush()
            acks.readline()

        record = os.path.join(wd, "perf.data")
        rec = None
        if args.record:
            rec = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-g", "-o", record, "-p",
                                    str(proc.pid), "--", "sleep", str(args.window)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        command("enable")
        c0, u0 = socket_counters("sport = :%d" % port), socket_counters("dport = :%d" % backend_port)
        b0 = http_bench.cpu_seconds(backend.pid)
        time.sleep(args.window)
        c1, u1 = socket_counters("sport = :%d" % port), socket_counters("dport = :%d" % backend_port)
        b1 = http_bench.cpu_seconds(backend.pid)
        command("disable")
        control.close()
        acks.close()
        stat.send_signal(signal.SIGINT)
        _, err = stat.communicate()
        if rec:
            rec.wait()
        wrk.wait()
        request = "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (http_bench.PATHS["proxy"], port)
        n = (c1["bytes_received"] - c0["bytes_received"]) / len(request)
        if n <= 0:
            raise SystemExit("%s: no requests counted" % srv.name)
        counts = {}
        for line in err.splitlines():
            parts = line.split(",")
            if len(parts) > 3 and parts[0] and parts[0][0].isdigit():
                counts[parts[2].replace("syscalls:sys_enter_", "")] = float(parts[0])
        lines = ["  %s: %.0f req/s; task-clock %.2f us/req (backend %.2f us/req by /proc)" % (
            srv.name, n / args.window, counts.get("task-clock", 0) * 1e3 / n, (b1 - b0) * 1e6 / n)]
        rest = ["%s %.3f" % (k, v / n) for k, v in counts.items() if k != "task-clock" and v > 0]
        lines.append("    per request: " + ", ".join(rest))
        for side, a, b in (("client", c0, c1), ("upstream", u0, u1)):
            d = {k: (b[k] - a[k]) / n for k in ("segs_out", "data_segs_out", "segs_in", "data_segs_in")}
            lines.append("    %-8s segments out %.3f (pure ACKs %.3f), in %.3f (pure ACKs %.3f)" % (
                side, d["segs_out"], d["segs_out"] - d["data_segs_out"], d["segs_in"], d["segs_in"] - d["data_segs_in"]))
        if rec:
            lines += split_record(record, n)
        return counts.get("task-clock", 0) * 1e3 / n, n / args.window, lines
    finally:
        proc.terminate()
        proc.wait(10)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gatehouse", default=os.path.join(here, "..", "build", "gatehouse"))
    ap.add_argument("--servers", default="gatehouse,nginx")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--window", type=int, default=4)
    ap.add_argument("--conns", type=int, default=64)
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--baseline", help="another gatehouse binary, measured as server 'baseline' (before/after)")
    args = ap.parse_args()
    chosen = [servers.anchor(n, os.path.abspath(args.gatehouse)) for n in args.servers.split(",")]
    if args.baseline:
        base = servers.Gatehouse(os.path.abspath(args.baseline))
        base.name = "baseline"
        chosen.insert(0, base)
    print("load average before: %s" % open("/proc/loadavg").read().split()[0])
    results = collections.defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="proxy-kernel-stats-") as root:
        servers.write_site(root)
        backend, backend_port = http_bench.start_backend(root, root)
        try:
            for r in range(args.rounds):
                print("round %d" % (r + 1))
                for srv in chosen:
                    with tempfile.TemporaryDirectory(prefix="proxy-kernel-stats-%s-" % srv.name) as wd:
                        us, rps, lines = measure(srv, root, backend, backend_port, args, wd)
                    results[srv.name].append((us, rps))
                    print("\n".join(lines))
                    sys.stdout.flush()
        finally:
            backend.terminate()
            backend.wait(10)
    print("load average after: %s" % open("/proc/loadavg").read().split()[0])
    for name, rows in results.items():
        print("median %-10s %8.0f req/s %7.2f us task-clock/req  (rounds: %s)" % (
            name, statistics.median(r for _, r in rows), statistics.median(u for u, _ in rows),
            ", ".join("%.2f" % u for u, _ in rows)))


if __name__ == "__main__":
    main()
