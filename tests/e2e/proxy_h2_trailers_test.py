#!/usr/bin/env python3
"""End-to-end: response trailers from an HTTP/2 (h2c) upstream reach the client, through
gatehouse and through Debian's caddy 2.6.2 running the same Caddyfile:
- an HTTP/1.1 client gets a chunked body whose trailer section carries them, and the
  upstream's `trailer` announcement as a Trailer field;
- an HTTP/2 client (nghttp, h2c) gets them as a trailing HEADERS frame.
The upstream is a scripted raw-frame server (h2_script_upstream.py): HEADERS (no length),
DATA, then HEADERS with END_STREAM carrying x-checksum and grpc-status.
Exits 77 when caddy or nghttp is not installed.
Usage: proxy_h2_trailers_test.py <gatehouse>
"""
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check  # noqa: E402
from caddy_peer import h2c_proxy_caddyfile, serving  # noqa: E402
from h2_script_upstream import ScriptedH2Upstream  # noqa: E402
from proxy_upstreams import get_with_trailers  # noqa: E402


def h1_get(port):
    """(head fields, body, trailer fields with lowercased names) of a chunked HTTP/1.1 response."""
    _, fields, body, trailers = get_with_trailers(port, "/t")
    return fields, body, {k.lower(): v for k, v in trailers.items()}


def h2_trailers(port):
    """The fields nghttp printed for the last (trailing) HEADERS frame it received."""
    out = subprocess.run(["nghttp", "-nv", "http://127.0.0.1:%d/t" % port],
                         capture_output=True, text=True, timeout=20).stdout
    blocks, current = [], {}
    for line in out.splitlines():
        if "recv (stream_id=" in line:  # a field of the HEADERS frame printed next
            field = line.split(") ", 1)[1] if ") " in line else ""
            k, _, v = field.partition(": ")
            current[k.strip()] = v.strip()
        elif "recv HEADERS frame" in line:
            blocks.append(current)
            current = {}
    return blocks[-1] if len(blocks) >= 2 else {}


def run(who, binary):
    up = ScriptedH2Upstream(body=b"payload", length=False, fields=[("trailer", "x-checksum, grpc-status")],
                            trailers=[("x-checksum", "abc123"), ("grpc-status", "0")])
    port = harness.free_port()
    try:
        with serving(who, binary, h2c_proxy_caddyfile(port, "h2c://127.0.0.1:%d" % up.port), [port]):
            return h1_get(port), h2_trailers(port)
    finally:
        up.close()


def main():
    binary = sys.argv[1]
    if shutil.which("caddy") is None or shutil.which("nghttp") is None:
        print("caddy or nghttp not installed")
        return 77
    results = {who: run(who, binary) for who in ("gatehouse", "caddy")}
    for who, ((fields, body, trailers), h2) in results.items():
        print(who, fields, body, trailers, h2)
        check(body == b"payload", "%s: HTTP/1.1 body" % who)
        check(trailers.get("x-checksum") == "abc123" and trailers.get("grpc-status") == "0",
              "%s: HTTP/1.1 chunked trailers %s" % (who, trailers))
        # Go announces them in its map's (random) order.
        announced = sorted(n.strip() for n in fields.get("trailer", "").split(","))
        check(announced == ["Grpc-Status", "X-Checksum"], "%s: Trailer announced (%s)" % (who, fields.get("trailer")))
        check(h2.get("x-checksum") == "abc123" and h2.get("grpc-status") == "0", "%s: HTTP/2 trailers %s" % (who, h2))
    g, c = results["gatehouse"], results["caddy"]
    check(g[0][2] == c[0][2], "HTTP/1.1 trailers as caddy's: %s / %s" % (g[0][2], c[0][2]))
    check(g[1] == c[1], "HTTP/2 trailers as caddy's: %s / %s" % (g[1], c[1]))
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
