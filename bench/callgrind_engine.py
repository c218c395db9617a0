#!/usr/bin/env python3
"""Deterministic engine cost (a script, not a test): server instructions per operation under
valgrind's callgrind, which a shared, noisy machine does not disturb. Runs the server twice,
with N1 and N2 operations, and prints (Ir(N2) - Ir(N1)) / (N2 - N1), so start-up and shut-down
cancel out. With --annotate it also prints the top functions of the larger run.

usage: bench/callgrind_engine.py [--gatehouse build/gatehouse] [--op respond|handshake|idle]
                                 [--n1 200] [--n2 1200] [--annotate]
ops:
  respond    keep-alive HTTP/1.1 GET of a 100 B `respond` (one connection)
  handshake  new TLS 1.3 connection (ECDSA P-256, no resumption) with one GET each
  idle       new cleartext connection with one GET, left open (the keep-alive idle path)
"""
import argparse
import glob
import os
import re
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


def complete(got):
    head, sep, body = got.partition(b"\r\n\r\n")
    m = re.search(rb"(?i)content-length: (\d+)", head)
    return bool(sep) and m is not None and len(body) >= int(m.group(1))


def client(op, port, n):
    req = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    if op == "respond":
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


def run(binary, op, n, wd, crt, key, keep_out):
    port = http_bench.free_port()
    argv = tls_bench.gatehouse_conf(binary, "gatehouse", op == "handshake", port, wd, crt, key)
    out = os.path.join(wd, "cg.%d.out" % n)
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] + argv,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not http_bench.wait_port(port, proc, timeout=120):
            raise SystemExit("server did not start under valgrind")
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
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="cg-engine-") as wd:
        crt, key = tls_bench.make_cert(wd)
        a = run(os.path.abspath(args.gatehouse), args.op, args.n1, wd, crt, key, False)
        b = run(os.path.abspath(args.gatehouse), args.op, args.n2, wd, crt, key, args.annotate)
        print("%s: %.0f instructions per operation (Ir %d @%d, %d @%d)" %
              (args.op, (b - a) / (args.n2 - args.n1), a, args.n1, b, args.n2))


if __name__ == "__main__":
    main()
