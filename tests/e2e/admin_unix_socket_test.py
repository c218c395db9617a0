#!/usr/bin/env python3
"""The admin endpoint on a unix socket (`admin unix//path`), as caddy 2.6.2 serves it:
the same API over the socket; only an empty Host header passes (what caddy's CLI sends) and
a request without Host gets Go's 400; a stale socket file is replaced, a regular file or a
live socket at the path is refused; the socket is removed at stop. `gatehouse stop` and
`gatehouse reload` with `--address unix//path` drive it, `caddy stop --address unix//path`
stops gatehouse, and `gatehouse stop` stops caddy on a socket. Caddy answers the same
raw requests (compared where both run).
Usage: admin_unix_socket_test.py <path-to-gatehouse>
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
from harness import check, finish, free_port, wait_port  # noqa: E402


def caddyfile(sock, site, body):
    return "{\n\tadmin unix/%s\n}\nhttp://127.0.0.1:%d {\n\trespond \"%s\"\n}\n" % (sock, site, body)


def raw(sock, request, timeout=10):
    """One request over the unix socket; returns (status line, body)."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(sock)
    s.sendall(request.encode())
    data = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        body = dechunk(body)
    return head.split(b"\r\n")[0].decode(), body.decode()


def dechunk(body):
    out = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        n = int(size.split(b";")[0] or b"0", 16)
        if n == 0:
            break
        out += rest[:n]
        body = rest[n + 2:]
    return out


def get(sock, path, host="Host: \r\n"):
    return raw(sock, "GET %s HTTP/1.1\r\n%sConnection: close\r\n\r\n" % (path, host))


def wait_socket(path, proc, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        try:
            get(path, "/config/")
            return True
        except OSError:
            time.sleep(0.1)
    return False


def wait_exit(proc):
    try:
        return proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
        return None


def serve(argv, cfg, sock, site, env):
    proc = subprocess.Popen(argv + ["run", "--config", cfg, "--adapter", "caddyfile"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env)
    ok = wait_port(site, proc) and wait_socket(sock, proc)
    return proc, ok


def api_answers(sock):
    """The requests whose answers caddy and gatehouse must share."""
    return {
        "empty Host": get(sock, "/config/apps/http/servers/srv0/listen"),
        "Host localhost": get(sock, "/config/", "Host: localhost\r\n"),
        "no Host": get(sock, "/config/", ""),
    }


def main():
    gh = os.path.abspath(sys.argv[1])
    caddy = shutil.which("caddy")
    tmp = tempfile.mkdtemp(prefix="gh-admin-unix-")
    env = dict(os.environ, HOME=tmp, XDG_DATA_HOME=tmp, XDG_CONFIG_HOME=tmp)
    procs = []
    try:
        sock = os.path.join(tmp, "admin.sock")
        site = free_port()
        cfg = os.path.join(tmp, "Caddyfile")
        with open(cfg, "w") as f:
            f.write(caddyfile(sock, site, "one"))
        # A stale socket (bound, nobody listening) is replaced.
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(sock)
        stale.close()
        proc, ok = serve([gh], cfg, sock, site, env)
        procs.append(proc)
        check(ok, "gatehouse serves its admin API on a unix socket over a stale socket file")
        answers = {}
        if ok:
            answers = api_answers(sock)
            status, body = answers["empty Host"]
            check(status == "HTTP/1.1 200 OK" and json.loads(body) == [":%d" % site],
                  "GET /config/ over the socket with an empty Host (%s %s)" % (status, body.strip()))
            status, body = answers["Host localhost"]
            check(status == "HTTP/1.1 403 Forbidden" and "host not allowed: localhost" in body,
                  "Host: localhost is refused on a unix socket (%s)" % status)
            check(answers["no Host"][0].startswith("HTTP/1.1 400"), "a request without Host gets 400")
            # A live socket at the path is not taken over.
            cfg2 = os.path.join(tmp, "Caddyfile2")
            with open(cfg2, "w") as f:
                f.write(caddyfile(sock, free_port(), "other"))
            other = subprocess.run([gh, "run", "--config", cfg2, "--adapter", "caddyfile"], capture_output=True,
                                   text=True, timeout=60, env=env)
            check(other.returncode != 0 and "already in use" in other.stderr,
                  "a second server refuses the live socket (%s)" % other.stderr.strip()[-200:])
            with open(cfg, "w") as f:
                f.write(caddyfile(sock, site, "two"))
            r = subprocess.run([gh, "reload", "--config", cfg, "--address", "unix/" + sock], capture_output=True,
                               text=True, timeout=60, env=env)
            check(r.returncode == 0, "gatehouse reload --address unix//path exits 0 (%s)" % r.stderr.strip())
            status, body = get(sock, "/config/apps/http/servers/srv0/routes/0/handle/0/routes/0/handle/0/body")
            check(body.strip() == '"two"', "the reloaded config is running (%s)" % body.strip())
            r = subprocess.run([gh, "stop", "--address", "unix/" + sock], capture_output=True, text=True,
                               timeout=60, env=env)
            check(r.returncode == 0, "gatehouse stop --address unix//path exits 0 (%s)" % r.stderr.strip())
            check(wait_exit(proc) == 0, "gatehouse stopped through /stop on the socket")
            check(not os.path.exists(sock), "the socket file is removed at stop")
        # A regular file at the path is never removed.
        with open(sock, "w") as f:
            f.write("keep me")
        r = subprocess.run([gh, "run", "--config", cfg, "--adapter", "caddyfile"], capture_output=True, text=True,
                           timeout=60, env=env)
        check(r.returncode != 0 and "not a socket" in r.stderr, "a regular file at the path is refused")
        with open(sock) as f:
            check(f.read() == "keep me", "and left alone")
        os.unlink(sock)
        if caddy:
            for server, stopper in (([caddy], [gh]), ([gh], [caddy])):
                site = free_port()
                with open(cfg, "w") as f:
                    f.write(caddyfile(sock, site, "x"))
                proc, ok = serve(server, cfg, sock, site, env)
                procs.append(proc)
                check(ok, "%s serves on the socket" % server[0])
                if not ok:
                    continue
                if server[0] == caddy:
                    theirs = api_answers(sock)
                    for what, (status, body) in theirs.items():
                        mine = answers.get(what, ("", ""))
                        check(mine[0] == status, "%s: gatehouse answers %r as caddy %r" % (what, mine[0], status))
                        if what != "empty Host":  # that body names each run's own port
                            check(mine[1] == body, "%s: same body (%r vs %r)" % (what, mine[1], body))
                r = subprocess.run(stopper + ["stop", "--address", "unix/" + sock], capture_output=True, text=True,
                                   timeout=60, env=env)
                check(r.returncode == 0, "%s stop --address unix//path exits 0 (%s)" % (
                    stopper[0], r.stderr.strip()[-300:]))
                check(wait_exit(proc) == 0, "%s stopped by %s stop" % (server[0], stopper[0]))
                check(not os.path.exists(sock), "%s removed its socket" % server[0])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(5)
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
