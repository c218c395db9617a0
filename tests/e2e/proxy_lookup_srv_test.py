#!/usr/bin/env python3
"""End-to-end: caddy 2.6.2's `srv+http://` upstreams (JSON `lookup_srv`), Gatehouse beside the
real caddy 2.6.2, both asking the same BIND.

`lookup_srv` is asked through the system's resolver (Go's net.DefaultResolver in caddy; ldns
reading /etc/resolv.conf in Gatehouse), which has no port option: BIND listens on 127.0.0.1:53
(skipped when taken), and both servers run in a private mount namespace (unshare -m)
where /etc/resolv.conf is bind-mounted to a file naming it. Checked, on both servers:
- the record of the lowest priority value is dialled (its target resolved through DNS too),
  and {upstream_hostport} is that target with its trailing dot and port;
- equal priorities and weights: both targets take requests (a weighted random pick per request);
- no cache: a record changed in BIND is followed by the very next request;
- a name with no SRV record: 502 (the error making the dial info; no retry).
And `validate`: lookup_srv with active health checks is refused by both.
Exits 77 without named, without root or when mount namespaces are not allowed.
Usage: proxy_lookup_srv_test.py <gatehouse>
"""
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from harness import FAILURES, check  # noqa: E402
import bind_dns  # noqa: E402
import ports  # noqa: E402
import proxy_upstreams as pu  # noqa: E402

ZONE = "lookup.test"

CADDYFILE = """{
    admin off
    auto_https off
}
http://127.0.0.1:%(port)d {
    handle_path /x/* {
        reverse_proxy srv+http://_x._tcp.%(zone)s {
            header_down X-Hostport {upstream_hostport}
        }
    }
    handle_path /eq/* {
        reverse_proxy srv+http://_eq._tcp.%(zone)s
    }
    handle_path /none/* {
        reverse_proxy srv+http://_none._tcp.%(zone)s
    }
}
"""


def require_namespace():
    if os.geteuid() != 0:
        print("SKIP: bind-mounting /etc/resolv.conf needs root")
        sys.exit(77)
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True, timeout=10)
    if p.returncode != 0:
        print("SKIP: unshare -m not allowed: %s" % p.stderr.decode().strip())
        sys.exit(77)


def port_53_free(host):
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind((host, 53))
        except OSError:
            return False
        finally:
            s.close()
    return True


def in_namespace(resolv, cmd):
    """cmd run with /etc/resolv.conf replaced by `resolv` (the pid stays cmd's: exec)."""
    return ["unshare", "-m", "--propagation", "private", "sh", "-c",
            'mount --bind "$0" /etc/resolv.conf && exec "$@"', resolv] + cmd


def start(cmd, port, log_path, env=None):
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    deadline = time.time() + 20
    while time.time() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, log
        except OSError:
            time.sleep(0.1)
    stop(proc, log)
    raise SystemExit("%s did not start:\n%s" % (cmd[-1], open(log_path).read()[-3000:]))


def stop(proc, log):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    log.close()


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    c.request("GET", path, headers={"Host": "127.0.0.1"})
    r = c.getresponse()
    r.read()
    c.close()
    return r.status, r.getheader("X-Upstream"), r.getheader("X-Hostport")


def run_checks(name, port, sa, sb, bind):
    seq = [get(port, "/x/echo") for _ in range(4)]
    want = (200, "SA", "sa.%s.:%d" % (ZONE, sa.port))
    check(seq == [want] * 4, "%s: lowest priority value dialled: %r" % (name, seq))
    began = time.monotonic()
    picks = {get(port, "/eq/echo")[1] for _ in range(40)}
    # a figure, not a check: each request asks BIND (a new connection per request here)
    print("info: %s: %.2f ms per request through lookup_srv" % (name, (time.monotonic() - began) * 25))
    check(picks == {"SA", "SB"}, "%s: equal priority and weight: both picked over 40 requests: %r" % (name, picks))
    status = get(port, "/none/echo")[0]
    check(status == 502, "%s: a name without SRV records gives 502: %r" % (name, status))
    # No cache: the record's change is seen by the next request, then restored.
    bind.nsupdate("update delete _x._tcp.%s. SRV 10 5 %d sa.%s." % (ZONE, sa.port, ZONE))
    after = get(port, "/x/echo")[1]
    bind.nsupdate("update add _x._tcp.%s. 60 SRV 10 5 %d sa.%s." % (ZONE, sa.port, ZONE))
    check(after == "SB", "%s: a changed record is followed at once (no cache): %r" % (name, after))
    back = get(port, "/x/echo")[1]
    check(back == "SA", "%s: the restored record is followed at once: %r" % (name, back))


def refused_with_active_checks(binary, tmp, port):
    path = os.path.join(tmp, "active.caddyfile")
    with open(path, "w") as f:
        f.write("{\n admin off\n}\nhttp://127.0.0.1:%d {\n reverse_proxy srv+http://_x._tcp.%s {\n"
                "  health_uri /health\n }\n}\n" % (port, ZONE))
    env = dict(os.environ, XDG_DATA_HOME=tmp, XDG_CONFIG_HOME=tmp, HOME=tmp)
    for name, exe in (("caddy", "caddy"), ("gatehouse", binary)):
        p = subprocess.run([exe, "validate", "--config", path, "--adapter", "caddyfile"], capture_output=True,
                           text=True, timeout=30, env=env)
        out = p.stdout + p.stderr
        check(p.returncode != 0 and "lookup_srv is incompatible with active health checks" in out,
              "%s refuses lookup_srv with active health checks: rc=%d %s" % (name, p.returncode, out[-300:]))


def main():
    bind_dns.require_bind()
    require_namespace()
    if shutil.which("caddy") is None:
        print("SKIP: caddy 2.6.2 not installed")
        return 77
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="gh-lookupsrv-")
    # resolv.conf has no port: named takes 127.0.0.1:53 (named listens only on the addresses
    # of interfaces, so another loopback address would need one added to lo).
    host = "127.0.0.1"
    if not port_53_free(host):
        print("SKIP: %s:53 is taken" % host)
        return 77
    bind = bind_dns.Bind(tmp, zone=ZONE, host=host, port=53)
    resolv = os.path.join(tmp, "resolv.conf")
    with open(resolv, "w") as f:
        f.write("nameserver %s\noptions timeout:2 attempts:1\n" % host)
    sa, sb = pu.Upstream("SA"), pu.Upstream("SB")
    running = []
    try:
        bind.nsupdate("\n".join([
            "update add sa.%s. 60 A 127.0.0.1" % ZONE,
            "update add sb.%s. 60 A 127.0.0.1" % ZONE,
            "update add _x._tcp.%s. 60 SRV 20 5 %d sb.%s." % (ZONE, sb.port, ZONE),
            "update add _x._tcp.%s. 60 SRV 10 5 %d sa.%s." % (ZONE, sa.port, ZONE),
            "update add _eq._tcp.%s. 60 SRV 10 50 %d sa.%s." % (ZONE, sa.port, ZONE),
            "update add _eq._tcp.%s. 60 SRV 10 50 %d sb.%s." % (ZONE, sb.port, ZONE),
        ]))
        servers = {}
        for name in ("caddy", "gatehouse"):
            port = ports.free_port()
            cf = os.path.join(tmp, name + ".caddyfile")
            with open(cf, "w") as f:
                f.write(CADDYFILE % {"port": port, "zone": ZONE})
            exe = "caddy" if name == "caddy" else binary
            env = dict(os.environ, XDG_DATA_HOME=tmp, XDG_CONFIG_HOME=tmp, HOME=tmp)
            proc, log = start(in_namespace(resolv, [exe, "run", "--config", cf, "--adapter", "caddyfile"]), port,
                              os.path.join(tmp, name + ".log"), env)
            running.append((proc, log))
            servers[name] = port
        for name, port in servers.items():
            run_checks(name, port, sa, sb, bind)
        refused_with_active_checks(binary, tmp, ports.free_port())
    finally:
        for proc, log in running:
            stop(proc, log)
        for u in (sa, sb):
            u.close()
        bind.stop()
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        for name in ("caddy", "gatehouse"):
            p = os.path.join(tmp, name + ".log")
            if os.path.exists(p):
                print("--- %s log (tail)\n%s" % (name, open(p).read()[-2000:]))
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
