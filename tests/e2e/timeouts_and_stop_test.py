#!/usr/bin/env python3
"""End-to-end: read-header and idle timeouts close connections; SIGTERM lets an in-flight
download finish, refuses new connections and exits 0.
Usage: timeouts_and_stop_test.py <path-to-gatehouse>
"""
import json
import os
import signal
import socket
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from harness import FAILURES, addr_of, check, finish, start  # noqa: E402

BIG = 8 * 1024 * 1024


def closed_within(sock, seconds):
    """True if the server closes `sock` within `seconds` (reads and drops any bytes)."""
    sock.settimeout(seconds)
    start = time.time()
    try:
        while time.time() - start < seconds:
            if not sock.recv(65536):
                return True
    except (socket.timeout, TimeoutError):
        return False
    except ConnectionResetError:
        return True
    return False


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "big.bin"), "wb") as f:
            f.write(b"x" * BIG)
        cfg = {"apps": {"http": {"servers": {"srv0": {
            "listen": ["127.0.0.1:0"],
            "read_header_timeout": "1s",
            "idle_timeout": "1s",
            "routes": [{"handle": [{"handler": "file_server", "root": tmp}]}],
        }}}}}
        cfg_path = os.path.join(tmp, "c.json")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        proc, servers, drain, _ = start(binary, cfg_path, workers=1)
        addr = addr_of(servers["srv0"][0])
        try:
            # Slowloris: a head that never completes is cut off by read_header_timeout.
            s = socket.create_connection(addr)
            s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ")
            t0 = time.time()
            check(closed_within(s, 4), "read_header_timeout closes a stalled head")
            check(time.time() - t0 >= 0.8, "not before the timeout")
            s.close()

            # Idle keep-alive connection closes after idle_timeout.
            s = socket.create_connection(addr)
            s.sendall(b"HEAD /big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
            s.settimeout(3)
            head = s.recv(4096)
            check(head.startswith(b"HTTP/1.1 200 OK"), "HEAD before idle")
            check(closed_within(s, 4), "idle_timeout closes an idle connection")
            s.close()

            # Graceful stop: a slow download in flight completes.
            s = socket.create_connection(addr)
            s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
            s.settimeout(5)
            got = s.recv(65536)
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            refused = False
            try:
                socket.create_connection(addr, timeout=1).close()
            except OSError:
                refused = True
            check(refused, "no new connections after SIGTERM")
            while True:
                chunk = s.recv(1 << 20)
                if not chunk:
                    break
                got += chunk
            s.close()
            head_end = got.find(b"\r\n\r\n") + 4
            check(len(got) - head_end == BIG, "in-flight download completed (%d bytes)" % (len(got) - head_end))
            rc = proc.wait(timeout=10)
            check(rc == 0, "exit code 0 after SIGTERM, got %s" % rc)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            report = drain.finish()
            check(not report, "sanitizer report in server stderr")
            if report or FAILURES:
                print("--- server stderr ---\n" + drain.text(), flush=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
