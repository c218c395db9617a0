#!/usr/bin/env python3
"""A bounded multi-worker soak for ThreadSanitizer (not a ctest test: it is a load run).

    python3 tests/sanitizer_check.py python3 scripts/tsan_soak.py build-tsan-all/gatehouse [SECONDS]

`gatehouse run --workers 2` on a JSON config that touches every place where threads meet:
respond, file_server (thread-pool file I/O), templates, encode, metrics, an access log to a
file rolled every 1 MB (the roller's thread), reverse_proxy with active health checks to a
real upstream, WebSocket and SSE streams held open. wrk (HTTP/1.1) and h2load (h2c) load it
for SECONDS (default 8) while the config is reloaded in the middle: SIGUSR1 (re-reads the
file), admin POST /load (a changed config), SIGUSR1 again. The WebSocket must still echo and
the SSE stream must end cleanly after the reloads; gatehouse must stop on SIGTERM. Under
tests/sanitizer_check.py any TSan report fails the run. Loopback only; every wait bounded.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import proxy_upstreams as pu  # noqa: E402

FAILURES = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def config(port, admin_port, dial, root, log_path, body):
    proxy = {"handler": "reverse_proxy", "upstreams": [{"dial": dial}],
             "health_checks": {"active": {"uri": "/echo", "interval": "200ms", "timeout": "2s"}}}
    routes = [
        {"match": [{"path": ["/ws", "/sse", "/echo*"]}], "handle": [proxy], "terminal": True},
        {"match": [{"path": ["/metrics"]}], "handle": [{"handler": "metrics"}], "terminal": True},
        {"match": [{"path": ["/tpl"]}], "handle": [
            {"handler": "templates"},
            {"handler": "static_response", "body": "{{.Req.URL.Path}} {{now | date \"2006\"}} " + body}],
         "terminal": True},
        {"match": [{"path": ["/files/*"]}], "handle": [
            {"handler": "rewrite", "strip_path_prefix": "/files"},
            {"handler": "encode", "encodings": {"gzip": {}}, "minimum_length": 64},
            {"handler": "file_server", "root": root}], "terminal": True},
        {"handle": [{"handler": "static_response", "body": body}]},
    ]
    return {
        "admin": {"listen": "127.0.0.1:%d" % admin_port},
        "logging": {"logs": {"access": {
            "writer": {"output": "file", "filename": log_path, "roll_size_mb": 1, "roll_keep": 3},
            "encoder": {"format": "json"}, "include": ["http.log.access.log0"]}}},
        "apps": {"http": {"servers": {"srv0": {
            "listen": ["127.0.0.1:%d" % port], "protocols": ["h1", "h2c"], "routes": routes,
            "logs": {"default_logger_name": "log0"}, "automatic_https": {"disable": True}}}}},
    }


def write_config(path, cfg):
    with open(path + ".tmp", "w") as f:
        json.dump(cfg, f)
    os.replace(path + ".tmp", path)


def wait_log(lines, text, count, limit):
    end = time.time() + limit
    while time.time() < end:
        if sum(text in line for line in list(lines)) >= count:
            return True
        time.sleep(0.05)
    return False


def open_ws(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
              b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = s.recv(65536)
        if not data:
            break
        buf += data
    check(buf.startswith(b"HTTP/1.1 101"), "WebSocket open: %r" % buf[:30])
    return s


def ws_echoes(s):
    f = pu.ws_frame(b"ping")
    try:
        s.sendall(f)
        return pu.read_exact(s, len(f), timeout=20) == f
    except OSError:
        return False


def read_sse(port, n, result):
    """GET /sse (n events, 0.1 s apart): result['clean'] once the terminating chunk came."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(b"GET /sse?n=%d&gap=0.1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % n)
    data = b""
    end = time.time() + 60
    while time.time() < end:
        try:
            d = s.recv(65536)
        except OSError:
            break
        if not d:
            break
        data += d
    s.close()
    result["events"] = data.count(b"data: ")
    result["clean"] = data.endswith(b"0\r\n\r\n")


def post_load(admin_port, cfg):
    req = urllib.request.Request("http://127.0.0.1:%d/load" % admin_port, data=json.dumps(cfg).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status


def main():
    binary = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 8.0
    tmp = tempfile.mkdtemp(prefix="gatehouse-soak-")
    up = pu.Upstream()
    proc = None
    try:
        root = os.path.join(tmp, "www")
        os.mkdir(root)
        for i in range(4):
            with open(os.path.join(root, "f%d.txt" % i), "w") as f:
                f.write(("file %d " % i) * (2000 * (i + 1)))
        port, admin_port = pu.unused_port(), pu.unused_port()
        log_path = os.path.join(tmp, "access.log")
        cfg_path = os.path.join(tmp, "config.json")
        write_config(cfg_path, config(port, admin_port, up.dial, root, log_path, "v1"))
        stderr = open(os.path.join(tmp, "stderr.log"), "w")
        proc = subprocess.Popen([binary, "run", "--config", cfg_path, "--adapter", "json", "--workers", "2"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        lines = []
        threading.Thread(target=lambda: [lines.append(l) for l in proc.stderr], daemon=True).start()
        check(wait_log(lines, "serving initial configuration", 1, 60), "gatehouse started (2 workers)")
        ws = open_ws(port)
        check(ws_echoes(ws), "WebSocket echoes before the reloads")
        sse = {}
        sse_thread = threading.Thread(target=read_sse, args=(port, int(seconds * 10) + 20, sse), daemon=True)
        sse_thread.start()
        base = "http://127.0.0.1:%d" % port
        d = "%ds" % int(seconds)
        loads = [
            # A 4 KB header makes each access log entry large enough for the log to roll.
            subprocess.Popen(["wrk", "-t1", "-c8", "-d" + d, "-H", "X-Pad: " + "p" * 4096, base + "/"],
                             stdout=subprocess.PIPE, text=True),
            subprocess.Popen(["wrk", "-t1", "-c4", "-d" + d, "-H", "Accept-Encoding: gzip", base + "/files/f2.txt"],
                             stdout=subprocess.PIPE, text=True),
            subprocess.Popen(["h2load", "-c4", "-m8", "-D", d, base + "/tpl", base + "/metrics", base + "/echo",
                              base + "/files/f0.txt"], stdout=subprocess.PIPE, text=True),
        ]
        time.sleep(seconds * 0.25)
        write_config(cfg_path, config(port, admin_port, up.dial, root, log_path, "v2"))
        proc.send_signal(signal.SIGUSR1)
        check(wait_log(lines, "serving reloaded configuration", 1, 30), "SIGUSR1 reload under load")
        time.sleep(seconds * 0.25)
        try:
            status = post_load(admin_port, config(port, admin_port, up.dial, root, log_path, "v3"))
        except OSError as e:
            status = str(e)
        check(status == 200, "admin POST /load under load: %s" % status)
        time.sleep(seconds * 0.15)
        proc.send_signal(signal.SIGUSR1)  # the file still says v2
        check(wait_log(lines, "serving reloaded configuration", 3, 30), "second SIGUSR1 reload under load")
        outs = [p.communicate(timeout=seconds + 60)[0] for p in loads]
        for name, out in zip(("wrk /", "wrk /files", "h2load"), outs):
            summary = [l.strip() for l in out.splitlines() if "requests in" in l or l.startswith("requests:")]
            print("%s: %s" % (name, summary), flush=True)
        check(all(p.returncode == 0 for p in loads), "load generators finished")
        check(ws_echoes(ws), "WebSocket still echoes after three reloads")
        sse_thread.join(seconds + 60)
        check(sse.get("clean", False), "SSE stream across the reloads ended cleanly: %s" % sse)
        with urllib.request.urlopen(base + "/", timeout=20) as r:
            check(r.read() == b"v2", "the last reload's config serves")
        rolled = [n for n in os.listdir(tmp) if n.startswith("access") and n != "access.log"]
        print("access log files rolled: %d" % len(rolled), flush=True)
        ws.close()
    finally:
        if proc:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                FAILURES.append("gatehouse did not stop within 60 s")
        up.close()
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("all ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
