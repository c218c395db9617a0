#!/usr/bin/env python3
"""End-to-end: file_server `browse` reads the directory on the thread pool, never on the loop.

One worker loop and one pool thread (UV_THREADPOOL_SIZE=1). A template includes a FIFO and
blocks the only pool thread (the sync point: opening the FIFO for writing returns once the
template's read has it open). A listing of a 20,000-entry directory asked for meanwhile
must wait for the pool (it would be answered at once if it ran on the loop), while another
client is served; once the FIFO is written the listing arrives, complete. A client that
leaves while its listing waits must not hurt the server. Then the listing of the big
directory runs while other clients are answered, each within a bound.
Usage: browse_pool_test.py <path-to-gatehouse>
"""
import http.client
import json
import os
import socket
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
from harness import addr_of, check, finish, start, stop  # noqa: E402

ENTRIES = 20000


def get(addr, path, timeout=30, accept=None):
    c = http.client.HTTPConnection(addr[0], addr[1], timeout=timeout)
    try:
        headers = {"Host": "a.test"}
        if accept:
            headers["Accept"] = accept
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def config(root):
    return {
        "admin": {"disabled": True},
        "apps": {"http": {"servers": {"srv0": {
            "listen": ["127.0.0.1:0"],
            "automatic_https": {"disable": True},
            "routes": [
                {"match": [{"path": ["/ping"]}],
                 "handle": [{"handler": "static_response", "body": "pong"}]},
                {"match": [{"path": ["/slow.html"]}],
                 "handle": [{"handler": "templates", "file_root": root},
                            {"handler": "file_server", "root": root}]},
                {"handle": [{"handler": "file_server", "root": root, "browse": {}}]},
            ],
        }}}},
    }


def open_writer(fifo, out):
    out.append(os.open(fifo, os.O_WRONLY))  # returns once the server's reader opened it


def block_pool(addr, fifo):
    """Starts /slow.html; returns (thread, results, writer fd or None) once the pool is blocked."""
    result = []
    slow = threading.Thread(target=lambda: result.append(get(addr, "/slow.html")))
    slow.start()
    fd = []
    opener = threading.Thread(target=open_writer, args=(fifo, fd))
    opener.start()
    opener.join(20)
    return slow, result, (fd[0] if fd else None)


def listing_waits_for_the_pool(addr, fifo):
    slow, slow_result, fd = block_pool(addr, fifo)
    check(fd is not None, "the template blocks the only pool thread")
    if fd is None:
        return
    listing = []
    t = threading.Thread(target=lambda: listing.append(get(addr, "/big/", accept="application/json")))
    t.start()
    t.join(1.5)
    check(not listing, "the big listing waits for the pool (it is not read on the loop)")
    check(get(addr, "/ping", timeout=5) == (200, "pong"), "another client is served meanwhile")
    os.write(fd, b"X")
    os.close(fd)
    slow.join(20)
    t.join(30)
    check(slow_result == [(200, "before X after")], "the blocked template completes: %r" % slow_result[:1])
    ok = bool(listing) and listing[0][0] == 200
    items = json.loads(listing[0][1]) if ok else []
    check(ok and len(items) == ENTRIES, "the listing arrives with all %d entries (%d)" % (ENTRIES, len(items)))
    check(all(not i["is_dir"] and i["size"] == 0 for i in items), "entries are files of size 0")


def client_leaves_while_listing_waits(addr, fifo, proc):
    slow, _, fd = block_pool(addr, fifo)
    check(fd is not None, "the pool is blocked again")
    s = socket.create_connection(addr, timeout=10)
    s.sendall(b"GET /big/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
    time.sleep(0.3)
    s.close()  # its exchange goes while its listing still waits for the pool
    check(get(addr, "/ping", timeout=5) == (200, "pong"), "served after the client left")
    if fd is not None:
        os.write(fd, b"Y")
        os.close(fd)
    slow.join(20)
    status, body = get(addr, "/small/")
    check(status == 200 and "one.txt" in body, "a listing after the orphaned one (HTML): %d" % status)
    check(proc.poll() is None, "the server is alive")


def others_served_during_big_listings(addr):
    """Big listings back to back; meanwhile every /ping is answered within a bound."""
    done = threading.Event()
    counts = []

    def lister():
        n = 0
        while not done.is_set() and n < 20:
            status, body = get(addr, "/big/")
            n += status == 200 and body.count("<tr>") >= ENTRIES
        counts.append(n)

    t = threading.Thread(target=lister)
    t.start()
    worst = 0.0
    pings = 0
    deadline = time.time() + 3
    while time.time() < deadline:
        begin = time.time()
        ok = get(addr, "/ping", timeout=10) == (200, "pong")
        worst = max(worst, time.time() - begin)
        pings += ok
    done.set()
    t.join(60)
    print("pings answered: %d, slowest %.3f s; big HTML listings: %s" % (pings, worst, counts))
    check(counts and counts[0] >= 1, "big HTML listings complete")
    check(pings >= 10 and worst < 2.0, "other clients are answered while big listings run (slowest %.3f s)" % worst)


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "site")
        big = os.path.join(root, "big")
        os.makedirs(big)
        for i in range(ENTRIES):
            open(os.path.join(big, "f%05d.txt" % i), "w").close()
        os.makedirs(os.path.join(root, "small"))
        with open(os.path.join(root, "small", "one.txt"), "w") as f:
            f.write("1")
        fifo = os.path.join(root, "fifo")
        os.mkfifo(fifo)
        with open(os.path.join(root, "slow.html"), "w") as f:
            f.write('before {{include "fifo"}} after')
        cfg_path = os.path.join(tmp, "config.json")
        with open(cfg_path, "w") as f:
            json.dump(config(root), f)
        env = dict(os.environ, UV_THREADPOOL_SIZE="1")
        proc, servers, drain, _ = start(binary, cfg_path, workers=1, env=env)
        try:
            addr = addr_of(next(iter(servers.values()))[0])
            listing_waits_for_the_pool(addr, fifo)
            client_leaves_while_listing_waits(addr, fifo, proc)
            others_served_during_big_listings(addr)
        finally:
            stop(proc, drain)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
