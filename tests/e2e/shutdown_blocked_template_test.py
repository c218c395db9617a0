#!/usr/bin/env python3
"""End-to-end: a template blocked forever does not hold a stop beyond grace_period.

A template includes a FIFO that nobody writes: its pool thread blocks in read() for good
(libuv cannot cancel running pool work). On SIGTERM with `grace_period 1s` Gatehouse must
exit with status 0 within the grace period plus a bound, as caddy 2.6.2 does (it exits when
the grace period is over: measured 2.09 s with `grace_period 2s`, exit code 0). Two
variants: the blocked request's client still connected, and the client already gone (the
exchange is dropped; only the pool work is left). Without a grace period Caddy waits for
in-flight requests as long as they take, and so does Gatehouse: a third run checks that a
blocked request without grace_period still holds the stop until the FIFO is written.
Usage: shutdown_blocked_template_test.py <path-to-gatehouse>
"""
import json
import os
import signal
import socket
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
from harness import addr_of, check, finish, start  # noqa: E402

GRACE_S = 1.0
BOUND_S = 3.0  # close, log flush and process exit on a loaded machine


def config(root, grace):
    http = {"servers": {"srv0": {
        "listen": ["127.0.0.1:0"],
        "automatic_https": {"disable": True},
        "routes": [{"handle": [{"handler": "templates", "file_root": root},
                               {"handler": "file_server", "root": root}]}],
    }}}
    if grace:
        http["grace_period"] = int(grace * 1e9)
    return {"admin": {"disabled": True}, "apps": {"http": http}}


def open_writer(fifo, out):
    out.append(os.open(fifo, os.O_WRONLY))  # returns once the server's reader opened it


def run(binary, tmp, root, fifo, grace, client_stays):
    cfg_path = os.path.join(tmp, "config.json")
    with open(cfg_path, "w") as f:
        json.dump(config(root, grace), f)
    proc, servers, drain, _ = start(binary, cfg_path, workers=1)
    writer = None
    sock = None
    try:
        addr = addr_of(next(iter(servers.values()))[0])
        sock = socket.create_connection(addr, timeout=10)
        sock.sendall(b"GET /slow.html HTTP/1.1\r\nHost: a.test\r\n\r\n")
        fd = []
        opener = threading.Thread(target=open_writer, args=(fifo, fd))
        opener.start()
        opener.join(20)
        check(bool(fd), "the template blocks on the FIFO")
        writer = fd[0] if fd else None
        if not client_stays:
            sock.close()
            sock = None
            time.sleep(0.3)  # the loop sees the client leave and drops the exchange
        begin = time.time()
        proc.send_signal(signal.SIGTERM)
        if grace:
            try:
                rc = proc.wait(GRACE_S + BOUND_S)
            except Exception:
                rc = None
            elapsed = time.time() - begin
            what = "client connected" if client_stays else "client gone"
            check(rc == 0, "%s: exits with 0 after the grace period (rc=%s)" % (what, rc))
            check(rc is not None and elapsed < GRACE_S + BOUND_S,
                  "%s: exits within grace_period + %.0f s (%.2f s)" % (what, BOUND_S, elapsed))
            check(rc is None or elapsed >= GRACE_S * 0.9,
                  "%s: the in-flight request had its grace period (%.2f s)" % (what, elapsed))
        else:
            time.sleep(GRACE_S + 1)
            check(proc.poll() is None, "no grace period: the stop waits for the blocked request")
            os.write(writer, b"LATE")
            os.close(writer)
            writer = None
            try:
                rc = proc.wait(10)
            except Exception:
                rc = None
            check(rc == 0, "no grace period: exits once the request is over (rc=%s)" % rc)
    finally:
        if sock is not None:
            sock.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        if writer is not None:
            os.close(writer)  # the reader (if still alive) sees EOF
        report = drain.finish()
        check(report == "", "no sanitizer report:\n" + report)


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "site")
        os.makedirs(root)
        fifo = os.path.join(root, "fifo")
        os.mkfifo(fifo)
        with open(os.path.join(root, "slow.html"), "w") as f:
            f.write('before {{include "fifo"}} after')
        run(binary, tmp, root, fifo, GRACE_S, client_stays=True)
        run(binary, tmp, root, fifo, GRACE_S, client_stays=False)
        run(binary, tmp, root, fifo, 0, client_stays=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
