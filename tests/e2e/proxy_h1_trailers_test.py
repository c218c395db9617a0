#!/usr/bin/env python3
"""End-to-end: trailer fields of a chunked HTTP/1.1 upstream response reach the client,
through gatehouse and through Debian's caddy 2.6.2 running the same Caddyfile, compared
answer by answer (h1_trailer_upstream.py shapes them):
- announced in `Trailer`, not announced, and partly announced: the client gets every
  trailer (HTTP/1.1: the chunked trailer section; HTTP/2: a trailing HEADERS frame) and
  the announcement Go's ReverseProxy makes (the announced names only);
- Content-Length framing with a `Trailer` field: no announcement passes;
- `Trailer: content-length`: 502, as Go's transport refuses it;
- a gzip answer the transport asked for itself: decoded, trailers kept;
- through `encode gzip` and `encode zstd` (also an event stream): compressed, trailers kept.
Exits 77 when caddy or nghttp is not installed.
Usage: proxy_h1_trailers_test.py <gatehouse>
"""
import gzip
import hashlib
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check  # noqa: E402
from caddy_peer import h2c_proxy_caddyfile, serving  # noqa: E402
from h1_trailer_upstream import BODY, TrailerUpstream  # noqa: E402
from proxy_upstreams import get_with_trailers  # noqa: E402

# (site directives before reverse_proxy, [(path, Accept-Encoding or None)], ask over HTTP/2 too)
SCENARIOS = [
    ("", [("/announced", None), ("/unannounced", None), ("/partial", None), ("/length", None),
          ("/badkey", None), ("/gzip", None), ("/gzip", "gzip")], True),
    ("encode gzip", [("/announced", "gzip"), ("/unannounced", "gzip"), ("/sse", "gzip"), ("/announced", None)],
     True),
    ("encode zstd", [("/announced", "zstd"), ("/unannounced", "zstd")], False),
]


def h1_get(port, path, accept):
    """(status, fields, body bytes, trailer fields) of one HTTP/1.1 exchange (bounded reads)."""
    return get_with_trailers(port, path, "Accept-Encoding: %s\r\n" % accept if accept else "")


def h2_get(port, path):
    """(status, announced Trailer, trailing HEADERS fields) as nghttp (h2c) printed them."""
    out = subprocess.run(["nghttp", "-nv", "http://127.0.0.1:%d%s" % (port, path)],
                         capture_output=True, text=True, timeout=20).stdout
    blocks, current = [], {}
    for line in out.splitlines():
        if "recv (stream_id=13)" in line:
            k, _, v = line.split(") ", 1)[1].partition(": ")
            current[k.strip()] = v.strip()
        elif "recv HEADERS frame" in line and "stream_id=13" in line:
            blocks.append(current)
            current = {}
    head = blocks[0] if blocks else {}
    announced = sorted(n.strip() for n in head.get("trailer", "").split(",") if n.strip())
    return head.get(":status"), announced, blocks[1] if len(blocks) >= 2 else {}


def summary(result):
    """What must match caddy's: status, announced names (Go announces in map order), the
    content coding, the body decoded where Python can, and the trailers."""
    status, fields, body, trailers = result
    coding = fields.get("content-encoding", "")
    if coding == "gzip":
        body = gzip.decompress(body)
    announced = sorted(n.strip() for n in fields.get("trailer", "").split(",") if n.strip())
    shown = digest(body) if coding != "zstd" else "(zstd)"
    return (status, announced, coding, shown, sorted(trailers.items()))


def digest(body):
    return hashlib.sha256(body).hexdigest()[:12] + "/%d" % len(body)


def exchange(port, scenario):
    _, requests, over_h2 = scenario
    out = []
    for path, accept in requests:
        out.append(("h1", path, accept, summary(h1_get(port, path, accept))))
        if over_h2 and accept is None:
            out.append(("h2", path, None, h2_get(port, path)))
    return out


def run(who, binary, scenario):
    up = TrailerUpstream()
    port = harness.free_port()
    try:
        with serving(who, binary, h2c_proxy_caddyfile(port, "127.0.0.1:%d" % up.port, scenario[0]), [port]):
            return exchange(port, scenario)
    finally:
        up.close()


def main():
    binary = sys.argv[1]
    if shutil.which("caddy") is None or shutil.which("nghttp") is None:
        print("caddy or nghttp not installed")
        return 77
    for scenario in SCENARIOS:
        ours, theirs = run("gatehouse", binary, scenario), run("caddy", binary, scenario)
        for (client, path, accept, got), (_, _, _, want) in zip(ours, theirs):
            name = "%s %s %s (Accept-Encoding %s) via %s" % (scenario[0] or "plain", client, path, accept, client)
            print(name, got)
            check(got == want, "%s: as caddy's\n  gatehouse %s\n  caddy     %s" % (name, got, want))
        check(len(ours) == len(theirs), "same number of exchanges")
        # The facts themselves, so that a change in both cannot pass unseen.
        first = dict(((c, p, a), r) for c, p, a, r in ours)
        if scenario[0] == "":
            check(first[("h1", "/announced", None)][4] == [("Grpc-Status", "0"), ("X-Checksum", "abc123")],
                  "announced trailers arrive")
            check(first[("h1", "/unannounced", None)][4] == [("Grpc-Status", "0"), ("X-Checksum", "abc123")],
                  "unannounced trailers arrive")
            check(first[("h1", "/gzip", None)][3] == digest(BODY) and first[("h1", "/gzip", None)][2] == "",
                  "gzip asked by the transport is decoded")
            check(first[("h1", "/badkey", None)][0] == 502, "Trailer: content-length is a 502")
            check(first[("h2", "/unannounced", None)][2] == {"grpc-status": "0", "x-checksum": "abc123"},
                  "HTTP/2 client gets them as trailing HEADERS")
        if scenario[0] == "encode gzip":
            check(first[("h1", "/announced", "gzip")][2] == "gzip" and first[("h1", "/announced", "gzip")][3] == digest(BODY),
                  "encode compressed the body")
            check(first[("h1", "/announced", "gzip")][4] == [("Grpc-Status", "0"), ("X-Checksum", "abc123")],
                  "trailers pass through encode")
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
