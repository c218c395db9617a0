#!/usr/bin/env python3
"""End-to-end: HTTP/2 over cleartext with prior knowledge (h2c), served by the real binary.

Starts gatehouse on 127.0.0.1 port 0 with `protocols h1 h2 h2c`, then drives it with
nghttp, curl --http2-prior-knowledge and h2load (Debian's nghttp2-client and curl), plus a
raw-frame client for flow control and graceful GOAWAY. Skips (77) without those tools.
Usage: h2_serve_test.py <path-to-gatehouse>
"""
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import h2_frames as h2  # noqa: E402
from harness import FAILURES, addr_of, check, finish, start  # noqa: E402

def run(cmd, timeout=60):
    return subprocess.run(cmd, capture_output=True, timeout=timeout)


def config(root):
    site = [
        {"match": [{"path": ["/proto"], "protocol": "http/2"}], "terminal": True,
         "handle": [{"handler": "static_response", "body": "proto {http.request.proto} {http.request.host}"}]},
        {"match": [{"path": ["/proto"]}], "terminal": True,
         "handle": [{"handler": "static_response", "body": "not h2 {http.request.proto}"}]},
        {"match": [{"path": ["/hello"]}], "terminal": True,
         "handle": [{"handler": "static_response", "body": "hello"}]},
        {"handle": [{"handler": "file_server", "root": root}]},
    ]
    return {
        "admin": {"disabled": True},
        "apps": {"http": {"servers": {
            "h2c": {"listen": ["127.0.0.1:0"], "protocols": ["h1", "h2", "h2c"], "routes": site},
            "plain": {"listen": ["127.0.0.1:0"], "routes": site},
        }}},
    }


def sha(data):
    return hashlib.sha256(data).hexdigest()


def check_clients(base, plain_base, big_sha):
    r = run(["nghttp", "-nv", base + "/hello"])
    out = r.stdout.decode(errors="replace")
    check(r.returncode == 0, "nghttp -nv exits 0")
    check("SETTINGS_MAX_CONCURRENT_STREAMS(0x03):250" in out, "server SETTINGS announce 250 streams")
    check("SETTINGS_ENABLE_CONNECT_PROTOCOL(0x08):1" in out, "server SETTINGS enable extended CONNECT")
    check(re.search(r"recv \(stream_id=\d+\) :status: 200", out) is not None, "nghttp sees :status 200")

    r = run(["curl", "-s", "--http2-prior-knowledge", "-D", "-", base + "/proto"])
    out = r.stdout.decode(errors="replace")
    check(out.startswith("HTTP/2 200"), "curl --http2-prior-knowledge gets HTTP/2 200")
    check(out.endswith("proto HTTP/2.0 127.0.0.1"), "{http.request.proto} and protocol matcher: " + out[-60:])
    check("\r\ndate: " in out and "content-length: " in out, "date and content-length fields")

    r = run(["curl", "-s", "--http1.1", "-D", "-", base + "/proto"])
    out = r.stdout.decode(errors="replace")
    check(out.startswith("HTTP/1.1 200") and out.endswith("not h2 HTTP/1.1"), "HTTP/1.1 still served on the h2c port")

    r = run(["curl", "-s", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code}", plain_base + "/hello"])
    check(r.stdout != b"200", "no h2c on a server without h2c in protocols")

    # A large file through file_server; small client windows force many WINDOW_UPDATEs.
    r = run(["nghttp", "-w", "16", "-W", "18", base + "/big.bin"])
    check(r.returncode == 0 and sha(r.stdout) == big_sha, "big file over h2 with small windows: sha256 matches")
    r = run(["curl", "-s", "--http2-prior-knowledge", base + "/big.bin"])
    check(sha(r.stdout) == big_sha, "big file over curl h2: sha256 matches")

    # Several concurrent streams on one connection.
    r = run(["nghttp", "-nv", "-m", "20", base + "/hello", base + "/a.txt", base + "/big.bin"])
    out = r.stdout.decode(errors="replace")
    streams = set(re.findall(r"recv \(stream_id=(\d+)\) :status: 200", out))
    check(r.returncode == 0 and len(streams) == 60, "60 concurrent streams all 200 (got %d)" % len(streams))

    r = run(["h2load", "-n", "2000", "-c", "4", "-m", "10", base + "/hello"], timeout=120)
    out = r.stdout.decode(errors="replace")
    m = re.search(r"status codes: (\d+) 2xx", out)
    rps = re.search(r"finished in [^,]+, ([\d.]+) req/s", out)
    check(m is not None and m.group(1) == "2000", "h2load 2000 requests all 2xx")
    if rps:
        print("h2load -n 2000 -c 4 -m 10: %s req/s" % rps.group(1), flush=True)


def check_graceful_stop(proc, addr, big_sha, big_len):
    """A stream held by flow control gets GOAWAY on SIGTERM, then completes."""
    c = h2.Conn(addr)
    c.send(h2.frame(h2.HEADERS, h2.END_STREAM | h2.END_HEADERS, 1, h2.request_block("/big.bin")))
    body, status_seen, goaway, ended = b"", False, None, False
    deadline = time.time() + 10
    # Read until the 64 KiB default window is used up (no WINDOW_UPDATE from us yet).
    while len(body) < 65535 and time.time() < deadline:
        f = c.read_frame(deadline)
        if f is None:
            break
        if f[0] == h2.HEADERS and f[2] == 1:
            status_seen = True
        if f[0] == h2.DATA and f[2] == 1:
            body += f[3]
    check(status_seen and len(body) == 65535, "stream stalls at the client's 64 KiB window (%d)" % len(body))
    proc.send_signal(signal.SIGTERM)
    deadline = time.time() + 10
    notice = False
    # First a GOAWAY notice (last stream 2^31-1) and a PING; once the PING is answered, the
    # final GOAWAY names the last stream processed.
    while goaway is None and time.time() < deadline:
        f = c.read_frame(deadline)
        if f is None:
            break
        if f[0] == h2.PING and not f[1] & h2.ACK:
            c.send(h2.frame(h2.PING, h2.ACK, 0, f[3]))
        if f[0] == h2.GOAWAY:
            if int.from_bytes(f[3][0:4], "big") & 0x7FFFFFFF == 0x7FFFFFFF:
                notice = True
            else:
                goaway = f[3]
    check(notice, "a GOAWAY notice first on graceful stop")
    check(goaway is not None, "then the final GOAWAY")
    if goaway is not None:
        last, code = (int.from_bytes(goaway[0:4], "big") & 0x7FFFFFFF), int.from_bytes(goaway[4:8], "big")
        check(last == 1 and code == 0, "GOAWAY keeps stream 1, NO_ERROR (%d, %d)" % (last, code))
    c.send(h2.window_update(0, 1 << 30) + h2.window_update(1, 1 << 30))
    deadline = time.time() + 20
    closed = False
    while time.time() < deadline:
        f = c.read_frame(deadline)
        if f is None:
            closed = True
            break
        if f[0] == h2.DATA and f[2] == 1:
            body += f[3]
            ended = ended or bool(f[1] & h2.END_STREAM)
    check(ended and len(body) == big_len and sha(body) == big_sha, "in-flight stream completes after GOAWAY")
    check(closed, "server closes the connection after the last stream")
    c.close()


def main():
    if len(sys.argv) < 2:
        print("usage: h2_serve_test.py <gatehouse>")
        return 2
    for tool in ("nghttp", "h2load", "curl"):
        if shutil.which(tool) is None:
            print("skip: %s not installed" % tool)
            return 77
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "site")
        os.makedirs(root)
        big = os.urandom(5 * 1024 * 1024 + 123)
        with open(os.path.join(root, "big.bin"), "wb") as f:
            f.write(big)
        with open(os.path.join(root, "a.txt"), "w") as f:
            f.write("0123456789")
        cfg_path = os.path.join(tmp, "config.json")
        with open(cfg_path, "w") as f:
            json.dump(config(root), f)
        proc, servers, drain, _ = start(binary, cfg_path)
        stopped = False
        try:
            addr = addr_of(servers["h2c"][0])
            base = "http://%s:%d" % addr
            plain = "http://%s:%d" % addr_of(servers["plain"][0])
            check_clients(base, plain, sha(big))
            check_graceful_stop(proc, addr, sha(big), len(big))
            try:
                rc = proc.wait(timeout=10)
                stopped = True
                check(rc == 0, "graceful stop exit code %s" % rc)
            except subprocess.TimeoutExpired:
                check(False, "graceful stop within 10s")
        finally:
            if not stopped:
                proc.kill()
                proc.wait()
            report = drain.finish()
            check(not report, "sanitizer report in server stderr")
            if report or FAILURES:
                print("--- server stderr ---\n" + drain.text(), flush=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
