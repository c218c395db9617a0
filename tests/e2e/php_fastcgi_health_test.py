#!/usr/bin/env python3
"""End-to-end: active health checks with the fastcgi transport, as Caddy 2.6.2 runs them
(gatehouse and Debian's caddy on the same Caddyfile). Caddy accepts the config, but its
check request lacks what the FastCGI environment is built from, so every check panics
before dialing (Caddy issue 5281): each interval logs "active health check panicked" once
per upstream, nothing reaches the upstreams, and none is ever marked unhealthy. So:
- a site with a real php-fpm and a recording listener (lb_policy first) serves PHP, and
  the listener sees no connection at all;
- a site whose only upstream is dead answers 502 (a failed dial), never 503 (what an
  upstream taken out by health checks would give);
- the error lines match caddy's (level, logger, message, error), two per interval.
Exits 77 when caddy or php-fpm is not installed.
Usage: php_fastcgi_health_test.py <gatehouse>
"""
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check  # noqa: E402
from caddy_peer import CaddyPeer  # noqa: E402
import php_fpm  # noqa: E402

PANIC = ("error", "http.handlers.reverse_proxy.health_checker.active", "active health check panicked",
         "interface conversion: interface {} is nil, not http.Request")


class Recorder:
    """A listener that counts the connections it accepts (and closes them)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self):
        self.sock.close()


def caddyfile(ports, root):
    return """{
	admin off
	auto_https off
}
http://127.0.0.1:%(live)d {
	root * %(root)s
	php_fastcgi 127.0.0.1:%(php)d 127.0.0.1:%(recorder)d {
		lb_policy first
		health_uri /ping
		health_interval 500ms
	}
}
http://127.0.0.1:%(dead_site)d {
	root * %(root)s
	php_fastcgi 127.0.0.1:%(dead)d {
		health_uri /ping
		health_interval 500ms
	}
}
""" % dict(ports, root=root)


def status_of(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def panics(lines):
    out = []
    for line in lines:
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("msg") == PANIC[2]:
            out.append((e.get("level"), e.get("logger"), e.get("msg"), e.get("error")))
    return out


def exercise(ports):
    """Statuses of the two sites over about two seconds of checks."""
    statuses = [status_of(ports["live"], "/index.php"), status_of(ports["dead_site"], "/index.php")]
    time.sleep(2.2)
    statuses += [status_of(ports["live"], "/index.php"), status_of(ports["dead_site"], "/index.php")]
    return statuses


def main():
    binary = sys.argv[1]
    if shutil.which("caddy") is None or php_fpm.binary() is None:
        print("caddy or php-fpm not installed")
        return 77
    root = tempfile.mkdtemp(prefix="gh-fcgi-health-")
    php_fpm.write_site(root)
    ports = {k: harness.free_port() for k in ("php", "live", "dead_site", "dead")}
    fpm = php_fpm.PhpFpm(ports["php"])
    recorder = Recorder()
    ports["recorder"] = recorder.port
    text = caddyfile(ports, root)
    results = {}
    try:
        fd, path = tempfile.mkstemp(suffix=".Caddyfile")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        proc, _, drain, _ = harness.start(binary, path, adapter="caddyfile", workers=2)
        os.unlink(path)
        try:
            results["gatehouse"] = exercise(ports), recorder.accepted
        finally:
            harness.stop(proc, drain)
        results["gatehouse"] += (panics(drain.lines),)
        peer = CaddyPeer(text, [ports["live"], ports["dead_site"]], name="fcgi-health")
        try:
            results["caddy"] = exercise(ports), recorder.accepted - results["gatehouse"][1]
            log = peer.read_log().splitlines()
        finally:
            peer.stop()
        results["caddy"] += (panics(log),)
    finally:
        recorder.close()
        fpm.stop()
        shutil.rmtree(root, ignore_errors=True)
    for who, (statuses, accepted, lines) in results.items():
        print("%s: statuses %s, connections to the recorder %d, %d panic lines" % (who, statuses, accepted,
                                                                                  len(lines)))
        check(statuses == [200, 502, 200, 502], "%s: PHP served, the dead upstream 502 (never 503)" % who)
        check(accepted == 0, "%s: no check reached an upstream" % who)
        # Two rounds at least (at once, then every 500ms), one line per checked upstream.
        check(len(lines) >= 6 and set(lines) == {PANIC}, "%s: Caddy's panic line per upstream and interval" % who)
    check(results["gatehouse"][0] == results["caddy"][0], "statuses as caddy's")
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
