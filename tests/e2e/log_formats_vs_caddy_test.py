#!/usr/bin/env python3
"""Differential: access-log lines from the `log` directive's encoders and writers, written by
Debian's caddy 2.6.2 and by gatehouse for the same Caddyfile and the same request: keys and
their order, value types, level/logger/message texts, the shape of time and duration values
(digits normalized), console layout and spacing, line endings; `output net` to a TCP and a
UDP listener.
Known differences (gatehouse follows newer Caddy): the access log's `request>client_ip` and
`bytes_read` fields, absent from 2.6.2, are removed before comparing.
Usage: log_formats_vs_caddy_test.py <path-to-gatehouse>   (exit 77 when caddy is missing)
"""
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
from harness import check, finish, free_port, wait_port  # noqa: E402

# Encoder blocks (";" is a new line), each served by its own site with its own log file.
VARIANTS = [
    "json",
    "json {;time_format iso8601;time_key t;message_key m;level_key lvl;name_key n;level_format upper;"
    "duration_format string;}",
    "json {;time_format unix_milli_float;duration_format nano;}",
    "json {;time_format unix_nano;level_format color;}",
    "json {;time_format wall_nano;}",
    "json {;time_format common_log;time_local;}",
    'json {;time_format "Mon Jan _2 15:04:05.000000 MST 2006 pm 3 .999";}',
    "json {;time_format rfc3339_nano;duration_format ms;level_format nope;}",
    'json {;time_key "";level_key "";message_key "";name_key "";line_ending "|";}',
    "console",
    "console {;time_format rfc3339;level_format lower;duration_format string;}",
    "console {;time_format unix_seconds_float;level_format upper;}",
    'console {;time_key "";level_key "";message_key "";name_key "";}',
    "filter {;wrap console {;time_format wall;};fields {;request>headers>User-Agent delete;"
    "request>remote_ip ip_mask 16 32;};}",
]
NEWER_FIELDS = [("request", "client_ip"), ("bytes_read",)]


def caddyfile(ports, logdir, net_tcp, net_udp):
    out = ["{\n\tadmin off\n\tauto_https off\n\tdefault_bind 127.0.0.1\n}"]
    for i, v in enumerate(VARIANTS):
        out.append(":%d {\n\tlog {\n\t\toutput file %s/v%d.log\n\t\tformat %s\n\t}\n\trespond \"hi\"\n}"
                   % (ports[i], logdir, i, v.replace(";", "\n")))
    n = len(VARIANTS)
    out.append(":%d {\n\tlog {\n\t\toutput net 127.0.0.1:%d\n\t}\n\trespond \"net\"\n}" % (ports[n], net_tcp))
    out.append(":%d {\n\tlog {\n\t\toutput net udp/127.0.0.1:%d\n\t\tformat console\n\t}\n\trespond \"udp\"\n}"
               % (ports[n + 1], net_udp))
    return "\n".join(out) + "\n"


class TcpSink:
    """Accepts log connections and keeps what arrives (bounded by the test's lifetime)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.data = b""
        self.stopped = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        conns = []
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
                c.settimeout(0.05)
                conns.append(c)
            except OSError:
                pass
            for c in conns:
                try:
                    self.data += c.recv(65536)
                except OSError:
                    pass
        for c in conns:
            c.close()

    def close(self):
        self.stopped = True
        self.thread.join(5)
        self.sock.close()


class UdpSink:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]

    def datagrams(self, want, timeout=10):
        got = []
        deadline = time.time() + timeout
        while time.time() < deadline and len(got) < want:
            try:
                got.append(self.sock.recv(65536))
            except OSError:
                pass
        return got

def get(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/x?y=1", headers={"Host": "example.test", "User-Agent": "logtest/1", "Cookie": "a=b"})
    c.getresponse().read()
    c.close()


def read_line(path, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            if text:
                return text
        time.sleep(0.05)
    return ""


def strip_newer(obj):
    for keys in NEWER_FIELDS:
        node = obj
        for k in keys[:-1]:
            node = node.get(k, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node.pop(keys[-1], None)
    return obj


def shape(v, key=None):
    """Keys in order and value types, recursively."""
    if isinstance(v, dict):
        # Header maps are Go maps: Caddy writes them in random order.
        items = sorted(v.items()) if key == "headers" else v.items()
        return [(k, shape(x, k)) for k, x in items]
    if isinstance(v, list):
        return [shape(x) for x in v]
    return type(v).__name__


def norm(text):
    """Digits runs become 9, so "2026/11/26 17:28:36.143" and "2026/11/27 09:01:02.5" differ
    only where their layout does; duration units are kept."""
    return re.sub(r"\d+", "9", text)


VALUE_KEYS = {"level", "lvl", "logger", "n", "msg", "m"}
TIME_KEYS = {"ts", "t"}


def compare_json(i, caddy_text, gh_text):
    ending_c = caddy_text[-1:]
    ending_g = gh_text[-1:]
    check(ending_c == ending_g, "v%d line ending %r == %r" % (i, ending_g, ending_c))
    c = strip_newer(json.loads(caddy_text.rstrip("\n|")))
    g = strip_newer(json.loads(gh_text.rstrip("\n|")))
    # Response headers differ by design (Server), compare their presence, not their names.
    c.pop("resp_headers", None)
    g.pop("resp_headers", None)
    same = shape(g) == shape(c)
    check(same, "v%d keys/order/types match caddy: %s" % (i, VARIANTS[i]) +
          ("" if same else "\n  gatehouse %s\n  caddy     %s" % (shape(g), shape(c))))
    for k in VALUE_KEYS:
        if k in c:
            check(g.get(k) == c[k], "v%d %s %r == caddy's %r" % (i, k, g.get(k), c[k]))
    for k in TIME_KEYS:
        if k in c:
            check(norm(str(g.get(k))) == norm(str(c[k])), "v%d time %r shaped as caddy's %r" % (i, g.get(k), c[k]))
    if isinstance(c.get("duration"), str):
        check(re.sub(r"[\d.]+", "N", g["duration"]).replace("ms", "µs") ==
              re.sub(r"[\d.]+", "N", c["duration"]).replace("ms", "µs"),
              "v%d duration %r shaped as caddy's %r" % (i, g["duration"], c["duration"]))


def compare_console(i, caddy_text, gh_text):
    c = caddy_text.rstrip("\n").split("\t")
    g = gh_text.rstrip("\n").split("\t")
    check(len(g) == len(c), "v%d console element count %d == %d" % (i, len(g), len(c)))
    if len(g) != len(c):
        return
    for k in range(len(c) - 1):
        same = norm(g[k]) == norm(c[k])
        check(same, "v%d console element %d %r shaped as caddy's %r" % (i, k, g[k], c[k]))
    cf = strip_newer(json.loads(c[-1]))
    gf = strip_newer(json.loads(g[-1]))
    cf.pop("resp_headers", None)
    gf.pop("resp_headers", None)
    same = shape(gf) == shape(cf)
    check(same, "v%d console fields keys/types match caddy" % i +
          ("" if same else "\n  gatehouse %s\n  caddy     %s" % (shape(gf), shape(cf))))
    # zap's console JSON puts a space after ',' and ':' (Python's default separators; numbers
    # set aside, Python prints small floats in exponent form where zap does not).
    g_raw = json.loads(g[-1])
    numbers = re.compile(r"(?<=: )-?[0-9][0-9.eE+-]*")
    respaced = numbers.sub("N", json.dumps(g_raw, ensure_ascii=False))
    check(respaced == numbers.sub("N", g[-1]), "v%d console fields spaced as zap's: %r" % (i, g[-1]))
    check(not re.search(r"(?<=: )-?[0-9.]+e", g[-1]), "v%d console field numbers in plain decimals" % i)
    if isinstance(cf.get("duration"), str):
        check(re.sub(r"[\d.]+", "N", gf["duration"])[-2:] in ("µs", "ms", "Ns"),
              "v%d console duration string %r" % (i, gf["duration"]))


def run_server(argv, env, ports):
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
    ok = all(wait_port(p, proc) for p in ports)
    return proc, ok


def serve_and_collect(argv, tmp, name):
    """Runs one server on a fresh copy of the Caddyfile; returns ({variant: text}, tcp, udp)."""
    logdir = os.path.join(tmp, name)
    os.makedirs(logdir)
    ports = [free_port() for _ in range(len(VARIANTS) + 2)]
    tcp, udp = TcpSink(), UdpSink()
    path = os.path.join(logdir, "Caddyfile")
    with open(path, "w") as f:
        f.write(caddyfile(ports, logdir, tcp.port, udp.port))
    env = dict(os.environ, HOME=logdir, XDG_DATA_HOME=logdir, XDG_CONFIG_HOME=logdir)
    proc, ok = run_server(argv + ["run", "--config", path, "--adapter", "caddyfile"], env, ports)
    out = {}
    try:
        check(ok, "%s serves every site" % name)
        if not ok:
            return out, b"", []
        for p in ports:
            get(p)
        for i in range(len(VARIANTS)):
            out[i] = read_line(os.path.join(logdir, "v%d.log" % i))
        grams = udp.datagrams(1)
        deadline = time.time() + 10
        while time.time() < deadline and not tcp.data.endswith(b"\n"):
            time.sleep(0.05)
        return out, tcp.data, grams
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        tcp.close()
        udp.sock.close()


def net_dial_failure(binary, caddy, tmp):
    """Nothing listening: caddy 2.6.2 refuses to start; so does gatehouse, naming the address."""
    port = free_port()
    path = os.path.join(tmp, "netfail.Caddyfile")
    with open(path, "w") as f:
        f.write("{\n\tadmin off\n}\n:%d {\n\tlog {\n\t\toutput net 127.0.0.1:%d {\n\t\t\tdial_timeout 2s\n"
                "\t\t}\n\t}\n\trespond hi\n}\n" % (free_port(), port))
    out = subprocess.run([binary, "run", "--config", path, "--adapter", "caddyfile"], capture_output=True,
                         text=True, timeout=30)
    check(out.returncode != 0 and "127.0.0.1:%d" % port in out.stderr,
          "net writer with nothing listening stops start-up: %r" % out.stderr[-300:])
    env = dict(os.environ, HOME=tmp, XDG_DATA_HOME=tmp, XDG_CONFIG_HOME=tmp)
    ref = subprocess.run([caddy, "run", "--config", path, "--adapter", "caddyfile"], capture_output=True,
                         text=True, timeout=30, env=env)
    check(ref.returncode != 0 and "dial tcp" in ref.stderr, "caddy 2.6.2 refuses it too")


def main():
    binary = sys.argv[1]
    caddy = shutil.which("caddy")
    if caddy is None:
        print("caddy not installed: skipped")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        c_logs, c_tcp, c_udp = serve_and_collect([caddy], tmp, "caddy")
        g_logs, g_tcp, g_udp = serve_and_collect([binary], tmp, "gatehouse")
        for i in range(len(VARIANTS)):
            ct, gt = c_logs.get(i, ""), g_logs.get(i, "")
            check(ct != "" and gt != "", "v%d both wrote a line" % i)
            if not ct or not gt:
                continue
            console = VARIANTS[i].startswith("console") or "wrap console" in VARIANTS[i]
            (compare_console if console else compare_json)(i, ct, gt)
        check(g_tcp.count(b"\n") == 1 and c_tcp.count(b"\n") == 1, "net tcp: one line each")
        if g_tcp and c_tcp:
            g = strip_newer(json.loads(g_tcp))
            c = strip_newer(json.loads(c_tcp))
            check([k for k in g] == [k for k in c], "net tcp line keys match caddy's")
        check(len(g_udp) == 1 and len(c_udp) == 1, "net udp: one datagram each")
        if g_udp and c_udp:
            check(g_udp[0].endswith(b"\n") and g_udp[0].count(b"\t") == c_udp[0].count(b"\t"),
                  "net udp datagram is one console line, as caddy's")
        net_dial_failure(binary, caddy, tmp)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
