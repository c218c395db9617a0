#!/usr/bin/env python3
"""End-to-end: response heads far larger than nghttp2's 64 KiB default, over h2c and HTTP/1.1.

Caddy 2.6.2 sends a 200 KB (and a 17 MB) response header block whole, split into
CONTINUATION frames. Gatehouse used to leave such a stream open forever: nghttp2 dropped the
HEADERS frame (over its send limit) and nothing reset the stream. Now heads up to 16 MiB go
out whole; a larger one gets RST_STREAM INTERNAL_ERROR and an http.log.error entry, and the
connection keeps serving. The proxy path (an upstream's 200 KB header, whole by default,
502 over `max_response_header_size`) is checked too.
Every read has a deadline: a hang fails the test instead of blocking it.
Usage: h2_big_head_test.py <path-to-gatehouse>
"""
import json
import os
import socket
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import h2_frames as h2  # noqa: E402
from harness import FAILURES, addr_of, check, start, stop  # noqa: E402

BIG = 200_000
HUGE = 17 << 20  # over the 16 MiB send limit (kMaxSendHeaderBlock)
INTERNAL_ERROR = 2


def upstream():
    """An HTTP/1.1 upstream whose every response carries a BIG-byte header; returns its port."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    head = b"HTTP/1.1 200 OK\r\nX-Up: " + b"u" * BIG + b"\r\nContent-Length: 2\r\n\r\nok"

    def serve(c):
        with c:
            c.settimeout(10)
            data = b""
            try:
                while True:
                    while b"\r\n\r\n" not in data:
                        chunk = c.recv(65536)
                        if not chunk:
                            return
                        data += chunk
                    data = data.split(b"\r\n\r\n", 1)[1]
                    c.sendall(head)
            except OSError:
                pass

    def accept():
        while True:
            c, _ = srv.accept()
            threading.Thread(target=serve, args=(c,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return srv.getsockname()[1]


def h2_outcome(c, stream, path, seconds=10.0):
    """Sends GET `path` on `stream`; returns ("response", block bytes, body) or ("reset", code)
    or ("none",) when nothing definite came before the deadline."""
    c.send(h2.frame(h2.HEADERS, h2.END_STREAM | h2.END_HEADERS, stream, h2.request_block(path)))
    deadline = time.time() + seconds
    block, body = 0, b""
    while True:
        f = c.read_frame(deadline)
        if f is None:
            return ("none",)
        ftype, flags, sid, payload = f
        if sid != stream:
            continue
        if ftype in (h2.HEADERS, h2.CONTINUATION):
            block += len(payload)
        elif ftype == h2.DATA:
            body += payload
            c.send(h2.window_update(0, len(payload)) + h2.window_update(stream, len(payload)) if payload else b"")
        elif ftype == h2.RST_STREAM:
            return ("reset", int.from_bytes(payload[:4], "big"))
        if flags & h2.END_STREAM and ftype in (h2.HEADERS, h2.DATA):
            return ("response", block, body)


def h1_head(addr, path, seconds=10.0):
    """The raw HTTP/1.1 response (head and body) to GET `path` with Connection: close."""
    s = socket.create_connection(addr, timeout=seconds)
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: h2.test\r\nConnection: close\r\n\r\n")
    data = b""
    deadline = time.time() + seconds
    while time.time() < deadline:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data


def config(up_port):
    def route(path, handle):
        return {"match": [{"path": [path]}], "handle": [handle]}

    return {"admin": {"disabled": True}, "apps": {"http": {"servers": {"h2c": {
        "listen": ["127.0.0.1:0"], "protocols": ["h1", "h2c"],
        "routes": [
            route("/big", {"handler": "static_response", "headers": {"X-Big": ["b" * BIG]}, "body": "hi"}),
            route("/huge", {"handler": "static_response", "headers": {"X-Huge": ["h" * HUGE]}, "body": "hi"}),
            route("/proxy", {"handler": "reverse_proxy", "upstreams": [{"dial": "127.0.0.1:%d" % up_port}]}),
            route("/limited", {"handler": "reverse_proxy", "upstreams": [{"dial": "127.0.0.1:%d" % up_port}],
                               "transport": {"protocol": "http", "max_response_header_size": 100000}}),
            route("/small", {"handler": "static_response", "body": "small"}),
        ]}}}}}


def main():
    if len(sys.argv) < 2:
        print("usage: h2_big_head_test.py <gatehouse>")
        return 2
    binary = sys.argv[1]
    up_port = upstream()
    with tempfile.TemporaryDirectory() as tmp:
        cfg_path = os.path.join(tmp, "config.json")
        with open(cfg_path, "w") as f:
            json.dump(config(up_port), f)
        proc, servers, drain, _ = start(binary, cfg_path)
        try:
            addr = addr_of(servers["h2c"][0])
            c = h2.Conn(addr, initial_window=1 << 20)
            got = h2_outcome(c, 1, "/big")
            check(got[0] == "response" and got[1] > BIG // 4 and got[2] == b"hi",
                  "h2c: a 200 KB header goes out whole, as Caddy's (%s)" % (got[:2],))
            got = h2_outcome(c, 3, "/huge")
            check(got == ("reset", INTERNAL_ERROR), "h2c: a head over 16 MiB gets RST_STREAM INTERNAL_ERROR (%s)" % (got,))
            got = h2_outcome(c, 5, "/small")
            check(got[0] == "response" and got[2] == b"small", "h2c: the connection serves on after the reset (%s)" % (got,))
            got = h2_outcome(c, 7, "/proxy")
            check(got[0] == "response" and got[1] > BIG // 4 and got[2] == b"ok",
                  "h2c: an upstream's 200 KB header is relayed whole (%s)" % (got[:2],))
            got = h2_outcome(c, 9, "/limited")
            check(got[0] == "response" and got[2] == b"", "h2c: over max_response_header: an empty 502 (%s)" % (got,))
            c.close()

            raw = h1_head(addr, "/big")
            check(b"\r\nX-Big: " + b"b" * BIG + b"\r\n" in raw and raw.endswith(b"\r\n\r\nhi"), "h1: a 200 KB header streams out")
            raw = h1_head(addr, "/proxy")
            check(raw.startswith(b"HTTP/1.1 200") and b"u" * BIG in raw and raw.endswith(b"ok"),
                  "h1: an upstream's 200 KB header is relayed whole")
            raw = h1_head(addr, "/limited")
            check(raw.startswith(b"HTTP/1.1 502 "), "h1: over max_response_header: 502 (%r)" % raw[:40])
        finally:
            stop(proc, drain)
        logged = [json.loads(line) for line in drain.text().splitlines() if line.startswith("{")]
        errors = [e for e in logged if e.get("logger") == "http.log.error" and e.get("request", {}).get("uri") == "/huge"]
        check(len(errors) == 1 and "response header block" in errors[0].get("msg", ""),
              "the reset is logged as a handler error: %s" % [e.get("msg") for e in errors])
        # caddy 2.6.2 logs Go's transport text for it.
        limited = [e.get("msg", "") for e in logged if e.get("logger") == "http.log.error"
                   and e.get("request", {}).get("uri") == "/limited"]
        want = "server response headers exceeded 100000 bytes; aborted"
        check(len(limited) == 2 and all(want in m for m in limited), "max_response_header errors logged as Go words them: %s" % limited)
        if FAILURES:
            print("--- server stderr (cut) ---\n" + drain.text()[-3000:], flush=True)
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
