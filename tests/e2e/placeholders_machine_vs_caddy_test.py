"""Placeholders whose values depend on the clock, the process or chance, against Debian's
caddy 2.6.2: the same Caddyfile served by both; each value must have caddy's shape (a
regular expression per kind replaces it by its kind's name before the two answers are
compared), and the clocks must agree with the test's own within a few seconds.
{time.now.*}, {http.vars.start_time}, {http.request.duration}/_ms, {http.request.uuid},
{http.request.remote}/.port, {system.*}, and {http.error} (its random id) in handle_errors.
Usage: placeholders_machine_vs_caddy_test.py <path-to-gatehouse>
"""
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True
from caddy_peer import CaddyPeer  # noqa: E402
from harness import check, finish, free_port, start, stop  # noqa: E402

CADDYFILE = """{
	admin off
	auto_https off
}
http://127.0.0.1:%(port)d {
	handle /time {
		respond "now=[{time.now}] http=[{time.now.http}] clf=[{time.now.common_log}] year=[{time.now.year}] unix=[{time.now.unix}] ms=[{time.now.unix_ms}] start=[{http.vars.start_time}] vstart=[{vars.start_time}]"
	}
	handle /req {
		respond "d=[{http.request.duration}] dms=[{http.request.duration_ms}] uuid=[{http.request.uuid}] again=[{http.request.uuid}] remote=[{http.request.remote}] rport=[{http.request.remote.port}] rp=[{remote_port}] host=[{system.hostname}] os=[{system.os}] arch=[{system.arch}] slash=[{system.slash}] wd=[{system.wd}]"
	}
	handle /err/* {
		error "boom {path}" 418
	}
	handle /empty/* {
		error 403
	}
	handle /missing/* {
		root * %(root)s
		file_server
	}
	handle /status/* {
		respond "x" {http.request.header.X-Status}
	}
	handle_errors {
		respond "[{http.error}] id=[{http.error.id}]"
	}
}
"""

# Most specific first: each kind's values become its name.
SHAPES = [
    ("GO_TIME", r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})? [+-]\d{4} [A-Za-z0-9+-]+ m=\+\d+\.\d{9}"),
    ("CLF_DATE", r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}"),
    ("UUID", r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
    ("ERROR_ID", r"(?<=id=)[a-z0-9]{9}\b|(?<=id=\[)[a-z0-9]{9}(?=\])"),
    ("GO_DURATION", r"(?<=d=\[)\d+(\.\d+)?(ns|µs|ms|s)(?=\])"),
    ("FLOAT_MS", r"(?<=dms=\[)\d+(\.\d+)?(?=\])"),
    ("UNIX_MS", r"(?<=ms=\[)\d{13}(?=\])"),
    ("UNIX", r"(?<=unix=\[)\d{10}(?=\])"),
    ("PORT", r"(?<=127\.0\.0\.1:)\d+|(?<=rport=\[)\d+(?=\])|(?<=rp=\[)\d+(?=\])"),
]


def get(port, path, headers=None):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def shape(text):
    for name, rx in SHAPES:
        text = re.sub(rx, name, text)
    return text


def field(text, name):
    m = re.search(r"\b%s=\[([^\]]*)\]" % re.escape(name), text)
    return m.group(1) if m else ""


def compare(gport, cport, path, headers=None):
    (gs, ours), (cs, theirs) = get(gport, path, headers), get(cport, path, headers)
    print("  caddy:     %d %s\n  gatehouse: %d %s" % (cs, theirs, gs, ours))
    check(gs == cs and shape(ours) == shape(theirs), "%s: same status and value shapes as caddy" % path)
    return ours, theirs


def main():
    binary = os.path.abspath(sys.argv[1])
    if not shutil.which("caddy"):
        print("SKIP: needs caddy")
        return 77
    tmp = tempfile.mkdtemp(prefix="gh-phmach-")
    try:
        gport, cport = free_port(), free_port()
        cfg = os.path.join(tmp, "Caddyfile")
        with open(cfg, "w") as f:
            f.write(CADDYFILE % {"port": gport, "root": tmp})
        proc, _, drain, _ = start(binary, cfg, adapter="caddyfile", workers=1)
        caddy = CaddyPeer(CADDYFILE % {"port": cport, "root": tmp}, [cport], name="phmach")
        try:
            run_checks(gport, cport)
        finally:
            caddy.stop()
            stop(proc, drain)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


def run_checks(gport, cport):
    ours, theirs = compare(gport, cport, "/time")
    now = time.time()
    for who, text in (("gatehouse", ours), ("caddy", theirs)):
        unix = int(field(text, "unix") or 0)
        ms = int(field(text, "ms") or 0)
        check(abs(unix - now) < 5 and abs(ms / 1000 - now) < 5, "%s: {time.now.unix}/_ms tell the time" % who)
        start_date = field(text, "start")[:19]
        now_date = field(text, "now")[:19]
        check(start_date[:16] == now_date[:16] or abs(unix - now) < 5, "%s: start_time is this request's" % who)
    check(field(ours, "year") == field(theirs, "year"), "{time.now.year} agrees")
    check(field(ours, "start") == field(ours, "vstart"), "{http.vars.start_time} prints one moment each time")
    check(field(ours, "http") == "{time.now.http}", "{time.now.http} stays verbatim (2.6.2 has none)")
    ours, theirs = compare(gport, cport, "/req")
    check(field(ours, "uuid") == field(ours, "again"), "one uuid per request")
    for name in ("host", "os", "arch", "slash", "wd"):
        check(field(ours, name) == field(theirs, name), "{system.%s} is caddy's: %r" % (name, field(ours, name)))
    compare(gport, cport, "/err/x")
    compare(gport, cport, "/empty/x")
    compare(gport, cport, "/missing/x")
    compare(gport, cport, "/status/x", {"X-Status": "abc"})


if __name__ == "__main__":
    sys.exit(main())
