#!/usr/bin/env python3
"""Differential: the caddy_http_* families of a site's `metrics` endpoint and of the admin
/metrics, from Debian's caddy 2.6.2 and from gatehouse after the same requests: HELP/TYPE
lines, metric names, label sets (server, handler, code, method), counter and gauge values,
histogram counts and size buckets (a lower-case method is labelled upper-case: "get" as GET,
"patch" as PATCH), and the same scrape asked with Prometheus' Accept header, which caddy
2.6.2 answers in OpenMetrics (counter families without _total, ".0" floats, "# EOF").
As in caddy 2.6.2 only a server's top-level route
handlers are counted (not those inside `handle` subroutes or error routes), an error counts
the request and the error but observes no histogram, and series appear on first use.
caddy_http_response_duration_seconds (time to the head) is observed for every head a
handler wrote (not for the empty 200 of a chain that answered nothing, nor for error
answers): its series and counts are compared.
Normalized: duration buckets and sums (timing), go_*, process_* and promhttp_* families, and
in the admin scrape (taken after the site's /metrics answered) the response size buckets and
sums, since caddy's /metrics body carries Go's own metrics.
Usage: metrics_vs_caddy_test.py <path-to-gatehouse>   (exit 77 when caddy is missing)
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True
from harness import check, finish, free_port, wait_port  # noqa: E402

REQUESTS = [("GET", "/"), ("GET", "/r"), ("GET", "/e"), ("GET", "/nope"), ("GET", "/f/x"),
            ("GET", "/r"), ("POST", "/r"), ("GET", "/abort"), ("GET", "/sub/ok"), ("HEAD", "/"),
            ("GET", "/empty"), ("GET", "/r?again"), ("get", "/r"), ("patch", "/r")]
TIMING = re.compile(r"^caddy_http_(request|response)_duration_seconds_(bucket|sum)")
RESPONSE_SIZES = re.compile(r"^caddy_http_response_size_bytes_(bucket|sum)")


def caddyfile(port, admin, site):
    return """{
	admin 127.0.0.1:%d
	default_bind 127.0.0.1
	auto_https off
	servers {
		metrics
	}
}
:%d {
	root * %s
	metrics /metrics
	handle /f/* {
		file_server
	}
	handle /e {
		error 418
	}
	handle /sub/* {
		header X-Sub yes
		respond "sub"
	}
	handle /empty {
		header X-Empty yes
	}
	abort /abort
	respond /r "x"
	file_server
	handle_errors {
		respond "err {err.status_code}"
	}
}
""" % (admin, port, site)


def request(port, method, path):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method,
                                 data=b"body" if method == "POST" else None,
                                 headers={"User-Agent": "metrics-test"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.read().decode(errors="replace")
    except OSError:
        return ""


PROMETHEUS_ACCEPT = "application/openmetrics-text; version=0.0.1,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"


def scrape(port, accept):
    """(Content-Type, body) of /metrics asked with `accept`."""
    req = urllib.request.Request("http://127.0.0.1:%d/metrics" % port, headers={"Accept": accept})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.headers.get("Content-Type"), r.read().decode(errors="replace")


def families(text, ports, sizes=True):
    out = []
    for line in text.splitlines():
        if not line.strip() or re.search(r"\b(go|process|promhttp)_", line):
            continue
        if not re.search(r"caddy_http_", line):
            continue
        if TIMING.match(line) or (not sizes and RESPONSE_SIZES.match(line)):
            continue
        for p in ports:
            line = line.replace(str(p), "{PORT}")
        out.append(line)
    return out


def serve(argv, name, root):
    d = os.path.join(root, name)
    os.makedirs(os.path.join(d, "site"))
    with open(os.path.join(d, "site", "index.html"), "w") as f:
        f.write("hi")
    port, admin = free_port(), free_port()
    with open(os.path.join(d, "Caddyfile"), "w") as f:
        f.write(caddyfile(port, admin, os.path.join(d, "site")))
    env = dict(os.environ, XDG_DATA_HOME=d + "/xdg", XDG_CONFIG_HOME=d + "/xdgc", HOME=d)
    log = open(os.path.join(d, "log"), "w")
    proc = subprocess.Popen(argv + ["--config", os.path.join(d, "Caddyfile"), "--adapter", "caddyfile"],
                            stdout=log, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL)
    try:
        if not wait_port(port, proc, timeout=15):
            raise RuntimeError("%s did not start" % name)
        for method, path in REQUESTS:
            request(port, method, path)
        time.sleep(0.2)
        site = request(port, "GET", "/metrics")
        admin_text = request(admin, "GET", "/metrics")
        om_type, om = scrape(port, PROMETHEUS_ACCEPT)
        # sizes=False: the text scrape before it is counted, and caddy's body carries go_* series
        om_lines = [om_type] + families(om, [port, admin], sizes=False) + [l for l in om.splitlines() if l == "# EOF"]
        return families(site, [port, admin]), families(admin_text, [port, admin], sizes=False), om_lines
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


def main():
    gatehouse = os.path.abspath(sys.argv[1])
    caddy = shutil.which("caddy")
    if not caddy:
        print("SKIP: caddy is not installed")
        return 77
    with tempfile.TemporaryDirectory(prefix="gatehouse-metrics-") as root:
        c_site, c_admin, c_om = serve([caddy, "run"], "caddy", root)
        g_site, g_admin, g_om = serve([gatehouse, "run", "--workers", "1"], "gatehouse", root)
    check(any(l.startswith("caddy_http_requests_total") for l in c_site), "caddy counted the requests")
    check(any(l.startswith("caddy_http_response_duration_seconds_count") for l in c_site),
          "caddy observed times to the head")
    check(c_om[0].startswith("application/openmetrics-text") and c_om[-1] == "# EOF",
          "caddy 2.6.2 answers Prometheus' Accept with OpenMetrics (%s)" % c_om[0])
    for label, a, b in (("site /metrics", c_site, g_site), ("admin /metrics", c_admin, g_admin),
                        ("site /metrics as OpenMetrics", c_om, g_om)):
        missing = [l for l in a if l not in b]
        extra = [l for l in b if l not in a]
        check(not missing and not extra, "%s: same caddy_http_* lines (missing %s, extra %s)" % (
            label, missing[:6], extra[:6]))
        check([l for l in a if l.startswith("#")] == [l for l in b if l.startswith("#")],
              "%s: same families in the same order" % label)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
