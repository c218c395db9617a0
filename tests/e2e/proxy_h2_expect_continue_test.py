#!/usr/bin/env python3
"""End-to-end: `Expect: 100-continue` with `expect_continue_timeout` on HTTP/2 upstreams,
as Go's HTTP/2 transport behind Caddy 2.6.2 does it, gatehouse and caddy running the same
front Caddyfile against the same scripted upstreams (h2_continue_upstream.py):
- h2 over TLS, upstream answers 100 after 0.3 s (timeout 2s): the body follows the 100;
- h2 over TLS, silent upstream (timeout 500ms): the body goes after 0.5 s;
- h2 over TLS, upstream answers 417 at once: the client gets the 417, the body is never
  sent and the stream is reset (CANCEL);
- h2c (Caddy's bare http2.Transport has no ExpectContinueTimeout): the body goes at once.
Exits 77 when caddy is not installed.
Usage: proxy_h2_expect_continue_test.py <gatehouse>
"""
import http.client
import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check  # noqa: E402
from caddy_peer import CaddyPeer  # noqa: E402
from h2_continue_upstream import ContinueUpstream  # noqa: E402
import tls_pki  # noqa: E402

BODY = b"x" * 1000
SITES = [  # (name, upstream mode, TLS, expect_continue_timeout)
    ("continue", "continue", True, "2s"),
    ("silent", "silent", True, "500ms"),
    ("reject", "reject", True, "2s"),
    ("h2c", "continue", False, "2s"),
]


def caddyfile(fronts, upstreams):
    out = "{\n\tadmin off\n\tauto_https off\n}\n"
    for name, _, tls, timeout in SITES:
        out += """http://127.0.0.1:%d {
	reverse_proxy %s127.0.0.1:%d {
		transport http {
			%s
			expect_continue_timeout %s
		}
	}
}
""" % (fronts[name], "https://" if tls else "", upstreams[name].port,
       "tls_insecure_skip_verify\n\t\t\tversions 1.1 2" if tls else "versions h2c", timeout)
    return out


def post(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.request("POST", "/up", body=BODY, headers={"Expect": "100-continue", "Content-Type": "text/plain"})
    res = conn.getresponse()
    res.read()
    conn.close()
    return res.status


def bucket(delay):
    if delay is None:
        return "never"
    if delay < 0.15:
        return "at once"
    if delay < 0.42:
        return "~0.3s"
    if delay < 0.9:
        return "~0.5s"
    return "late"


def observe(fronts, upstreams):
    out = {}
    for name, _, _, _ in SITES:
        before = len(upstreams[name].seen)
        status = post(fronts[name])
        time.sleep(0.3)  # a reset after the answer has time to arrive
        records = upstreams[name].seen[before:]
        if not records:
            out[name] = (status, "no request", 0, None)
            continue
        r = records[-1]
        delay = None if r["data_at"] is None else r["data_at"] - r["headers_at"]
        print("  %s: status %d, body after %s s, %d bytes, reset %s" % (name, status, delay, r["body"], r["rst"]))
        out[name] = (status, bucket(delay), r["body"], r["rst"])
    return out


def main():
    binary = sys.argv[1]
    if shutil.which("caddy") is None:
        print("caddy not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="gh-h2continue-")
    ca = tls_pki.make_ca(tmp)
    cert = tls_pki.make_leaf(tmp, "up", ["IP:127.0.0.1"], ca)
    upstreams = {name: ContinueUpstream(mode, cert=cert if tls else None) for name, mode, tls, _ in SITES}
    fronts = {name: harness.free_port() for name, _, _, _ in SITES}
    text = caddyfile(fronts, upstreams)
    results = {}
    try:
        fd, path = tempfile.mkstemp(suffix=".Caddyfile")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        proc, _, drain, _ = harness.start(binary, path, adapter="caddyfile", workers=1)
        os.unlink(path)
        try:
            print("gatehouse:")
            results["gatehouse"] = observe(fronts, upstreams)
        finally:
            harness.stop(proc, drain)
        peer = CaddyPeer(text, list(fronts.values()), name="h2continue")
        try:
            print("caddy:")
            results["caddy"] = observe(fronts, upstreams)
        finally:
            peer.stop()
    finally:
        for up in upstreams.values():
            up.close()
        shutil.rmtree(tmp, ignore_errors=True)
    ours, theirs = results["gatehouse"], results["caddy"]
    for name, _, _, _ in SITES:
        check(ours[name] == theirs[name], "%s as caddy's: %s / %s" % (name, ours[name], theirs[name]))
    check(ours["continue"][:3] == (200, "~0.3s", len(BODY)), "TLS: the body follows the 100")
    check(ours["silent"][:3] == (200, "~0.5s", len(BODY)), "TLS: the body goes after the timeout")
    check(ours["reject"] == (417, "never", 0, 8), "TLS: 417 first: no body, stream reset with CANCEL")
    check(ours["h2c"][:3] == (200, "at once", len(BODY)), "h2c: the body goes at once")
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
