#!/usr/bin/env python3
"""A bounded TSan soak of the cross-thread reverse_proxy health code (a load run, not a test):

    python3 tests/sanitizer_check.py python3 scripts/tsan_health_soak.py build-tsan/gatehouse [SECONDS]

`gatehouse run --workers 3` with two upstreams whose /health flips 200/500 every 150 ms (the one
checker's verdicts change under every worker's requests), passive health (every 50th proxied
answer is a 500: the process-wide failure counters move on every worker, fail_duration 400ms
expires them), admin POST /load every 1.5 s (a new handler, a new checker, the workers' first-
round wait), GET /reverse_proxy/upstreams from the admin thread, wrk load throughout. Loopback
only, every wait bounded; exits non-zero unless gatehouse stopped cleanly after at least one
reload.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

binary, seconds = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 20
stop = threading.Event()
healthy = [True, True]
count = [0]

def serve(sock, idx):
    def one(conn):
        conn.settimeout(10)
        buf = b""
        try:
            while not stop.is_set():
                while b"\r\n\r\n" not in buf:
                    d = conn.recv(65536)
                    if not d:
                        return
                    buf += d
                head, buf = buf.split(b"\r\n\r\n", 1)
                path = head.split(b" ")[1]
                count[0] += 1
                if path == b"/health":
                    st = 200 if healthy[idx] else 500
                else:
                    st = 500 if count[0] % 50 == 0 else 200
                body = b"up%d" % idx
                conn.sendall(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n%s" % (st, len(body), body))
        except OSError:
            pass
        finally:
            conn.close()
    while not stop.is_set():
        try:
            c, _ = sock.accept()
        except OSError:
            return
        threading.Thread(target=one, args=(c,), daemon=True).start()

def free():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

ups = []
for i in range(2):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0)); s.listen(256); ups.append(s)
    threading.Thread(target=serve, args=(s, i), daemon=True).start()
port, admin = free(), free()

def cfg(interval):
    return {"admin": {"listen": "127.0.0.1:%d" % admin},
            "apps": {"http": {"servers": {"s": {"listen": ["127.0.0.1:%d" % port],
              "automatic_https": {"disable": True},
              "routes": [{"handle": [{"handler": "reverse_proxy",
                "upstreams": [{"dial": "127.0.0.1:%d" % u.getsockname()[1]} for u in ups],
                "load_balancing": {"selection_policy": {"policy": "round_robin"}},
                "health_checks": {"active": {"uri": "/health", "interval": interval, "timeout": "1s"},
                                  "passive": {"fail_duration": "400ms", "max_fails": 3, "unhealthy_status": [500]}}}]}]}}}}}

work = tempfile.mkdtemp(prefix="gatehouse-health-soak-")
path = os.path.join(work, "cfg.json")
json.dump(cfg("100ms"), open(path, "w"))
proc = subprocess.Popen([binary, "run", "--config", path, "--adapter", "json", "--workers", "3"],
                        stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "stderr.log"), "w"))
end = time.time() + 60
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close(); break
    except OSError:
        time.sleep(0.1)
wrk = subprocess.Popen(["wrk", "-t2", "-c16", "-d%ds" % int(seconds), "http://127.0.0.1:%d/" % port],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
def flip():
    while not stop.is_set():
        time.sleep(0.15); healthy[0] = not healthy[0]
        if int(time.time() * 10) % 3 == 0:
            healthy[1] = not healthy[1]
threading.Thread(target=flip, daemon=True).start()
reloads = lists = 0
t0 = time.time()
while time.time() - t0 < seconds:
    time.sleep(1.5)
    body = json.dumps(cfg("100ms" if reloads % 2 else "120ms")).encode()
    try:
        r = urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:%d/load" % admin, body,
                                   {"Content-Type": "application/json"}), timeout=20)
        reloads += r.status == 200
        urllib.request.urlopen("http://127.0.0.1:%d/reverse_proxy/upstreams" % admin, timeout=20).read()
        lists += 1
    except Exception as e:
        print("admin:", e)
out = wrk.communicate(timeout=60)[0].decode()
stop.set()
proc.send_signal(signal.SIGTERM)
rc = proc.wait(60)
print(out)
print("logs in", work)
print("reloads", reloads, "upstream lists", lists, "upstream requests", count[0], "exit", rc)
sys.exit(0 if rc == 0 and reloads > 0 else 1)
