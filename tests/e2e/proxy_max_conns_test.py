#!/usr/bin/env python3
"""End-to-end: `transport http { max_conns_per_host N }` (Go's Transport.MaxConnsPerHost),
gatehouse with two workers, whose connections the limit counts together.

- HTTP/1.1: 8 clients at once through a limit of 2 to an upstream that answers after
  0.3 s: all get 200, the upstream never has more than 2 connections open, and the
  queued requests reach it in the order gatehouse read them, two by two as the two
  connections free up (FIFO across workers; the access log's start times give the read
  order, which is not the order the client threads sent them in on a loaded machine, and
  which of a pair sent at once on the two connections the upstream records first is its
  own threads' race);
- a client that leaves while queued (limit 1, the slot held by a slow request) drops out:
  its request never reaches the upstream, and the request queued behind it completes;
- HTTP/2 (h2c): the limit counts connections, not streams: 4 slow requests through a limit
  of 1 never have two connections open at once, and the streams of one run together (with
  one worker all four share one connection; with two, each worker's connection closes once
  the other has a request waiting, so connections take turns).
Usage: proxy_max_conns_test.py <gatehouse>
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check  # noqa: E402
import tcp_servers  # noqa: E402
from h2_script_upstream import ScriptedH2Upstream  # noqa: E402


class CountingUpstream:
    """HTTP/1.1 keep-alive upstream: /slow?d=S&id=X answers after S seconds. Records the
    connections open at once and the ids in the order their requests arrived."""

    def __init__(self):
        self.sock = tcp_servers.listen()
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.open = 0
        self.max_open = 0
        self.accepted = 0
        self.arrivals = []
        tcp_servers.serve(self.sock, self._serve, timeout=20)

    def _serve(self, conn):
        with self.lock:
            self.open += 1
            self.accepted += 1
            self.max_open = max(self.max_open, self.open)
        try:
            buf = b""
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                target = head.split(b" ", 2)[1].decode()
                query = dict(p.split("=", 1) for p in target.split("?", 1)[1].split("&")) if "?" in target else {}
                with self.lock:
                    self.arrivals.append(query.get("id", ""))
                time.sleep(float(query.get("d", "0")))
                body = ("done " + query.get("id", "")).encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        finally:
            with self.lock:
                self.open -= 1

    def close(self):
        self.sock.close()


class ConnSampler:
    """Counts gatehouse's established connections to 127.0.0.1:port every 10 ms (ss), for
    the most open at once: exact on the proxy's side, where a closed socket leaves
    ESTABLISHED at once (the upstream's count lags behind by its thread's wake-up)."""

    def __init__(self, port):
        self.port = port
        self.max_open = 0
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop:
            out = subprocess.run(["ss", "-Htn", "state", "established", "(", "dport", "=", ":%d" % self.port, ")"],
                                 capture_output=True, text=True, timeout=5).stdout
            self.max_open = max(self.max_open, len([line for line in out.splitlines() if line.strip()]))
            time.sleep(0.01)

    def stop(self):
        self._stop = True
        self._thread.join(5)
        return self.max_open


def get(port, target, timeout=20):
    """(status, body) of GET target on a connection of its own."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
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
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head else 0
    return status, body


def start(binary, site_port, upstream, transport, workers=2, log_path=None):
    log = "\tlog {\n\t\toutput file %s\n\t}\n" % log_path if log_path else ""
    cfg = """{
	admin off
}
http://127.0.0.1:%d {
%s	reverse_proxy %s {
		transport http {
			%s
		}
	}
}
""" % (site_port, log, upstream, transport)
    fd, path = tempfile.mkstemp(suffix=".Caddyfile")
    with os.fdopen(fd, "w") as f:
        f.write(cfg)
    try:
        proc, _, drain, _ = harness.start(binary, path, adapter="caddyfile", workers=workers)
    finally:
        os.unlink(path)
    return proc, drain


def run_threads(fns):
    threads = [threading.Thread(target=f) for f in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)


def read_order(log_path, count):
    """The ids of the logged requests in the order gatehouse began them (ts - duration). An
    entry is written as its exchange ends, a moment after the client has the answer: the
    log is read until it holds `count` entries (5 s at most)."""
    deadline = time.time() + 5
    while True:
        try:
            with open(log_path) as f:
                lines = [line for line in f if line.endswith("\n")]
        except FileNotFoundError:
            lines = []
        if len(lines) >= count or time.time() >= deadline:
            break
        time.sleep(0.05)
    began = []
    for line in lines:
        e = json.loads(line)
        began.append((e["ts"] - e["duration"], e["request"]["uri"].rsplit("id=", 1)[1]))
    return [i for _, i in sorted(began)]


def h1_limit(binary, workers):
    up = CountingUpstream()
    port = harness.free_port()
    log_dir = tempfile.mkdtemp(prefix="gh-maxconns-")
    log_path = os.path.join(log_dir, "access.log")
    proc, drain = start(binary, port, "127.0.0.1:%d" % up.port, "max_conns_per_host 2", workers, log_path)
    sampler = ConnSampler(up.port)
    try:
        results = {}

        def one(i):
            def go():
                time.sleep(0.04 * i)  # sent in order, 40 ms apart
                results[i] = get(port, "/slow?d=0.3&id=%d" % i)
            return go

        began = time.time()
        run_threads([one(i) for i in range(8)])
        took = time.time() - began
        most = sampler.stop()
        w = "%d worker(s): " % workers
        check(all(results.get(i) == (200, b"done %d" % i) for i in range(8)),
              w + "8 requests through max_conns_per_host 2 all answered: %s" % sorted(results.items()))
        check(most == 2, w + "at most 2 upstream connections open at once, and both used (saw %d; %d dialed)"
              % (most, up.accepted))
        check(took >= 4 * 0.3 - 0.05, w + "the queued requests waited their turn (%.2f s for 8 x 0.3 s on 2)" % took)
        read = read_order(log_path, 8)
        pairs = lambda ids: [sorted(ids[i:i + 2]) for i in range(0, len(ids), 2)]
        check(sorted(read) == [str(i) for i in range(8)] and pairs(up.arrivals) == pairs(read),
              w + "queued requests reached the upstream in the order gatehouse read them: %s (read %s)"
              % (up.arrivals, read))
        if workers == 1:
            # A finished connection goes straight to the next request in the queue.
            check(up.accepted == 2, w + "the 2 connections carried all 8 requests (%d dialed)" % up.accepted)
    finally:
        sampler.stop()
        harness.stop(proc, drain)
        up.close()
        shutil.rmtree(log_dir, ignore_errors=True)


def h1_leave_queue(binary):
    up = CountingUpstream()
    port = harness.free_port()
    proc, drain = start(binary, port, "127.0.0.1:%d" % up.port, "max_conns_per_host 1")
    sampler = ConnSampler(up.port)
    try:
        results = {}

        def holder():
            results["a"] = get(port, "/slow?d=1.0&id=a")

        def leaver():
            # queued only once a holds the slot (a thread's sleep is no order on a loaded
            # machine); a follower that overtakes it is queued first, which changes nothing
            deadline = time.time() + 5
            while "a" not in up.arrivals and time.time() < deadline:
                time.sleep(0.02)
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET /slow?d=0&id=b HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            time.sleep(0.3)  # queued behind a
            s.close()
            results["b"] = "left"

        def follower():
            deadline = time.time() + 5
            while "a" not in up.arrivals and time.time() < deadline:
                time.sleep(0.02)
            time.sleep(0.15)
            results["c"] = get(port, "/slow?d=0&id=c")

        run_threads([holder, leaver, follower])
        check(results.get("a") == (200, b"done a"), "the request holding the slot completes")
        check(results.get("c") == (200, b"done c"), "the request queued behind a leaver completes: %s"
              % (results.get("c"),))
        check(up.arrivals == ["a", "c"], "the client that left never reached the upstream: %s" % up.arrivals)
        check(sampler.stop() == 1, "one connection at a time (saw %d)" % sampler.max_open)
    finally:
        harness.stop(proc, drain)
        up.close()


def h2_limit(binary, workers):
    up = ScriptedH2Upstream(delay=0.5)
    port = harness.free_port()
    proc, drain = start(binary, port, "h2c://127.0.0.1:%d" % up.port, "max_conns_per_host 1", workers)
    sampler = ConnSampler(up.port)
    try:
        results = {}

        def one(i):
            def go():
                time.sleep(0.05 * i)
                results[i] = get(port, "/x%d" % i)
            return go

        began = time.time()
        run_threads([one(i) for i in range(4)])
        took = time.time() - began
        check(all(results.get(i) == (200, b"ok") for i in range(4)),
              "%d worker(s): 4 h2c requests answered: %s" % (workers, results))
        most = sampler.stop()
        check(most == 1, "%d worker(s): never two h2c connections open at once (saw %d; %d in all)"
              % (workers, most, up.connections))
        if workers == 1:
            check(up.max_streams == 4, "one worker: the 4 streams ran at once (%d at most)" % up.max_streams)
            check(up.connections == 1, "one worker: the 4 requests shared one connection (saw %d)" % up.connections)
            # one at a time they would take 4 x 0.5 s
            check(took < 4 * 0.5 - 0.1, "streams are not limited: %.2f s for 4 x 0.5 s" % took)
    finally:
        harness.stop(proc, drain)
        up.close()


def main():
    binary = sys.argv[1]
    h1_limit(binary, 1)
    h1_limit(binary, 2)
    h1_leave_queue(binary)
    h2_limit(binary, 1)
    h2_limit(binary, 2)
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
