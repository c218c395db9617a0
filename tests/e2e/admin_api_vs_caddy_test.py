#!/usr/bin/env python3
"""Differential: the admin API against Debian's caddy 2.6.2, side by side. Both start from the
same JSON config (their own ports) and get the same sequence of requests: /config/ reads and
changes (GET/POST/PUT/PATCH/DELETE on keys and array indices, "..." expansion, PUT creating
parents), the ETag trailer and If-Match, Cache-Control: must-revalidate, /id/ traversal,
/load (JSON and text/caddyfile with warnings), /adapt, Go's mux answers (301, 404, 405) and
/stop. Status, Content-Type, the Trailer/ETag headers and bodies must match (JSON compared
with each server's ports replaced by names; an error raised by provisioning is compared by
Caddy's prefix, since the module errors are each server's own words). A change must also
be served: the site answers as the new config says.
Usage: admin_api_vs_caddy_test.py <path-to-gatehouse>   (exit 77 when caddy is missing)
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
from harness import check, finish, free_port, wait_port  # noqa: E402

JSON = {"Content-Type": "application/json"}


def fnv1a(data):
    h = 0x811C9DC5
    for c in data:
        h = ((h ^ c) * 0x01000193) & 0xFFFFFFFF
    return "%08x" % h


def http(port, method, path, body=b"", headers=None, timeout=20):
    """One request on its own connection; (status, headers lower-cased, body, trailers)."""
    h = {"Host": "127.0.0.1:%d" % port, "Connection": "close"}
    h.update(headers or {})
    if body or method in ("POST", "PUT", "PATCH"):
        h["Content-Length"] = str(len(body))
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    head = "%s %s HTTP/1.1\r\n" % (method, path) + "".join("%s: %s\r\n" % kv for kv in h.items()) + "\r\n"
    s.sendall(head.encode() + body)
    data = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        d = s.recv(65536)
        if not d:
            break
        data += d
    s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    trailers = {}
    if hdrs.get("transfer-encoding") == "chunked":
        out = b""
        while True:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                for t in rest.decode().split("\r\n"):
                    if t:
                        k, _, v = t.partition(":")
                        trailers[k.strip().lower()] = v.strip()
                break
            out += rest[:size]
            rest = rest[size + 2:]
        rest = out
    if method == "HEAD":
        rest = b""
    return status, hdrs, rest, trailers


class SlowUpstream:
    """An upstream that holds each request until released (a request in flight)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.holding = False
        self.release = threading.Event()
        self.done = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.done:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(10)
            try:
                conn.recv(65536)
                self.holding = True
                self.release.wait(10)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nslow")
            except OSError:
                pass
            finally:
                conn.close()
                self.holding = False
                self.release.clear()

    def close(self):
        self.done = True
        self.thread.join(5)
        self.sock.close()


slow_server = None


def site_body(port, path="/"):
    try:
        return http(port, "GET", path, timeout=15)[2].decode()
    except OSError as e:
        return "error: %s" % e


def config(p):
    return {"admin": {"listen": "127.0.0.1:%d" % p["admin"]}, "apps": {"http": {"servers": {"s": {
        "listen": ["127.0.0.1:%d" % p["site"]],
        "routes": [{"@id": "r1", "match": [{"path": ["/"]}],
                    "handle": [{"handler": "static_response", "body": "x<y"}]},
                   {"match": [{"path": ["/slow"]}],
                    "handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": "127.0.0.1:%d" % p["slow"]}]}]},
                   {"handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": "127.0.0.1:%d" % p["up"]}],
                                "health_checks": {"passive": {"fail_duration": "60s", "max_fails": 5}}}]}]}}},
        "pki": {"certificate_authorities": {"local": {"install_trust": False}}}}}


def caddyfile(p):
    # Unformatted on purpose (a space indent): the adapter warns.
    return "{\n admin 127.0.0.1:%d\n skip_install_trust\n}\n127.0.0.1:%d {\n\trespond \"from caddyfile\"\n}\n" % (p["admin"], p["site"])


def steps(p):
    """(label, method, path, body, headers, check-site) for ports p. A body may be a function
    of the answers so far (If-Match with the ETag a GET returned)."""
    srv = "/config/apps/http/servers/s"
    route = lambda text, rid=None: dict({"handle": [{"handler": "static_response", "body": text}]},
                                        **({"@id": rid} if rid else {}))
    j = lambda v: json.dumps(v).encode()
    extra = "127.0.0.1:%d" % p["extra"]
    return [
        ("get all", "GET", "/config/", b"", {}, None),
        ("upstreams", "GET", "/reverse_proxy/upstreams", b"", {}, None),
        ("upstreams after a failure", "GET", "/reverse_proxy/upstreams", b"", {}, None),
        ("upstreams with a request in flight", "GET", "/reverse_proxy/upstreams", b"", {}, None),
        ("upstreams with post", "POST", "/reverse_proxy/upstreams", b"", {}, None),
        ("pki info", "GET", "/pki/ca/local", b"", {}, None),
        ("pki chain", "GET", "/pki/ca/local/certificates", b"", {}, None),
        ("pki unknown ca", "GET", "/pki/ca/x", b"", {}, None),
        ("pki unknown resource", "GET", "/pki/ca/local/foo", b"", {}, None),
        ("pki no ca", "GET", "/pki/ca/", b"", {}, None),
        ("pki outside ca", "GET", "/pki/x", b"", {}, None),
        ("pki post", "POST", "/pki/ca/local", b"", {}, None),
        ("get route", "GET", srv + "/routes/0", b"", {}, None),
        ("get by id", "GET", "/id/r1", b"", {}, None),
        ("get by id, deeper", "GET", "/id/r1/handle/0/body", b"", {}, None),
        ("get missing key", "GET", srv + "/nokey", b"", {}, None),
        ("get through a missing key", "GET", "/config/apps/nope/x", b"", {}, None),
        ("get bad index", "GET", srv + "/routes/x", b"", {}, None),
        ("get index out of range", "GET", srv + "/routes/7", b"", {}, None),
        ("unknown id", "GET", "/id/zz/handle", b"", {}, None),
        ("missing id", "GET", "/id/", b"", {}, None),
        ("config without slash", "GET", "/config", b"", {}, None),
        ("unknown path", "GET", "/nothing", b"", {}, None),
        ("options", "OPTIONS", "/config/", b"", {}, None),
        ("head", "HEAD", "/config/", b"", {}, None),
        ("post without json", "POST", srv + "/listen", j(extra), {"Content-Type": "text/plain"}, None),
        ("post bad json", "POST", srv + "/listen", b"{bad", JSON, None),
        ("post appends", "POST", srv + "/listen", j(extra), JSON, "extra"),
        ("get appended", "GET", srv + "/listen", b"", {}, None),
        ("put existing key", "PUT", srv + "/listen", b"1", JSON, None),
        ("put inserts at index", "PUT", srv + "/routes/0", j(route("first")), JSON, "site"),
        ("patch missing key", "PATCH", srv + "/nokey", b"1", JSON, None),
        ("patch replaces", "PATCH", srv + "/routes/0", j(route("patched", "p1")), JSON, "site"),
        ("get patched by id", "GET", "/id/p1", b"", {}, None),
        ("delete by id", "DELETE", "/id/p1", b"", {}, "site"),
        ("delete missing key", "DELETE", srv + "/nokey", b"", {}, None),
        ("delete index out of range", "DELETE", srv + "/listen/5", b"", {}, None),
        ("delete index", "DELETE", srv + "/listen/1", b"", {}, None),
        ("ellipsis not an array", "POST", srv + "/listen/...", b"1", JSON, None),
        ("ellipsis appends", "POST", srv + "/routes/...", j([route("a"), route("b")]), JSON, None),
        ("get routes", "GET", srv + "/routes", b"", {}, None),
        ("put creates parents", "PUT", srv + "/routes/0/handle/0/x/y", b"{}", JSON, None),
        ("if-match unquoted", "PATCH", srv + "/routes/0/handle/0/body", b'"m"', dict(JSON, **{"If-Match": "bad"}), None),
        ("if-match one field", "PATCH", srv + "/routes/0/handle/0/body", b'"m"', dict(JSON, **{"If-Match": '"x"'}), None),
        ("if-match stale", "PATCH", srv + "/routes/0/handle/0/body", b'"m"',
         dict(JSON, **{"If-Match": '"%s/routes/0/handle/0/body 00000000"' % srv}), None),
        ("if-match bad path", "PATCH", srv + "/routes/0/handle/0/body", b'"m"',
         dict(JSON, **{"If-Match": '"/config/apps/nope/x 00000000"'}), None),
        ("if-match current", "PATCH", srv + "/routes/0/handle/0/body", b'"matched"',
         dict(JSON, **{"If-Match": '"%s/routes/0/handle/0/body %s"' % (srv, fnv1a(b'"x\\u003cy"\n'))}), "site"),
        ("unchanged", "PATCH", srv + "/routes/0/handle/0/body", b'"matched"', JSON, None),
        ("unchanged, forced", "PATCH", srv + "/routes/0/handle/0/body", b'"matched"',
         dict(JSON, **{"Cache-Control": "must-revalidate"}), "site"),
        ("method not allowed", "TRACE", "/config/", b"", {}, None),
        ("load with get", "GET", "/load", b"", {}, None),
        ("load bad json", "POST", "/load", b"{bad", JSON, None),
        ("load unknown adapter", "POST", "/load", b"x: 1", {"Content-Type": "text/yaml"}, None),
        ("load json", "POST", "/load", j(config(p)), JSON, "site"),
        ("load same json", "POST", "/load", j(config(p)), JSON, None),
        ("load caddyfile", "POST", "/load", caddyfile(p).encode(), {"Content-Type": "text/caddyfile"}, "site"),
        ("get loaded", "GET", "/config/", b"", {}, None),
        ("upstreams none left", "GET", "/reverse_proxy/upstreams", b"", {}, None),
        ("adapt with get", "GET", "/adapt", b"", {}, None),
        ("adapt caddyfile", "POST", "/adapt", caddyfile(p).encode(), {"Content-Type": "text/caddyfile"}, None),
        ("adapt json", "POST", "/adapt", b'{"b":1,"a":"<"}', JSON, None),
        ("adapt no type", "POST", "/adapt", b'{"a":1}', {}, None),
        ("adapt form", "POST", "/adapt", b"a=1", {"Content-Type": "application/x-www-form-urlencoded"}, None),
        ("adapt bad caddyfile", "POST", "/adapt", b"a.test {\n\tnodirective\n}\n", {"Content-Type": "text/caddyfile"}, None),
        ("stop with get", "GET", "/stop", b"", {}, None),
        ("metrics", "GET", "/metrics", b"", {}, None),
    ]


def normalize(text, p):
    for name in ("admin", "site", "extra", "up", "slow"):
        text = text.replace(str(p[name]), name.upper())
    return text.replace("the 'caddy fmt' command", "FMT").replace("'gatehouse fmt --overwrite'", "FMT")


def admin_answers(port, limit=10):
    """True once the admin endpoint answers a request: caddy may accept on its admin port and
    then reset the connection while it puts its admin server in place (seen once in CI). The
    one GET is made on both servers, so the counters compared later stay equal."""
    deadline = time.time() + limit
    while time.time() < deadline:
        try:
            if http(port, "GET", "/config/", timeout=5)[0] == 200:
                return True
        except (OSError, ValueError, IndexError):
            pass
        time.sleep(0.1)
    return False


def wait_upstreams_released(port, limit=5.0):
    """GETs /reverse_proxy/upstreams until it lists none (the old config is released once its
    last exchange is done), for at most `limit` s; the number of GETs, which compare_metrics
    takes out of the admin counters (each server needs its own number)."""
    deadline = time.time() + limit
    polls = 0
    while time.time() < deadline and polls < 250:
        polls += 1
        status, _, body, _ = http(port, "GET", "/reverse_proxy/upstreams", timeout=5)
        if status == 200 and json.loads(body or b"null") in ([], None):
            break
        time.sleep(0.02)
    return polls


def run_all(argv, p, tmp, name):
    home = os.path.join(tmp, name)
    os.makedirs(home, exist_ok=True)
    cfg = os.path.join(home, "config.json")
    with open(cfg, "w") as f:
        json.dump(config(p), f)
    env = dict(os.environ, HOME=home, XDG_DATA_HOME=home, XDG_CONFIG_HOME=home)
    log = open(os.path.join(home, "log"), "w")
    proc = subprocess.Popen(argv + ["run", "--config", cfg], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=env)
    answers = []
    try:
        ok = wait_port(p["site"], proc) and wait_port(p["admin"], proc) and admin_answers(p["admin"])
        check(ok, "%s serves its site and admin endpoint" % name)
        if ok:
            for label, method, path, body, headers, site in steps(p):
                slow = None
                if label == "upstreams after a failure":
                    http(p["site"], "GET", "/fail", timeout=10)  # nothing listens on "up": a failed dial
                if label == "upstreams with a request in flight":
                    slow = threading.Thread(target=site_body, args=(p["site"], "/slow"))
                    slow.start()
                    deadline = time.time() + 5
                    while not slow_server.holding and time.time() < deadline:
                        time.sleep(0.02)
                if label == "upstreams none left":
                    p["upstream polls"] = wait_upstreams_released(p["admin"])
                try:
                    status, hdrs, rbody, trailers = http(p["admin"], method, path, body, headers)
                except ConnectionResetError:
                    # Seen once from caddy (the oracle) in a CI run at -j 6, 0.2 s into the test,
                    # never by hand: asked again once, and a different answer still fails below.
                    if name != "caddy":
                        raise
                    print("note: caddy reset the connection of %r; asking again" % label)
                    time.sleep(0.2)
                    status, hdrs, rbody, trailers = http(p["admin"], method, path, body, headers)
                served = site_body(p[site]) if site else None
                answers.append((status, hdrs, rbody.decode(), trailers, served))
                if slow:
                    slow_server.release.set()
                    slow.join(10)
            status = http(p["admin"], "POST", "/stop")[0]
            try:
                rc = proc.wait(15)
            except subprocess.TimeoutExpired:
                rc = None
            answers.append((status, rc))
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        log.close()
    return answers


def compare_pki(label, c, g):
    if label.startswith("pki info") and c[0] == 200 == g[0]:
        cj, gj = json.loads(c[2]), json.loads(g[2])
        check(list(gj) == list(cj), "%s: fields %s == caddy's %s" % (label, list(gj), list(cj)))
        for k in ("id", "name", "root_common_name", "intermediate_common_name"):
            check(gj.get(k) == cj.get(k), "%s: %s %r == caddy's %r" % (label, k, gj.get(k), cj.get(k)))
        for k in ("root_certificate", "intermediate_certificate"):
            check(gj.get(k, "").count("BEGIN CERTIFICATE") == 1, "%s: %s is one PEM certificate" % (label, k))
        return True
    if label.startswith("pki chain") and c[0] == 200 == g[0]:
        check(g[2].count("BEGIN CERTIFICATE") == c[2].count("BEGIN CERTIFICATE") == 2,
              "%s: intermediate and root, as caddy's" % label)
        return True
    return False


def admin_counters(text, upstream_polls):
    """The caddy_admin_* lines, without the GETs wait_upstreams_released made."""
    out = []
    for line in text.splitlines():
        if not line.startswith("caddy_admin"):
            continue
        if ('method="GET"' in line and 'path="/reverse_proxy/upstreams"' in line and 'code="200"' in line
                and line.startswith("caddy_admin_http_requests_total")):
            name, _, value = line.rpartition(" ")
            line = "%s %d" % (name, int(float(value)) - upstream_polls)
        out.append(line)
    return out


def compare_metrics(label, c, g, pc, pg):
    if not label.startswith("metrics"):
        return False
    families = lambda text: sorted(l.split()[2] for l in text.splitlines()
                                   if l.startswith("# TYPE") and not l.split()[2].startswith(("go_", "promhttp_")))
    check(families(g[2]) == families(c[2]), "%s: families %s == caddy's %s" % (label, families(g[2]), families(c[2])))
    ga, ca = admin_counters(g[2], pg.get("upstream polls", 0)), admin_counters(c[2], pc.get("upstream polls", 0))
    check(ga == ca, "%s: admin counters\n%s\n== caddy's\n%s" % (label, "\n".join(ga), "\n".join(ca)))
    return True


def compare_bodies(label, c, g, pc, pg):
    if compare_pki(label, c, g) or compare_metrics(label, c, g, pc, pg):
        return
    cb, gb = normalize(c[2], pc), normalize(g[2], pg)
    ctype = c[1].get("content-type", "")
    if label.startswith("upstreams") and c[0] == 200 == g[0]:
        key = lambda rows: sorted(rows, key=lambda r: r.get("address", ""))
        cj, gj = key(json.loads(cb)), key(json.loads(gb))
        check(gj == cj, "%s: %s == caddy's %s" % (label, gj, cj))
        return
    if cb and (ctype == "application/json" or cb.startswith("[")):
        try:
            cj, gj = json.loads(cb), json.loads(gb)
        except ValueError:
            check(False, "%s: JSON bodies: caddy %r, gatehouse %r" % (label, cb, gb))
            return
        if isinstance(cj, dict) and "error" in cj and isinstance(gj, dict) and "error" in gj:
            # Provisioning errors are each server's own words after Caddy's prefix.
            for prefix in ("loading config: loading new config: ", "loading new config: ",
                           "loading config: decoding request body: ", "decoding request body: ",
                           "adapting config using caddyfile adapter: "):
                if cj["error"].startswith(prefix):
                    check(gj["error"].startswith(prefix), "%s: error %r starts as caddy's %r" % (label, gj["error"], prefix))
                    return
        check(cj == gj, "%s: body %s == caddy's %s" % (label, gb, cb))
        if label.startswith("get") and c[0] == 200:
            check(gb == cb, "%s: bytes as Go encodes them" % label)
    else:
        check(gb == cb, "%s: body %r == caddy's %r" % (label, gb, cb))


def main():
    gh = os.path.abspath(sys.argv[1])
    caddy = shutil.which("caddy")
    if not caddy:
        print("caddy not installed: skipping")
        return 77
    tmp = tempfile.mkdtemp(prefix="gh-admin-api-")
    try:
        global slow_server
        slow_server = SlowUpstream()
        pc = {k: free_port() for k in ("admin", "site", "extra", "up")}
        pg = {k: free_port() for k in ("admin", "site", "extra", "up")}
        pc["slow"] = pg["slow"] = slow_server.port
        c = run_all([caddy], pc, tmp, "caddy")
        g = run_all([gh], pg, tmp, "gatehouse")
        slow_server.close()
        check(len(c) == len(g) == len(steps(pc)) + 1, "every request answered by both")
        for (label, method, path, *_), ca, ga in zip(steps(pc), c, g):
            what = "%s (%s %s)" % (label, method, path)
            check(ga[0] == ca[0], "%s: status %d == caddy's %d" % (what, ga[0], ca[0]))
            for h in ("content-type", "trailer", "location", "x-content-type-options"):
                check(ga[1].get(h) == ca[1].get(h), "%s: %s %r == caddy's %r" % (what, h, ga[1].get(h), ca[1].get(h)))
            compare_bodies(what, ca, ga, pc, pg)
            check(("etag" in ga[3]) == ("etag" in ca[3]), "%s: ETag trailer present as caddy's" % what)
            if "etag" in ga[3]:
                expect = '"%s %s"' % (path if not path.startswith("/id/") else ca[3]["etag"][1:].split(" ")[0], fnv1a(ga[2].encode()))
                check(ga[3]["etag"] == expect, "%s: ETag %s is the path and FNV-1a of the body (%s)" % (what, ga[3]["etag"], expect))
                if normalize(ga[2], pg) == ga[2]:  # no port in it: the same hash as caddy's
                    check(ga[3]["etag"] == ca[3]["etag"], "%s: ETag %s == caddy's %s" % (what, ga[3]["etag"], ca[3]["etag"]))
            check(normalize(ga[4] or "", pg) == normalize(ca[4] or "", pc),
                  "%s: the site then serves %r as caddy's %r" % (what, ga[4], ca[4]))
        if len(c) == len(g) == len(steps(pc)) + 1:
            check(g[-1] == c[-1] == (200, 0), "POST /stop: 200 and a clean exit: gatehouse %s, caddy %s" % (g[-1], c[-1]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
