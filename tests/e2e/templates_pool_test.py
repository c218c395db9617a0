#!/usr/bin/env python3
"""End-to-end: template execution runs on the thread pool, never on the loop.

One worker loop. A page includes a FIFO: reading it blocks until the test writes to it.
The test opens the FIFO for writing, which returns only once the server's reader has it
open (the sync point: the template is now blocked in the read), then checks that another
client is answered meanwhile, and that the included bytes arrive once written. Then a
client leaves while its template is blocked: the server must survive the late result
(no use-after-free) and go on serving. httpInclude through the same server is checked
too (virtual request, Caddy-Templates-Include levels, error statuses).
Usage: templates_pool_test.py <path-to-gatehouse>
"""
import http.client
import json
import os
import socket
import sys
import tempfile
import threading

sys.dont_write_bytecode = True
from harness import addr_of, check, finish, start, stop  # noqa: E402


def get(addr, path, timeout=10):
    c = http.client.HTTPConnection(addr[0], addr[1], timeout=timeout)
    try:
        c.request("GET", path, headers={"Host": "a.test"})
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
                {"match": [{"path": ["/echo-level"]}],
                 "handle": [{"handler": "static_response", "headers": {"Content-Type": ["text/plain"]},
                             "body": "level={http.request.header.Caddy-Templates-Include}"}]},
                {"handle": [{"handler": "templates", "file_root": root},
                            {"handler": "file_server", "root": root}]},
            ],
        }}}},
    }


def write_file(root, name, text):
    with open(os.path.join(root, name), "w") as f:
        f.write(text)


def open_writer(fifo, out):
    out.append(os.open(fifo, os.O_WRONLY))  # returns once the server's reader opened it


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "site")
        os.makedirs(root)
        fifo = os.path.join(root, "fifo")
        os.mkfifo(fifo)
        write_file(root, "slow.html", 'before {{include "fifo"}} after')
        write_file(root, "fast.html", "{{add 1 2}}")
        write_file(root, "inc.html", '[{{httpInclude "/fast.html"}}|{{httpInclude "/echo-level"}}]')
        write_file(root, "nested.html", '<{{httpInclude "/inc.html"}}>')
        write_file(root, "loop.html", '{{httpInclude "/loop.html"}}')
        write_file(root, "missing.html", '{{httpInclude "/nope.html"}}')
        cfg_path = os.path.join(tmp, "config.json")
        with open(cfg_path, "w") as f:
            json.dump(config(root), f)
        proc, servers, drain, _ = start(binary, cfg_path, workers=1)
        try:
            addr = addr_of(next(iter(servers.values()))[0])
            blocked_read_does_not_block_loop(addr, fifo)
            client_leaves_while_blocked(addr, fifo, proc)
            http_include(addr)
        finally:
            stop(proc, drain)
    return finish()


def blocked_read_does_not_block_loop(addr, fifo):
    result = []
    slow = threading.Thread(target=lambda: result.append(get(addr, "/slow.html", timeout=30)))
    slow.start()
    fd = []
    opener = threading.Thread(target=open_writer, args=(fifo, fd))
    opener.start()
    opener.join(20)
    check(bool(fd), "the template opened the FIFO (its read now blocks)")
    if not fd:
        return
    try:
        status, body = get(addr, "/fast.html")
        check((status, body) == (200, "3"), "another client is served while a template read blocks: %r" %
              ((status, body),))
        check(not result, "the blocked page is still waiting")
    except OSError as e:
        check(False, "another client is served while a template read blocks (%s)" % e)
    os.write(fd[0], b"INCLUDED")
    os.close(fd[0])
    slow.join(20)
    check(result == [(200, "before INCLUDED after")], "the blocked page completes: %r" % result)


def client_leaves_while_blocked(addr, fifo, proc):
    s = socket.create_connection(addr, timeout=10)
    s.sendall(b"GET /slow.html HTTP/1.1\r\nHost: a.test\r\n\r\n")
    fd = []
    opener = threading.Thread(target=open_writer, args=(fifo, fd))
    opener.start()
    opener.join(20)
    check(bool(fd), "the second template blocked on the FIFO")
    s.close()  # the client leaves; its exchange goes while the pool still runs the template
    # The loop has seen the close once it answers a request sent after it.
    check(get(addr, "/fast.html") == (200, "3"), "served after the client left")
    if fd:
        os.write(fd[0], b"LATE")
        os.close(fd[0])
    for _ in range(3):
        check(get(addr, "/fast.html") == (200, "3"), "served after the orphaned template finished")
    check(proc.poll() is None, "the server is alive")


def http_include(addr):
    check(get(addr, "/inc.html") == (200, "[3|level=1]"), "httpInclude of a template page and a route")
    check(get(addr, "/nested.html") == (200, "<[3|level=2]>"), "nested httpInclude counts levels")
    status, _ = get(addr, "/loop.html")
    check(status == 500, "a self-including page stops at the fourth level (500), got %d" % status)
    status, _ = get(addr, "/missing.html")
    check(status == 500, "httpInclude of a 404 fails the page with 500 (as caddy 2.6.2), got %d" % status)


if __name__ == "__main__":
    sys.exit(main())
