#!/usr/bin/env python3
"""Deterministic engine cost (a script, not a test): server instructions per operation under
valgrind's callgrind, which a shared, noisy machine does not disturb. Runs the server twice,
with N1 and N2 operations, and prints (Ir(N2) - Ir(N1)) / (N2 - N1), so start-up and shut-down
cancel out. With --annotate it also prints the top functions of the larger run (CG_INCLUSIVE=1: inclusive
costs; CG_CHARS: how much; CG_KEEP=DIR: keep its callgrind files there). With --diff it prints
each function's cost per operation (the difference between the two runs, so start-up drops
out; --inclusive for inclusive costs, --top N rows).

usage: bench/callgrind_engine.py [--gatehouse build/gatehouse] [--op respond|paths|handshake|idle|h2|h1tls]
                                 [--n1 200] [--n2 1200] [--annotate] [--diff [--inclusive] [--top 40]]
                                 [--server gatehouse|nginx|s_server] [--tickets N]
ops:
  respond    keep-alive HTTP/1.1 GET of a 100 B `respond` (one connection)
  paths      as respond, GET /api/v1/users/42 through routes with `path` matchers (plain,
             suffix, "//" and "%" patterns) that miss before the one that answers (PATHS_SITE)
  handshake  new TLS 1.3 connection (ECDSA P-256, no resumption) with one GET each
  idle       new cleartext connection with one GET, left open (the keep-alive idle path)
servers (reference points for --op handshake; the others are gatehouse only):
  nginx      tls_bench.py's nginx (ssl_session_tickets off: no ticket)
  s_server   `openssl s_server -HTTP`: OpenSSL 3.0 alone, the floor for a handshake
--tickets N  TLS 1.3 session tickets sent per handshake (gatehouse: 0 turns them off; s_server)
  h2         HTTP/2 over TLS GET of a 100 B `respond` (h2load, one connection, 10 streams at a
             time, as the h2 row of tls_bench.py per connection)
  h1tls      keep-alive HTTP/1.1 GET of a 100 B `respond` over TLS 1.3 (h2load --h1, one connection)
"""
import argparse
import glob
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import http_bench  # noqa: E402
import tls_bench  # noqa: E402


# The `paths` op's site: the request walks the four matchers that miss (ten patterns: every
# mode of the path matcher) before the one that answers.
PATHS_SITE = """\t@static path /static/* *.css *.js /favicon.ico
\trespond @static "static"
\t@legacy path //legacy/* /old//*
\trespond @legacy "legacy"
\t@escaped path /caf%C3%A9/* /a%2Fb /w/%*/end
\trespond @escaped "escaped"
\t@api path /api/v1/*
\trespond @api "api"
\trespond "other"
"""
PATHS_REQUEST = b"GET /api/v1/users/42 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def complete(got):
    head, sep, body = got.partition(b"\r\n\r\n")
    m = re.search(rb"(?i)content-length: (\d+)", head)
    return bool(sep) and m is not None and len(body) >= int(m.group(1))


def client(op, port, n, req=b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"):
    if op in ("h2", "h1tls"):
        shape = ["--h1"] if op == "h1tls" else ["-m", "10"]
        out = subprocess.run(["h2load", "-n", str(n), "-c", "1"] + shape + ["https://127.0.0.1:%d/" % port],
                             capture_output=True, text=True, timeout=600).stdout
        if not re.search(r"%d succeeded" % n, out):
            raise SystemExit("h2load: " + out[-400:])
        return
    if op in ("respond", "paths"):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        for _ in range(n):
            s.sendall(req)
            got = b""
            while not complete(got):
                got += s.recv(4096)
        s.close()
        return
    keep = []
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        if op == "handshake":
            s = ctx.wrap_socket(s, server_hostname="localhost")
        s.sendall(req)
        s.recv(4096)
        if op == "idle":
            keep.append(s)
        else:
            s.close()
    for s in keep:
        s.close()


def server_argv(args, op, port, wd, crt, key):
    tls = op in ("handshake", "h2", "h1tls")
    if args.server == "nginx":
        return tls_bench.nginx_conf(tls, port, wd, crt, key)
    if args.server == "s_server":
        with open(os.path.join(wd, "ok.txt"), "w") as f:
            f.write("ok\n")
        return ["openssl", "s_server", "-quiet", "-HTTP", "-accept", "127.0.0.1:%d" % port, "-cert", crt,
                "-key", key, "-num_tickets", str(1 if args.tickets is None else args.tickets)]
    argv = tls_bench.gatehouse_conf(os.path.abspath(args.gatehouse), "gatehouse", tls, port, wd, crt, key)
    if op == "paths":
        with open(argv[3], "w") as f:
            f.write("{\n\tadmin off\n}\n:%d {\n%s}\n" % (port, PATHS_SITE))
    if args.tickets == 0:
        # The same site as JSON, with session tickets off (there is no Caddyfile option).
        adapted = subprocess.run(argv[:1] + ["adapt", "--config", argv[3]], capture_output=True, text=True,
                                 check=True).stdout
        conf = json.loads(adapted)
        conf.setdefault("apps", {}).setdefault("tls", {})["session_tickets"] = {"disabled": True}
        path = os.path.join(wd, "config.json")
        with open(path, "w") as f:
            json.dump(conf, f)
        argv = argv[:1] + ["run", "--config", path, "--adapter", "json", "--workers", "1"]
    return argv


def function_costs(out, inclusive):
    """Ir per function of one run (the parts callgrind_annotate lists under inlining files added up)."""
    text = subprocess.run(["callgrind_annotate", "--auto=no", "--threshold=100", "--inclusive=" + ("yes" if inclusive else "no")]
                          + glob.glob(out + "*"), capture_output=True, text=True).stdout
    costs = {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+(\S.*?)(?: \[[^\]]*\])?$", line)
        if m:
            name = re.sub(r"^[^:]*:(?!:)", "", m.group(2))  # one row per function, inlined parts too
            costs[name] = costs.get(name, 0) + int(m.group(1).replace(",", ""))
    return costs


def print_diff(args, wd):
    a = function_costs(os.path.join(wd, "cg.%d.out" % args.n1), args.inclusive)
    b = function_costs(os.path.join(wd, "cg.%d.out" % args.n2), args.inclusive)
    per = {k: (b.get(k, 0) - a.get(k, 0)) / (args.n2 - args.n1) for k in set(a) | set(b)}
    for name, v in sorted(per.items(), key=lambda kv: -abs(kv[1]))[:args.top]:
        print("%9.1f  %s" % (v, name[:150]))


def run(args, op, n, wd, crt, key, keep_out):
    port = http_bench.free_port()
    argv = server_argv(args, op, port, wd, crt, key)
    out = os.path.join(wd, "cg.%d.out" % n)
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] + argv,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=wd)
    try:
        if not http_bench.wait_port(port, proc, timeout=120):
            raise SystemExit("server did not start under valgrind")
        if args.server == "s_server":
            client(op, port, n, b"GET /ok.txt HTTP/1.0\r\n\r\n")
        elif op == "paths":
            client(op, port, n, PATHS_REQUEST)
        else:
            client(op, port, n)
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(120)
    total = 0
    for f in glob.glob(out + "*"):
        with open(f) as fh:
            for line in fh:
                if line.startswith("summary:") or line.startswith("totals:"):
                    total += int(line.split()[1])
                    break
    if keep_out and os.environ.get("CG_KEEP"):
        for f in glob.glob(out + "*"):
            shutil.copy(f, os.environ["CG_KEEP"])
    if keep_out:
        print(subprocess.run(["callgrind_annotate", "--inclusive=" + ("yes" if os.environ.get("CG_INCLUSIVE") else "no")] + glob.glob(out + "*"),
                             capture_output=True, text=True).stdout[:int(os.environ.get("CG_CHARS", "6000"))])
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gatehouse", default=os.path.join(here, "..", "build", "gatehouse"))
    ap.add_argument("--op", default="respond")
    ap.add_argument("--n1", type=int, default=200)
    ap.add_argument("--n2", type=int, default=1200)
    ap.add_argument("--annotate", action="store_true")
    ap.add_argument("--diff", action="store_true")
    ap.add_argument("--inclusive", action="store_true")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--server", default="gatehouse", choices=["gatehouse", "nginx", "s_server"])
    ap.add_argument("--tickets", type=int)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="cg-engine-") as wd:
        crt, key = tls_bench.make_cert(wd)
        a = run(args, args.op, args.n1, wd, crt, key, False)
        b = run(args, args.op, args.n2, wd, crt, key, args.annotate)
        if args.diff:
            print_diff(args, wd)
        print("%s: %.0f instructions per operation (Ir %d @%d, %d @%d)" %
              (args.op, (b - a) / (args.n2 - args.n1), a, args.n1, b, args.n2))


if __name__ == "__main__":
    main()
