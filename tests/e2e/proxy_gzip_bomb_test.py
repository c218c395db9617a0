#!/usr/bin/env python3
"""A gzip bomb from the upstream through the transport's transparent decompression.

Caddy's transport asks the upstream for gzip when the client named no encoding and decodes
the answer. 256 MiB of zeros compress to about 250 KiB, so one socket read of compressed
bytes can inflate to tens of MiB: the proxy must decode only as fast as the client takes the
result. A client reading slowly gets every byte, and gatehouse's VmRSS stays bounded.
Usage: proxy_gzip_bomb_test.py <path-to-gatehouse>
"""
import gzip
import http.client
import http.server
import json
import os
import socket
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import addr_of, check, finish, start, stop  # noqa: E402
from sanitized import rss_within  # noqa: E402

PLAIN = 256 << 20
BOMB = gzip.compress(bytes(PLAIN), compresslevel=9)


class Upstream(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(BOMB)))
        self.end_headers()
        self.wfile.write(BOMB)

    def log_message(self, *args):
        pass


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    binary = sys.argv[1]
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    config = {"apps": {"http": {"servers": {"srv0": {
        "listen": ["127.0.0.1:0"],
        "routes": [{"handle": [{"handler": "reverse_proxy",
                                "upstreams": [{"dial": "127.0.0.1:%d" % upstream.server_address[1]}]}]}],
    }}}}}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "config.json")
        with open(path, "w") as f:
            json.dump(config, f)
        proc, servers, drain, _ = start(binary, path, workers=1)
        try:
            host, port = addr_of(servers["srv0"][0])
            base = rss_kib(proc.pid)
            conn = http.client.HTTPConnection(host, port, timeout=30)
            conn.connect()
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            # No Accept-Encoding at all (http.client would add "identity"): the proxy asks for gzip.
            conn.putrequest("GET", "/bomb", skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", "bomb.test")
            conn.endheaders()
            resp = conn.getresponse()
            check(resp.status == 200 and resp.getheader("Content-Encoding") is None,
                  "decoded for the client: %d %s" % (resp.status, resp.getheader("Content-Encoding")))
            received = 0
            zeros = True
            peak = base
            deadline = time.time() + 120
            while time.time() < deadline:
                chunk = resp.read(256 * 1024)
                if not chunk:
                    break
                received += len(chunk)
                zeros = zeros and chunk.count(0) == len(chunk)
                peak = max(peak, rss_kib(proc.pid))
                if received < 32 << 20:
                    time.sleep(0.002)  # slow at first: the proxy must wait for the client
            conn.close()
            check(received == PLAIN and zeros, "the whole decoded body arrived (%d bytes of %d)" % (received, PLAIN))
            grown = (peak - base) / 1024
            check(rss_within(grown < 48), "gatehouse grew by %.1f MiB while decoding a %d MiB bomb" % (grown, PLAIN >> 20))
        finally:
            stop(proc, drain)
            upstream.shutdown()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
