#!/usr/bin/env python3
"""End-to-end: access logs from the `log` directive through the real binary: JSON entries in
Caddy's shape written to a file by the log thread, field filters (delete, ip_mask, query),
credentials redacted, console format on stdout, skip_log, a rolled file when roll_size is
reached, and HTTP/2 (h2c) logged as "HTTP/2.0".
Usage: log_access_test.py <path-to-gatehouse>
"""
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
from handlers_support import Server, adapt, check, finish  # noqa: E402


def read_entries(path, want, timeout=10):
    """The log thread writes asynchronously: wait (bounded) for `want` lines."""
    deadline = time.time() + timeout
    lines = []
    while time.time() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                # Only whole lines: a reader can see a long entry half written.
                lines = [line for line in f if line.endswith("\n") and line.strip()]
            if len(lines) >= want:
                break
        time.sleep(0.05)
    return [json.loads(line) for line in lines]


def json_file_log(binary, tmp):
    log_path = os.path.join(tmp, "logs", "access.log")
    caddyfile = """
:80 {
	log {
		output file %s
		format filter {
			wrap json
			fields {
				request>headers>X-Secret delete
				request>remote_ip ip_mask {
					ipv4 16
					ipv6 32
				}
				request>uri query {
					replace token REDACTED
				}
			}
		}
	}
	respond /fail 503
	respond "hello"
}
""" % log_path
    srv = Server(binary, adapt(binary, caddyfile, tmp))
    try:
        srv.request("/a?token=s3cret&x=1", headers={"X-Secret": "hide me", "Authorization": "Basic eDp5",
                                                    "Cookie": "sid=1", "User-Agent": "e2e"})
        srv.request("/fail", method="POST", body="12345")
        entries = read_entries(log_path, 2)
    finally:
        srv.stop()
    check(len(entries) == 2, "two access entries: %r" % entries)
    if len(entries) < 2:
        return
    e = entries[0]
    check(list(e.keys())[:4] == ["level", "ts", "logger", "msg"], "zap's leading keys: %r" % list(e.keys()))
    check(e["level"] == "info" and e["logger"] == "http.log.access.log0" and e["msg"] == "handled request",
          "level/logger/msg: %r" % e)
    check(isinstance(e["ts"], float) and abs(e["ts"] - time.time()) < 120, "ts is epoch seconds: %r" % e["ts"])
    req = e["request"]
    check(req["remote_ip"] == "127.0.0.0", "ip_mask 16: %r" % req["remote_ip"])
    check(req["uri"] == "/a?token=REDACTED&x=1", "query filter: %r" % req["uri"])
    check("X-Secret" not in req["headers"], "delete filter")
    check(req["headers"].get("Authorization") == [] and req["headers"].get("Cookie") == [],
          "credentials redacted: %r" % req["headers"])
    check(req["headers"].get("User-Agent") == ["e2e"], "other headers kept")
    check(req["proto"] == "HTTP/1.1" and req["method"] == "GET" and req["host"] == "example.test", "request facts")
    check(isinstance(req["remote_port"], str), "remote_port is a string, as Caddy")
    check(e["status"] == 200 and e["size"] == 5 and e["user_id"] == "", "status/size/user_id: %r" % e)
    check(isinstance(e["duration"], float) and 0 <= e["duration"] < 5, "duration in seconds")
    check(e["resp_headers"].get("Content-Type") == ["text/plain; charset=utf-8"], "resp_headers: %r" % e)
    f = entries[1]
    check(f["level"] == "error" and f["status"] == 503, "5xx logs at error level: %r" % f)
    mode = os.stat(log_path).st_mode & 0o777
    check(mode & 0o077 == 0, "rolling log file is owner-only: %o" % mode)


def console_stdout_and_skip(binary, tmp):
    caddyfile = """
:80 {
	log {
		output stdout
		format console
	}
	skip_log /health
	respond "ok"
}
"""
    out_path = os.path.join(tmp, "stdout.txt")
    with open(out_path, "w") as out:
        srv = Server(binary, adapt(binary, caddyfile, tmp), stdout=out)
        try:
            srv.request("/health")
            srv.request("/page")
            time.sleep(0.3)
        finally:
            srv.stop()
    with open(out_path) as f:
        lines = [line for line in f if line.strip()]
    check(len(lines) == 1, "one console line (skip_log /health): %r" % lines)
    if lines:
        parts = lines[0].rstrip("\n").split("\t")
        # Caddy's console defaults: wall_milli time, coloured upper-case level.
        check(len(parts) == 5 and parts[1] == "\x1b[34mINFO\x1b[0m" and parts[2] == "http.log.access.log0" and
              parts[3] == "handled request", "console layout: %r" % parts)
        check(json.loads(parts[4])["request"]["uri"] == "/page", "console fields are JSON")


def rolling(binary, tmp):
    log_path = os.path.join(tmp, "roll", "access.log")
    caddyfile = """
:80 {
	log {
		output file %s {
			roll_size 1MiB
			roll_keep 2
		}
	}
	respond "ok"
}
""" % log_path
    srv = Server(binary, adapt(binary, caddyfile, tmp))
    try:
        big = {"X-Padding": "p" * 6000}
        for i in range(200):  # ~1.3 MB of entries: at least one roll
            srv.request("/r%d" % i, headers=big)
        read_entries(log_path, 1)
        deadline = time.time() + 10
        rolled = []
        while time.time() < deadline and not rolled:
            rolled = [n for n in os.listdir(os.path.dirname(log_path)) if n.endswith(".log.gz")]
            time.sleep(0.05)
    finally:
        srv.stop()
    check(len(rolled) >= 1, "a rolled, gzipped file: %r" % os.listdir(os.path.dirname(log_path)))
    if rolled:
        with gzip.open(os.path.join(os.path.dirname(log_path), rolled[0]), "rt") as f:
            first = json.loads(f.readline())
        check(first["request"]["uri"] == "/r0", "the rolled file starts with the first entry")


def h2c_proto(binary, tmp):
    """An HTTP/2 request is logged with Go's r.Proto, "HTTP/2.0" (h2c prior knowledge)."""
    log_path = os.path.join(tmp, "h2.log")
    caddyfile = """
{
	servers {
		protocols h1 h2c
	}
}
:80 {
	log {
		output file %s
	}
	respond "hi"
}
""" % log_path
    srv = Server(binary, adapt(binary, caddyfile, tmp))
    try:
        out = subprocess.run(["curl", "-s", "--http2-prior-knowledge", "-H", "Host: example.test",
                              "http://%s:%d/h2" % srv.addr], capture_output=True, text=True, timeout=20)
        entries = read_entries(log_path, 1)
    finally:
        srv.stop()
    check(out.stdout == "hi", "h2c answer: %r" % out.stdout)
    check(len(entries) == 1 and entries[0]["request"]["proto"] == "HTTP/2.0" and
          "tls" not in entries[0]["request"], "HTTP/2 logged as HTTP/2.0, no tls object: %r" % entries)


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "a"))
        json_file_log(binary, os.path.join(tmp, "a"))
        os.makedirs(os.path.join(tmp, "b"))
        console_stdout_and_skip(binary, os.path.join(tmp, "b"))
        os.makedirs(os.path.join(tmp, "c"))
        rolling(binary, os.path.join(tmp, "c"))
        os.makedirs(os.path.join(tmp, "d"))
        h2c_proto(binary, os.path.join(tmp, "d"))
    return finish()


if __name__ == "__main__":
    sys.exit(main())
