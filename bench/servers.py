"""Server definitions for the benchmark suite: how to configure and start Gatehouse, nginx,
HAProxy, h2o and Caddy for one scenario, on one loopback port, as one process with one
worker thread, so that the CPU each one burns per request can be compared.

Every server gets the same content: a 100-byte body, a 1 MiB file and a 1 MiB JSON file.
A server that cannot express a scenario returns None for it and is left out of that row.

Proxy anchors forward what Gatehouse (as Caddy) adds to every upstream request:
X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host, so that proxy and backend do the
same work per request (like-for-like). `anchor(name)` also knows `nginx_bare`,
`haproxy_bare` and `h2o_bare`: the same anchors forwarding none of them (the rows measured
before session 10), kept for comparison.
"""
import os
import shutil
import subprocess

BODY_100 = "x" * 99 + "\n"


def proxy_family(scenario):
    """proxy1m (1 MiB through the proxy) and proxy_ws (WebSockets) use the plain proxy config;
    proxy_gzip adds gzip on the way out (text/event-stream included)."""
    return "proxy" if scenario in ("proxy1m", "proxy_ws") else scenario


def write_site(root):
    """The shared document root: 100 B body, 1 MiB file, 1 MiB of compressible JSON."""
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "small.txt"), "w") as f:
        f.write(BODY_100)
    with open(os.path.join(root, "1m.bin"), "wb") as f:
        f.write(os.urandom(1 << 20))
    rows = []
    i = 0
    while sum(len(r) for r in rows) < (1 << 20):
        rows.append('{"id":%d,"name":"user%d","email":"user%d@example.com","active":%s,"score":%d}' %
                    (i, i, i, "true" if i % 3 else "false", (i * 7919) % 1000))
        i += 1
    with open(os.path.join(root, "1m.json"), "w") as f:
        f.write("[" + ",\n".join(rows) + "]\n")


class Server:
    name = ""
    binary = ""
    forwarded = True  # proxy scenarios add X-Forwarded-For/-Proto/-Host as Caddy does

    def bare(self):
        """This anchor without the forwarded headers, named NAME_bare."""
        self.forwarded = False
        self.name += "_bare"
        return self

    def available(self):
        return shutil.which(self.binary) is not None

    def config(self, scenario, port, root, workdir, backend_port=None):
        """Writes the config; returns the argv to start it, or None if unsupported."""
        raise NotImplementedError

    def env(self):
        return dict(os.environ)


class Gatehouse(Server):
    name = "gatehouse"

    def __init__(self, binary):
        self.binary = binary

    def config(self, scenario, port, root, workdir, backend_port=None):
        site = {
            "respond": 'respond "%s"' % BODY_100.rstrip("\n"),
            "file1m": "root * %s\n\tfile_server" % root,
            "zstd": "root * %s\n\tencode zstd\n\tfile_server" % root,
            "gzip": "root * %s\n\tencode gzip\n\tfile_server" % root,
            "proxy": "reverse_proxy 127.0.0.1:%s" % backend_port,
            "proxy_gzip": "encode gzip\n\treverse_proxy 127.0.0.1:%s" % backend_port,
        }.get(proxy_family(scenario))
        if site is None:
            return None
        path = os.path.join(workdir, "Caddyfile")
        with open(path, "w") as f:
            f.write("{\n\tadmin off\n\tauto_https off\n}\n:%d {\n\t%s\n}\n" % (port, site))
        return [self.binary, "run", "--config", path, "--workers", "1"]


class Caddy(Gatehouse):
    name = "caddy"

    def __init__(self):
        self.binary = "caddy"

    def config(self, scenario, port, root, workdir, backend_port=None):
        argv = super().config(scenario, port, root, workdir, backend_port)
        if argv is None:
            return None
        return ["caddy", "run", "--config", argv[3], "--adapter", "caddyfile"]

    def env(self):
        e = dict(os.environ)
        e["GOMAXPROCS"] = "1"
        e["HOME"] = e.get("BENCH_CADDY_HOME", "/tmp/gatehouse-bench-caddy-home")
        return e


# nginx's proxy_set_header in a location replaces every inherited one, so these sit beside the
# scenario's own (Connection, Upgrade) in the same location. $http_host, not $host: Caddy
# forwards the client's Host, port included, in both Host and X-Forwarded-Host (nginx's
# default Host is the upstream block's name). What gatehouse still sends on top is
# Go's "Accept-Encoding: gzip" (23 bytes; nginx could not decode a gzip answer).
NGINX_FORWARDED = ("proxy_set_header Host $http_host; "
                   "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; "
                   "proxy_set_header X-Forwarded-Proto $scheme; proxy_set_header X-Forwarded-Host $http_host;")


class Nginx(Server):
    name = "nginx"
    binary = "nginx"

    def config(self, scenario, port, root, workdir, backend_port=None):
        loc = {
            "respond": 'location / { default_type text/plain; return 200 "%s\\n"; }' % BODY_100.rstrip("\n"),
            "file1m": "location / { root %s; }" % root,
            "gzip": "location / { root %s; gzip on; gzip_types application/json; gzip_min_length 512; }" % root,
            "proxy": "location / { proxy_pass http://backend; proxy_http_version 1.1; "
                     "proxy_set_header Connection \"\"; proxy_buffering off; }",
            "proxy_gzip": "location / { proxy_pass http://backend; proxy_http_version 1.1; "
                          "proxy_set_header Connection \"\"; proxy_buffering off; "
                          "gzip on; gzip_types text/event-stream; gzip_min_length 0; }",
            "proxy_ws": "location / { proxy_pass http://backend; proxy_http_version 1.1; "
                        "proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $conn_upgrade; "
                        "proxy_buffering off; proxy_read_timeout 300s; }",
        }.get(scenario if scenario == "proxy_ws" else proxy_family(scenario))
        if loc is None:
            return None
        if self.forwarded and scenario.startswith("proxy"):
            loc = loc.replace("proxy_pass http://backend;", "proxy_pass http://backend; " + NGINX_FORWARDED)
        upstream = ""
        if scenario.startswith("proxy"):
            upstream = "upstream backend { server 127.0.0.1:%d; keepalive 64; }" % backend_port
            upstream += " map $http_upgrade $conn_upgrade { default upgrade; '' ''; }"
        conf = """
daemon off; master_process off; worker_processes 1; pid %(w)s/nginx.pid; error_log %(w)s/error.log;
worker_rlimit_nofile 70000;
events { worker_connections 65000; }
http {
  access_log off; keepalive_requests 100000000; keepalive_timeout 300s;
  client_body_temp_path %(w)s; proxy_temp_path %(w)s; fastcgi_temp_path %(w)s;
  uwsgi_temp_path %(w)s; scgi_temp_path %(w)s;
  include /etc/nginx/mime.types; sendfile on; tcp_nopush on;
  %(upstream)s
  server { listen 127.0.0.1:%(port)d; %(loc)s }
}
""" % {"w": workdir, "port": port, "loc": loc, "upstream": upstream}
        path = os.path.join(workdir, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        return ["nginx", "-c", path, "-e", os.path.join(workdir, "error.log")]


class Haproxy(Server):
    name = "haproxy"
    binary = "haproxy"

    def config(self, scenario, port, root, workdir, backend_port=None):
        if scenario == "respond":
            tail = 'http-request return status 200 content-type text/plain string "%s\\n"' % BODY_100.rstrip("\n")
        elif scenario.startswith("proxy"):
            tail = "default_backend b\nbackend b\n  http-reuse always\n  timeout tunnel 300s\n"
            if self.forwarded:
                tail += ("  option forwardfor\n  http-request set-header X-Forwarded-Proto http\n"
                         "  http-request set-header X-Forwarded-Host %[req.hdr(host)]\n")
            if scenario == "proxy_gzip":
                tail += "  compression algo gzip\n  compression type text/event-stream\n"
            tail += "  server s1 127.0.0.1:%d" % backend_port
        else:
            return None
        conf = """
global
  nbthread 1
  maxconn 9900
defaults
  mode http
  timeout client 300s
  timeout server 300s
  timeout connect 5s
  option http-keep-alive
  option http-no-delay
frontend f
  bind 127.0.0.1:%d
  %s
""" % (port, tail)
        path = os.path.join(workdir, "haproxy.cfg")
        with open(path, "w") as f:
            f.write(conf)
        return ["haproxy", "-db", "-f", path]


class H2o(Server):
    name = "h2o"
    binary = "h2o"

    def config(self, scenario, port, root, workdir, backend_port=None):
        if scenario == "respond":
            # h2o 2.2 has no inline response; it serves the same 100 B body from a file.
            paths = "/:\n        file.file: %s/small.txt" % root
        elif scenario == "file1m":
            paths = "/:\n        file.dir: %s" % root
        elif scenario.startswith("proxy"):
            paths = "/:\n        proxy.reverse.url: http://127.0.0.1:%d/" % backend_port
            # h2o 2.2 sends X-Forwarded-For/-Proto (and Via) by default and cannot take a header
            # value from the request: X-Forwarded-Host is the one Host this benchmark sends.
            if self.forwarded:
                paths += '\n        proxy.header.set: "X-Forwarded-Host: 127.0.0.1:%d"' % port
            if scenario == "proxy_ws":
                paths += "\n        proxy.websocket: ON\n        proxy.websocket.timeout: 300000"
            if scenario == "proxy_gzip":
                paths += "\n        compress: [gzip]"
        else:
            return None
        conf = """num-threads: 1
max-connections: 70000
proxy.emit-via-header: OFF
proxy.emit-x-forwarded-headers: %s
access-log: /dev/null
error-log: %s/h2o-error.log
user: root
listen:
  host: 127.0.0.1
  port: %d
hosts:
  default:
    paths:
      %s
""" % ("ON" if self.forwarded else "OFF", workdir, port, paths)
        path = os.path.join(workdir, "h2o.conf")
        with open(path, "w") as f:
            f.write(conf)
        return ["h2o", "-c", path]


def anchor(name, gatehouse_binary=None):
    """The server called `name`: gatehouse, caddy, nginx, haproxy, h2o, or an anchor's
    NAME_bare variant (proxy scenarios without the X-Forwarded-* headers)."""
    base = name[:-len("_bare")] if name.endswith("_bare") else name
    srv = {"gatehouse": lambda: Gatehouse(gatehouse_binary), "caddy": Caddy, "nginx": Nginx, "haproxy": Haproxy,
           "h2o": H2o}[base]()
    return srv.bare() if name.endswith("_bare") and base not in ("gatehouse", "caddy") else srv


def start(server, argv, core, workdir):
    """Starts a server pinned to `core` with a high descriptor limit."""
    def prep():
        import resource
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        want = 70000 if hard == resource.RLIM_INFINITY else min(70000, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
    log = open(os.path.join(workdir, server.name + ".log"), "w")
    return subprocess.Popen(["taskset", "-c", str(core)] + argv, stdout=log, stderr=subprocess.STDOUT,
                            env=server.env(), preexec_fn=prep)
