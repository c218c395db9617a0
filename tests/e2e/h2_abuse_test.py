#!/usr/bin/env python3
"""End-to-end: the h2c server facing malformed frames and floods.

Each attack runs on its own connection against the real binary; the server must answer
with GOAWAY/RST_STREAM or close the connection within a bounded time, never crash or hang,
and keep serving well-behaved clients afterwards.
Usage: h2_abuse_test.py <path-to-gatehouse>
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import h2_frames as h2  # noqa: E402
from harness import FAILURES, addr_of, check, start  # noqa: E402

PROTOCOL_ERROR = 1
ENHANCE_YOUR_CALM = 11
PID = [0]  # the server's, for its RSS


def rss_kb():
    with open("/proc/%d/status" % PID[0]) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def read_until_goaway_or_close(c, seconds=5.0):
    """Returns (goaway error code or None, closed?)."""
    deadline = time.time() + seconds
    code = None
    while time.time() < deadline:
        f = c.read_frame(deadline)
        if f is None:
            return code, time.time() < deadline
        if f[0] == h2.GOAWAY:
            code = int.from_bytes(f[3][4:8], "big")
    return code, False


def healthy(addr):
    r = subprocess.run(["curl", "-s", "--max-time", "5", "--http2-prior-knowledge",
                        "http://%s:%d/hello" % addr], capture_output=True, timeout=10)
    return r.stdout == b"hello"


def data_on_stream_zero(addr):
    c = h2.Conn(addr)
    c.send(h2.frame(h2.DATA, 0, 0, b"nope"))
    code, closed = read_until_goaway_or_close(c)
    check(code == PROTOCOL_ERROR and closed, "DATA on stream 0: GOAWAY(PROTOCOL_ERROR) and close (%s, %s)" % (code, closed))
    c.close()


def continuation_flood(addr):
    c = h2.Conn(addr)
    block = h2.request_block("/hello")
    c.send(h2.frame(h2.HEADERS, 0, 1, block))
    try:
        for _ in range(2000):
            c.send(h2.frame(h2.CONTINUATION, 0, 1, b"\x00\x01a\x01b"))
    except OSError:
        pass  # the server already hung up
    code, closed = read_until_goaway_or_close(c)
    check(closed, "CONTINUATION flood: connection closed (GOAWAY code %s)" % code)
    c.close()


def rapid_reset(addr):
    c = h2.Conn(addr)
    batch = b""
    stream = 1
    sent = 0
    try:
        for _ in range(40):
            for _ in range(100):
                batch += h2.frame(h2.HEADERS, h2.END_STREAM | h2.END_HEADERS, stream, h2.request_block("/hello"))
                batch += h2.frame(h2.RST_STREAM, 0, stream, (8).to_bytes(4, "big"))  # CANCEL
                stream += 2
            c.send(batch)
            batch = b""
            sent += 100
    except OSError:
        pass
    code, closed = read_until_goaway_or_close(c, 10)
    check(code is not None and code != 0, "rapid reset (%d streams): GOAWAY with an error (%s)" % (sent, code))
    c.close()


def rapid_reset_split(addr):
    """CVE-2023-44487 with each HEADERS and its RST_STREAM in writes of their own, so a
    handler may start before its reset: nghttp2's reset rate limit (1000 at once, then 33/s)
    still ends the connection; caddy 2.6.2 serves on (its Go predates the fix)."""
    c = h2.Conn(addr)
    sent = 0
    try:
        for stream in range(1, 6001, 2):
            c.send(h2.frame(h2.HEADERS, h2.END_STREAM | h2.END_HEADERS, stream, h2.request_block("/hello")))
            c.send(h2.frame(h2.RST_STREAM, 0, stream, (8).to_bytes(4, "big")))
            sent += 1
    except OSError:
        pass
    code, closed = read_until_goaway_or_close(c, 10)
    check(code is not None and code != 0 and closed,
          "rapid reset in separate writes (%d streams): GOAWAY with an error, closed (%s, %s)" % (sent, code, closed))
    c.close()


def continuation_big_frames(addr):
    """CVE-2024-27316-style: header blocks in 1 MiB CONTINUATION frames (our MAX_FRAME_SIZE)
    on 20 connections at once, never ended: nghttp2 decodes as they come and stops at the
    9th frame (GOAWAY ENHANCE_YOUR_CALM); memory stays bounded (measured +20 MiB RSS for the
    20; caddy 2.6.2 +40 MiB)."""
    before = rss_kb()
    conns, codes, peak = [], [], 0
    blk = h2.hpack([("x-f%d" % j, "v" * 60000) for j in range(16)])
    for _ in range(20):
        c = h2.Conn(addr)
        conns.append(c)
        c.send(h2.frame(h2.HEADERS, 0, 1, h2.request_block("/hello")))
        try:
            for _ in range(12):
                c.send(h2.frame(h2.CONTINUATION, 0, 1, blk))
        except OSError:
            pass
        peak = max(peak, rss_kb())
    for c in conns:
        code, closed = read_until_goaway_or_close(c, 5)
        codes.append((code, closed))
        c.close()
    check(all(x == (ENHANCE_YOUR_CALM, True) for x in codes),
          "1 MiB CONTINUATION frames: GOAWAY ENHANCE_YOUR_CALM and close on each of 20 (%s)" % sorted(set(codes)))
    check(peak - before < 64 * 1024, "1 MiB CONTINUATION frames on 20 connections: RSS +%d KB (< 64 MiB)"
          % (peak - before))


def settings_flood(addr):
    c = h2.Conn(addr)
    c.sock.settimeout(5)
    try:
        for _ in range(50):
            c.send(b"".join(h2.settings([(4, 65535)]) for _ in range(1000)))
    except OSError:
        pass
    # ACKs queued to a client that sends faster than it reads are bounded by nghttp2's
    # max_outbound_ack (1000): past it, GOAWAY ENHANCE_YOUR_CALM and close. (Caddy 2.6.2
    # answers all 100000; Go bounds its queue at 10000 control frames.)
    code, closed = read_until_goaway_or_close(c, 5)
    check(code == ENHANCE_YOUR_CALM and closed, "SETTINGS flood: GOAWAY ENHANCE_YOUR_CALM, closed (%s, %s)"
          % (code, closed))
    c.close()


def bad_preface(addr):
    s = socket.create_connection(addr, timeout=5)
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n")
    s.settimeout(5)
    out = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            out += chunk
    except OSError:
        pass
    s.close()
    check(out == b"" or out.startswith(b"HTTP/1.1 4") or out.startswith(b"HTTP/1.1 5"),
          "a broken preface goes to HTTP/1.1 and is refused: %r" % out[:40])


def stream_limit(addr):
    """A client opening more than SETTINGS_MAX_CONCURRENT_STREAMS (250) after acknowledging
    it: as Go's server (caddy 2.6.2), each stream over the limit is refused alone with
    RST_STREAM(PROTOCOL_ERROR) and the connection stays (nghttp2 alone would end it with
    GOAWAY). h2_streams_vs_caddy_test.py compares this with caddy."""
    c = h2.Conn(addr, initial_window=0)  # no response DATA may flow: every stream stays open
    deadline = time.time() + 5
    while time.time() < deadline:  # wait for the server's SETTINGS (Conn ACKs them)
        f = c.read_frame(deadline)
        if f is None or (f[0] == h2.SETTINGS and not f[1] & h2.ACK):
            break
    time.sleep(0.2)  # the ACK is in before the streams
    c.send(b"".join(h2.frame(h2.HEADERS, h2.END_STREAM | h2.END_HEADERS, 1 + 2 * i, h2.request_block("/"))
                    for i in range(300)))
    c.send(h2.frame(h2.PING, 0, 0, b"streams!"))
    resets, goaway, pong = {}, None, False
    deadline = time.time() + 5
    while time.time() < deadline and goaway is None and not (pong and len(resets) >= 50):
        f = c.read_frame(deadline)  # (the PING's ACK may come before the resets)
        if f is None:
            break
        if f[0] == h2.RST_STREAM:
            resets[f[2]] = int.from_bytes(f[3], "big")
        elif f[0] == h2.GOAWAY:
            goaway = int.from_bytes(f[3][4:8], "big")
        elif f[0] == h2.PING and f[1] & h2.ACK:
            pong = True
    want = {1 + 2 * i: PROTOCOL_ERROR for i in range(250, 300)}
    check(resets == want and goaway is None and pong,
          "300 streams over the limit of 250: the last 50 refused (PROTOCOL_ERROR), the connection kept "
          "(resets %d %s, GOAWAY %s, PING answered %s)" % (len(resets), sorted(set(resets.values())), goaway, pong))
    c.close()


def ping_flood(addr):
    c = h2.Conn(addr)
    c.sock.settimeout(5)
    try:
        for _ in range(100):
            c.send(b"".join(h2.frame(h2.PING, 0, 0, b"12345678") for _ in range(1000)))
    except OSError:
        pass
    code, closed = read_until_goaway_or_close(c, 5)
    check(code == ENHANCE_YOUR_CALM and closed, "PING flood: GOAWAY ENHANCE_YOUR_CALM, closed (%s, %s)"
          % (code, closed))
    c.close()


def empty_data_flood(addr):
    c = h2.Conn(addr)
    c.send(h2.frame(h2.HEADERS, h2.END_HEADERS, 1, h2.request_block("/", method="POST")))
    try:
        for _ in range(100):
            c.send(b"".join(h2.frame(h2.DATA, 0, 1) for _ in range(1000)))
    except OSError:
        pass
    code, closed = read_until_goaway_or_close(c, 5)
    check(True, "empty DATA flood handled (GOAWAY %s, closed %s)" % (code, closed))
    c.close()


def bad_field_values(addr):
    """Values Go refuses (control bytes, DEL): the stream is reset with PROTOCOL_ERROR and
    never reaches a handler; a tab is fine, and so is leading/trailing whitespace, which Go
    (caddy 2.6.2) takes as it is (h2_behaviour_vs_caddy_test compares it)."""
    for value, want in (("a\x7fb", "reset"), ("a\x01b", "reset"), (" lead", "served"), ("trail ", "served"),
                        ("a\tb", "served")):
        c = h2.Conn(addr)
        c.send(h2.frame(h2.HEADERS, h2.END_STREAM | h2.END_HEADERS, 1,
                        h2.request_block("/", extra=[("x-v", value)])))
        deadline = time.time() + 5
        got = None
        while time.time() < deadline and got is None:
            f = c.read_frame(deadline)
            if f is None:
                break
            if f[0] == h2.RST_STREAM and f[2] == 1:
                got = "reset" if int.from_bytes(f[3][:4], "big") == PROTOCOL_ERROR else "other reset"
            elif f[0] == h2.DATA and f[2] == 1:
                got = "served" if f[3] == b"hello" else "other body"
        check(got == want, "field value %r: %s (%s)" % (value, want, got))
        c.close()


def main():
    if len(sys.argv) < 2:
        print("usage: h2_abuse_test.py <gatehouse>")
        return 2
    if shutil.which("curl") is None:
        print("skip: curl not installed")
        return 77
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        cfg = {"admin": {"disabled": True}, "apps": {"http": {"servers": {"h2c": {
            "listen": ["127.0.0.1:0"], "protocols": ["h1", "h2", "h2c"],
            "routes": [{"handle": [{"handler": "static_response", "body": "hello"}]}]}}}}}
        cfg_path = os.path.join(tmp, "config.json")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        proc, servers, drain, _ = start(binary, cfg_path)
        try:
            addr = addr_of(servers["h2c"][0])
            check(healthy(addr), "serves before the attacks")
            PID[0] = proc.pid
            for attack in (bad_field_values, data_on_stream_zero, continuation_flood, rapid_reset, settings_flood, bad_preface, stream_limit,
                           ping_flood, empty_data_flood, rapid_reset_split, continuation_big_frames):
                attack(addr)
                check(proc.poll() is None and healthy(addr), "still serving after " + attack.__name__)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(timeout=10)
                check(rc == 0, "graceful stop exit code %s" % rc)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                check(False, "graceful stop within 10s")
            report = drain.finish()
            check(not report, "sanitizer report in server stderr")
            if report or FAILURES:
                print("--- server stderr ---\n" + drain.text(), flush=True)
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
