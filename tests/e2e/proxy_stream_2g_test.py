#!/usr/bin/env python3
"""End-to-end: a 2 GiB upload and a 2 GiB download through reverse_proxy, with gatehouse's
VmRSS sampled from /proc every 50 ms and required to stay under 64 MB (the issue's bound),
and both bodies checked by SHA-256 at the other end. The same checks as proxy_stream_test.py
(which does 300 MB each way, chunked too) at the size the issue names; the seed config's
1 MB read/write buffers. Each direction must finish within PROXY_2G_SECONDS (default 120 s).
Usage: proxy_stream_2g_test.py <path-to-gatehouse>
"""
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
os.environ["PROXY_STREAM_MB"] = os.environ.get("PROXY_2G_MB", "2048")
import proxy_stream_test as pst  # noqa: E402
import proxy_upstreams as pu  # noqa: E402

LIMIT_S = float(os.environ.get("PROXY_2G_SECONDS", "120"))


def timed(what, fn, *args, **kwargs):
    t0 = time.time()
    fn(*args, **kwargs)
    took = time.time() - t0
    pst.check(took < LIMIT_S, "%s within %.0f s (%.1f s)" % (what, LIMIT_S, took))


def main():
    binary = sys.argv[1]
    up = pu.Upstream()
    proc, servers, drain = pu.start_gatehouse(binary, pst.config(up))
    try:
        addr = pu.addr_of(servers)
        pst.pattern_digest(pst.MB * 1024 * 1024)  # both directions carry it: hashed once, untimed
        timed("upload", pst.test_upload, addr, proc.pid)
        timed("download", pst.test_download, addr, proc.pid, chunked=False)
    finally:
        pu.stop_gatehouse(proc, drain, pst.FAILURES)
        up.close()
    if pst.FAILURES:
        print("%d failure(s)" % len(pst.FAILURES))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
