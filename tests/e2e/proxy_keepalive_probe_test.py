#!/usr/bin/env python3
"""End-to-end: the upstream connections' keep-alive settings, gatehouse against Debian's
caddy 2.6.2 running the same Caddyfile sites (each proxy with upstreams of its own):

- TCP keep-alive probes (`keepalive_interval`, JSON keep_alive.probe_interval, Go's
  net.Dialer.KeepAlive), read back from the kernel with `ss -tno` on an idle pooled
  connection: 30 s by default, 20 s when set, 15 s (Go's) with a keep_alive object that
  leaves it out (`keepalive 5m`), none with a negative interval;
- `keepalive off`: every request dials (nothing pooled);
- `keepalive_idle_conns_per_host 1`: of 3 connections made by concurrent requests, one is
  kept idle.
Exits 77 when caddy is not installed.
Usage: proxy_keepalive_probe_test.py <gatehouse>
"""
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check  # noqa: E402
import proxy_upstreams as pu  # noqa: E402
from caddy_peer import serving  # noqa: E402

VARIANTS = [
    # name, transport block lines ("" for none), expected probe seconds (None: no timer)
    ("default", None, 30),
    ("interval", "keepalive_interval 20s", 20),
    ("object", "keepalive 5m", 15),
    ("negative", "keepalive_interval -1s", None),
    ("off", "keepalive off", "closed"),
    ("idle1", "keepalive_idle_conns_per_host 1", 30),
]


def caddyfile(ports, upstreams):
    out = "{\n\tadmin off\n}\n"
    for (name, transport, _), port, up in zip(VARIANTS, ports, upstreams):
        block = "" if transport is None else " {\n\t\ttransport http {\n\t\t\t%s\n\t\t}\n\t}" % transport
        out += "http://127.0.0.1:%d {\n\treverse_proxy %s%s\n}\n" % (port, up.dial, block)
    return out


def get(port, target="/echo"):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % target.encode())
        data = b""
        while True:
            piece = s.recv(65536)
            if not piece:
                break
            data += piece
    finally:
        s.close()
    return int(data.split(b" ")[1]) if data else 0


def timers(port):
    """The keep-alive timers (seconds left) of the connections established to port."""
    out = subprocess.run(["ss", "-Htno", "state", "established", "( dport = :%d )" % port],
                         capture_output=True, text=True, timeout=10).stdout
    lines = [line for line in out.splitlines() if line.strip()]
    found = []
    for line in lines:
        m = re.search(r"timer:\(keepalive,(?:(\d+)min)?(?:([\d.]+)sec)?(?:([\d.]+)ms)?", line)
        if m:
            found.append(int(m.group(1) or 0) * 60 + float(m.group(2) or 0) + float(m.group(3) or 0) / 1000)
        else:
            found.append(None)
    return found


def exercise(who, ports, ups):
    results = {}
    for (name, _, expect), port, up in zip(VARIANTS, ports, ups):
        if name == "idle1":
            # slow enough that the three are in flight together however late a thread starts
            threads = [threading.Thread(target=get, args=(port, "/slow?delay=1.5")) for _ in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(10)
            # gatehouse trims an idle excess after 1 s (a timer a loaded machine may run
            # late); Go closes it at once: bounded wait until at most one is left
            time.sleep(1.2)
            deadline = time.time() + 5
            while len(timers(up.port)) > 1 and time.time() < deadline:
                time.sleep(0.2)
            results[name] = (up.connections, len(timers(up.port)))
            continue
        codes = [get(port), get(port)]
        time.sleep(0.3)
        if expect == "closed":  # the close after each answer may come a moment late
            deadline = time.time() + 3
            while timers(up.port) and time.time() < deadline:
                time.sleep(0.1)
        results[name] = (codes, up.connections, timers(up.port))
    return results


def main():
    binary = sys.argv[1]
    if shutil.which("caddy") is None:
        print("caddy not installed")
        return 77
    runs = {}
    for who in ("gatehouse", "caddy"):
        ups = [pu.Upstream("u%d" % i) for i in range(len(VARIANTS))]
        ports = [harness.free_port() for _ in VARIANTS]
        # One worker: pools (and their idle limits) are per worker, Go's per transport.
        with serving(who, binary, caddyfile(ports, ups), ports):
            runs[who] = exercise(who, ports, ups)
        for up in ups:
            up.close()

    for who, res in runs.items():
        print(who, res)
        for name, _, expect in VARIANTS:
            if name == "idle1":
                dialed, idle = res[name]
                check(dialed == 3 and idle == 1, "%s idle1: 3 connections, 1 kept idle (%d, %d)" % (who, dialed, idle))
                continue
            codes, dialed, found = res[name]
            check(codes == [200, 200], "%s %s: answered (%s)" % (who, name, codes))
            if expect == "closed":
                check(dialed == 2 and not found, "%s off: every request dialed, none kept (%d, %s)"
                      % (who, dialed, found))
                continue
            check(dialed == 1 and len(found) == 1, "%s %s: one pooled connection (%d, %s)" % (who, name, dialed, found))
            if len(found) != 1:
                continue
            if expect is None:
                check(found[0] is None, "%s %s: no keep-alive probes (%s)" % (who, name, found))
            else:
                check(found[0] is not None and expect - 3 <= found[0] <= expect,
                      "%s %s: keep-alive probe timer of %d s (%s s left)" % (who, name, expect, found[0]))
    for name, _, _ in VARIANTS:
        g, c = runs["gatehouse"][name], runs["caddy"][name]
        same = (g[:2] == c[:2] and [t is None for t in g[2]] == [t is None for t in c[2]]) if name != "idle1" else g == c
        check(same, "%s: as caddy (%s / %s)" % (name, g, c))
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
