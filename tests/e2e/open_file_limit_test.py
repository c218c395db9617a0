#!/usr/bin/env python3
"""gatehouse raises its soft limit on open descriptors to the hard one at start, as caddy (a Go
program) does: started with a soft limit of 256, it holds 400 keep-alive connections open at
once and answers on every one of them, and /proc shows the raised limit.
Usage: open_file_limit_test.py <gatehouse>
"""
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, finish  # noqa: E402
import ports  # noqa: E402

SOFT = 256
CONNECTIONS = 400


def limited():
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (SOFT, hard))


def soft_limit_of(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    return -1


def main():
    binary = sys.argv[1]
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < CONNECTIONS * 2:
        print("skip: hard limit %d is too low for this test" % hard)
        return 77
    mine = resource.getrlimit(resource.RLIMIT_NOFILE)
    if mine[0] < CONNECTIONS + 64:  # this script's own end of the connections
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    port = ports.free_port()
    cfg = {"admin": {"disabled": True}, "apps": {"http": {"servers": {"s": {
        "listen": ["127.0.0.1:%d" % port],
        "routes": [{"handle": [{"handler": "static_response", "body": "ok"}]}]}}}}}
    with tempfile.TemporaryDirectory(prefix="gatehouse-nofile-") as tmp:
        path = os.path.join(tmp, "config.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        env = dict(os.environ, HOME=tmp, XDG_DATA_HOME=tmp, XDG_CONFIG_HOME=tmp)
        proc = subprocess.Popen([binary, "run", "--config", path, "--adapter", "json", "--workers", "1"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                                preexec_fn=limited)
        try:
            deadline = time.time() + 15
            while time.time() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            raised = soft_limit_of(proc.pid)
            check(raised > SOFT if hard == resource.RLIM_INFINITY else raised == hard,
                  "the soft limit is raised to the hard one (%d, hard %s)" % (raised, hard))
            conns = []
            answered = 0
            for _ in range(CONNECTIONS):
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                conns.append(s)
            for s in conns:
                data = b""
                try:
                    while not data.endswith(b"ok"):
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                except OSError:
                    pass  # refused or reset: a descriptor the server could not have
                answered += data.startswith(b"HTTP/1.1 200") and data.endswith(b"ok")
            check(answered == CONNECTIONS, "%d of %d open connections answered" % (answered, CONNECTIONS))
            for s in conns:
                s.close()
        finally:
            proc.terminate()
            proc.wait(10)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
