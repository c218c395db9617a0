#!/usr/bin/env python3
"""Engine benchmark rows over TLS and for idle connections (a script, not a test): Gatehouse
beside nginx, HAProxy, h2o and Caddy, each as one process with one worker pinned to core 0,
the client pinned to core 1, in one run. Server CPU comes from /proc/PID/stat (utime+stime)
before and after, which is steadier than rates on a shared 2-core machine.

usage: bench/tls_bench.py [--gatehouse build/gatehouse] [--scenarios handshake,h2,idle,idle_tls]
                          [--servers gatehouse,nginx,haproxy,h2o,caddy] [--duration 5]
                          [--requests 100000] [--idle 10000]
scenarios:
  handshake  new TLS 1.3 connections (`openssl s_time -new`, ECDSA P-256 certificate, no
             resumption): server CPU per handshake
  h2         HTTP/2 over TLS, 100 B responses (`h2load -c 16 -m 10`): req/s, CPU per request
  h1tls      HTTP/1.1 keep-alive over TLS 1.3, 100 B responses (`h2load --h1 -c 16`): the same
  idle       RSS per idle keep-alive HTTP/1.1 connection (each served one request first)
  idle_tls   the same over TLS 1.3
  idle_h2    the same over HTTP/2 (TLS 1.3, ALPN h2; each connection served one request first)
"""
import argparse
import os
import re
import resource
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import http_bench  # noqa: E402
import servers  # noqa: E402

BODY = servers.BODY_100.rstrip("\n")


def ensure_deps():
    """The bench peers are an optional group of scripts/install-deps.sh; tests never need them."""
    script = os.path.join(here, "..", "scripts", "install-deps.sh")
    if os.geteuid() == 0 and os.path.exists(script):
        subprocess.run(["bash", script, "--bench"], check=False)


def make_cert(workdir):
    """A self-signed ECDSA P-256 certificate for 127.0.0.1 / localhost (Caddy's default key type)."""
    crt, key = os.path.join(workdir, "cert.pem"), os.path.join(workdir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    with open(os.path.join(workdir, "combined.pem"), "w") as f:
        f.write(open(crt).read() + open(key).read())
    return crt, key


def gatehouse_conf(binary, name, tls, port, wd, crt, key):
    site = ("https://127.0.0.1:%d {\n\ttls %s %s\n" % (port, crt, key) if tls else ":%d {\n" % port)
    path = os.path.join(wd, "Caddyfile")
    with open(path, "w") as f:
        f.write("{\n\tadmin off\n\tauto_https disable_redirects\n}\n%s\trespond \"%s\"\n}\n" % (site, BODY))
    if name == "caddy":
        return ["caddy", "run", "--config", path, "--adapter", "caddyfile"]
    return [binary, "run", "--config", path, "--workers", "1"]


def nginx_conf(tls, port, wd, crt, key):
    listen = "listen 127.0.0.1:%d ssl http2; ssl_certificate %s; ssl_certificate_key %s; " \
             "ssl_protocols TLSv1.2 TLSv1.3; ssl_session_tickets off;" % (port, crt, key) if tls \
        else "listen 127.0.0.1:%d;" % port
    conf = """
daemon off; master_process off; worker_processes 1; pid %(w)s/nginx.pid; error_log %(w)s/error.log;
worker_rlimit_nofile 70000;
events { worker_connections 65000; }
http {
  access_log off; keepalive_requests 100000000; keepalive_timeout 300s; http2_max_requests 100000000;
  client_body_temp_path %(w)s; proxy_temp_path %(w)s; fastcgi_temp_path %(w)s;
  uwsgi_temp_path %(w)s; scgi_temp_path %(w)s;
  server { %(listen)s location / { default_type text/plain; return 200 "%(body)s\\n"; } }
}
""" % {"w": wd, "listen": listen, "body": BODY}
    path = os.path.join(wd, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    return ["nginx", "-c", path, "-e", os.path.join(wd, "error.log")]


def haproxy_conf(tls, port, wd, crt, key):
    bind = "bind 127.0.0.1:%d ssl crt %s/combined.pem alpn h2,http/1.1" % (port, wd) if tls \
        else "bind 127.0.0.1:%d" % port
    conf = """
global
  nbthread 1
  maxconn 9900
  tune.ssl.cachesize 0
defaults
  mode http
  timeout client 300s
  timeout server 300s
  timeout connect 5s
  option http-keep-alive
frontend f
  %s
  http-request return status 200 content-type text/plain string "%s\\n"
""" % (bind, BODY)
    path = os.path.join(wd, "haproxy.cfg")
    with open(path, "w") as f:
        f.write(conf)
    return ["haproxy", "-db", "-f", path]


def h2o_conf(tls, port, wd, crt, key, root):
    ssl_block = "\n  ssl:\n    certificate-file: %s\n    key-file: %s" % (crt, key) if tls else ""
    conf = """num-threads: 1
max-connections: 70000
access-log: /dev/null
error-log: %s/h2o-error.log
user: root
ssl-session-resumption:
  mode: off
listen:
  host: 127.0.0.1
  port: %d%s
hosts:
  default:
    paths:
      /:
        file.file: %s/small.txt
""" % (wd, port, ssl_block, root)
    path = os.path.join(wd, "h2o.conf")
    with open(path, "w") as f:
        f.write(conf)
    return ["h2o", "-c", path]


class Srv:
    def __init__(self, name, binary):
        self.name, self.binary = name, binary

    def env(self):
        return servers.Caddy().env() if self.name == "caddy" else dict(os.environ)

    def available(self):
        import shutil
        return shutil.which(self.binary) is not None or os.path.exists(self.binary)

    def argv(self, tls, port, wd, crt, key, root):
        if self.name in ("gatehouse", "caddy"):
            return gatehouse_conf(self.binary, self.name, tls, port, wd, crt, key)
        if self.name == "nginx":
            return nginx_conf(tls, port, wd, crt, key)
        if self.name == "haproxy":
            return haproxy_conf(tls, port, wd, crt, key)
        return h2o_conf(tls, port, wd, crt, key, root)


def handshakes(pid, port, duration):
    c0 = http_bench.cpu_seconds(pid)
    out = subprocess.run(["taskset", "-c", "1", "openssl", "s_time", "-connect", "127.0.0.1:%d" % port, "-new",
                          "-tls1_3", "-time", str(duration)], capture_output=True, text=True,
                         timeout=duration + 30).stdout
    c1 = http_bench.cpu_seconds(pid)
    m = re.search(r"(\d+) connections in ([\d.]+)s", out)
    if not m or int(m.group(1)) == 0:
        return {"error": "s_time: " + out[-300:]}
    n = int(m.group(1))
    return {"conns": n, "per_s": n / float(m.group(2)), "us": (c1 - c0) * 1e6 / n}


def h2(pid, port, requests, h1=False):
    url = "https://127.0.0.1:%d/" % port
    shape = ["--h1", "-c", "16"] if h1 else ["-c", "16", "-m", "10"]
    subprocess.run(["taskset", "-c", "1", "h2load", "-n", "2000"] + shape + [url],
                   capture_output=True, timeout=60)  # warm-up
    c0 = http_bench.cpu_seconds(pid)
    out = subprocess.run(["taskset", "-c", "1", "h2load", "-n", str(requests)] + shape + [url],
                         capture_output=True, text=True, timeout=300).stdout
    c1 = http_bench.cpu_seconds(pid)
    rps = re.search(r"finished in [^,]*, ([\d.]+) req/s", out)
    ok = re.search(r"status codes: (\d+) 2xx", out)
    proto = re.search(r"Application protocol: (\S+)", out)
    if not rps or not ok or int(ok.group(1)) != requests:
        return {"error": "h2load: " + out[-400:]}
    return {"rps": float(rps.group(1)), "us": (c1 - c0) * 1e6 / requests, "proto": proto.group(1) if proto else "?"}


H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def h2_frame(ftype, flags, stream, payload):
    return len(payload).to_bytes(3, "big") + bytes([ftype, flags]) + stream.to_bytes(4, "big") + payload


def h2_request():
    """Preface, empty SETTINGS and `GET /` on stream 1 (HPACK: static :method GET, :scheme https,
    :path /, then :authority as a literal with indexed name)."""
    host = b"127.0.0.1"
    block = b"\x82\x87\x84\x41" + bytes([len(host)]) + host
    return H2_PREFACE + h2_frame(4, 0, 0, b"") + h2_frame(1, 0x05, 1, block)


def h2_read_response(s):
    """Reads frames until stream 1 ends (END_STREAM), acknowledging the server's SETTINGS."""
    buf = b""
    while True:
        while len(buf) >= 9:
            n = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + n:
                break
            ftype, flags, stream = buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7fffffff
            buf = buf[9 + n:]
            if ftype == 4 and not flags & 1:
                s.sendall(h2_frame(4, 1, 0, b""))
            if stream == 1 and ftype in (0, 1) and flags & 1:
                return
        chunk = s.recv(16384)
        if not chunk:
            raise OSError("h2: connection closed before the response ended")
        buf += chunk


def idle(pid, port, count, tls, h2=False):
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    want = count + 1000 if hard == resource.RLIM_INFINITY else min(count + 1000, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.set_alpn_protocols(["h2" if h2 else "http/1.1"])
    before = http_bench.rss_kib(pid)
    socks = []
    req = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    deadline = time.time() + 300
    try:
        for _ in range(count):
            if time.time() > deadline:
                break  # bounded in time: the figure is over the connections made (printed)
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            if tls:
                s = ctx.wrap_socket(s, server_hostname="localhost")
            if h2:
                if s.selected_alpn_protocol() != "h2":
                    return {"error": "no h2 (ALPN %r)" % s.selected_alpn_protocol()}
                s.sendall(h2_request())
                h2_read_response(s)
            else:
                s.sendall(req)
                s.recv(4096)
            socks.append(s)
        time.sleep(1.0)
        after = http_bench.rss_kib(pid)
    finally:
        for s in socks:
            s.close()
    if not socks:
        return {"error": "no connection made"}
    return {"kib": (after - before) / len(socks), "before": before, "after": after, "conns": len(socks)}


def run(srv, scenario, args, root, crt, key):
    tls = scenario != "idle"
    with tempfile.TemporaryDirectory(prefix="tlsbench-%s-" % srv.name) as wd:
        with open(os.path.join(wd, "combined.pem"), "w") as f:
            f.write(open(crt).read() + open(key).read())
        port = http_bench.free_port()
        proc = servers.start(srv, srv.argv(tls, port, wd, crt, key, root), 0, wd)
        try:
            if not http_bench.wait_port(port, proc):
                return {"error": "did not start: " + open(os.path.join(wd, srv.name + ".log")).read()[-300:]}
            if scenario == "handshake":
                return handshakes(proc.pid, port, args.duration)
            if scenario in ("h2", "h1tls"):
                return h2(proc.pid, port, args.requests, scenario == "h1tls")
            return idle(proc.pid, port, args.idle, tls, scenario == "idle_h2")
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def report(scenario, results):
    print("\n## %s" % scenario)
    for name, r in results.items():
        if "error" in r:
            print("  %-10s ERROR %s" % (name, r["error"]))
        elif scenario == "handshake":
            print("  %-10s %8.1f us CPU/handshake  (%d handshakes, %.0f/s)" % (name, r["us"], r["conns"], r["per_s"]))
        elif scenario in ("h2", "h1tls"):
            print("  %-10s %10.0f req/s %8.1f us CPU/req  (%s)" % (name, r["rps"], r["us"], r["proto"]))
        else:
            print("  %-10s %8.2f KiB/conn (RSS %d -> %d KiB, %d connections)" % (name, r["kib"], r["before"],
                                                                             r["after"], r["conns"]))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gatehouse", default=os.path.join(here, "..", "build", "gatehouse"))
    ap.add_argument("--scenarios", default="handshake,h2,idle,idle_tls")
    ap.add_argument("--servers", default="gatehouse,nginx,haproxy,h2o,caddy")
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--requests", type=int, default=100000)
    ap.add_argument("--idle", type=int, default=10000)
    args = ap.parse_args()
    ensure_deps()
    binaries = {"gatehouse": os.path.abspath(args.gatehouse), "nginx": "nginx", "haproxy": "haproxy",
                "h2o": "h2o", "caddy": "caddy"}
    chosen = [Srv(n, binaries[n]) for n in args.servers.split(",") if Srv(n, binaries[n]).available()]
    print("# load: %s" % subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    with tempfile.TemporaryDirectory(prefix="tlsbench-site-") as root:
        servers.write_site(root)
        crt, key = make_cert(root)
        for scenario in args.scenarios.split(","):
            report(scenario, {s.name: run(s, scenario, args, root, crt, key) for s in chosen})


if __name__ == "__main__":
    main()
