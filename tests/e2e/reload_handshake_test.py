#!/usr/bin/env python3
"""End-to-end: a reload that comes while a connection is still being set up loses nothing.

A client may be in the middle of its TLS handshake, or may have sent only part of its
HTTP/2 connection preface (or only part of an HTTP/1.1 head), when a reload begins. The
connection then serves the request that follows and closes; the request must never be
refused. Checked with hand-driven clients (TLS through ssl.MemoryBIO, raw HTTP/2 frames,
each step in its own TCP segment and TLS record, the reload finished in between) for h2
over TLS, HTTP/1.1 over TLS and cleartext h2c; then with h2load opening new connections
while the config is reloaded over and over. 127.0.0.1 only.
Usage: reload_handshake_test.py <path-to-gatehouse>
"""
import json
import os
import re
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import h2_frames as h2  # noqa: E402
import tls_pki  # noqa: E402
from harness import check, finish, free_port, start, stop  # noqa: E402

GAP = 0.05  # between client steps: each lands in its own read on the server


def config(admin_port, tls_port, h2c_port, cert, body):
    route = [{"handle": [{"handler": "static_response", "body": body}]}]
    return {"admin": {"listen": "127.0.0.1:%d" % admin_port},
            "apps": {"http": {"servers": {
                "tls": {"listen": ["127.0.0.1:%d" % tls_port], "routes": route,
                        "tls_connection_policies": [{}]},
                "clear": {"listen": ["127.0.0.1:%d" % h2c_port], "routes": route,
                          "protocols": ["h1", "h2", "h2c"]}}},
                "tls": {"certificates": {"load_files": [{"certificate": cert[0], "key": cert[1]}]}}}}


class Reloader:
    """`gatehouse reload` with a new body each time; returns once the new config is live."""

    def __init__(self, binary, tmp, admin_port, tls_port, h2c_port, cert):
        self.binary, self.path = binary, os.path.join(tmp, "config.json")
        self.args = (admin_port, tls_port, h2c_port, cert)
        self.n = 0
        self.write()

    def write(self):
        with open(self.path + ".tmp", "w") as f:
            json.dump(config(*self.args, "v%d" % self.n), f)
        os.replace(self.path + ".tmp", self.path)

    def __call__(self):
        self.n += 1
        self.write()
        p = subprocess.run([self.binary, "reload", "--config", self.path, "--adapter", "json"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        if p.returncode != 0:
            raise RuntimeError("reload failed: " + p.stderr)


class Tls:
    """A TLS client driven step by step: each write() is one record in one TCP segment."""

    def __init__(self, port, cafile, alpn):
        ctx = ssl.create_default_context(cafile=cafile)
        ctx.set_alpn_protocols([alpn])
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_hostname="a.test")
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.plain = b""

    def hello(self):
        try:
            self.obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        self.sock.sendall(self.out.read())  # the ClientHello alone

    def finish_handshake(self):
        deadline = time.time() + 5
        while time.time() < deadline:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise RuntimeError("closed during the handshake")
                self.inc.write(chunk)
        self.sock.sendall(self.out.read())  # the client Finished alone

    def send(self, data):
        self.obj.write(data)
        self.sock.sendall(self.out.read())

    def recv(self, deadline):
        """More plaintext, or b"" on EOF/timeout."""
        while time.time() < deadline:
            try:
                return self.obj.read(65536)
            except ssl.SSLWantReadError:
                pass
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b""
            self.sock.settimeout(max(0.01, deadline - time.time()))
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, ConnectionResetError):
                return b""
            if not chunk:
                return b""
            self.inc.write(chunk)
        return b""

    def close(self):
        self.sock.close()


class Clear:
    """Cleartext counterpart of Tls (h2c)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)

    def send(self, data):
        self.sock.sendall(data)

    def recv(self, deadline):
        self.sock.settimeout(max(0.01, deadline - time.time()))
        try:
            return self.sock.recv(65536)
        except (socket.timeout, ConnectionResetError):
            return b""

    def close(self):
        self.sock.close()


def h2_answer(conn, seconds=5):
    """Reads frames until stream 1 has ended and the server has closed the connection;
    returns (status 200 seen, body, last stream id of the last GOAWAY, closed)."""
    buf, ok, body, goaway, ended = b"", False, b"", None, False
    deadline = time.time() + seconds
    while time.time() < deadline:
        while len(buf) >= 9 and len(buf) >= 9 + struct.unpack(">I", b"\0" + buf[:3])[0]:
            length = struct.unpack(">I", b"\0" + buf[:3])[0]
            ftype, flags, stream = buf[3], buf[4], struct.unpack(">I", buf[5:9])[0] & 0x7FFFFFFF
            payload, buf = buf[9:9 + length], buf[9 + length:]
            if ftype == h2.SETTINGS and not flags & h2.ACK:
                conn.send(h2.frame(h2.SETTINGS, h2.ACK, 0))
            elif ftype == h2.PING and not flags & h2.ACK:
                conn.send(h2.frame(h2.PING, h2.ACK, 0, payload))
            elif ftype == h2.GOAWAY:
                goaway = struct.unpack(">I", payload[:4])[0] & 0x7FFFFFFF
            elif ftype == h2.HEADERS and stream == 1:
                ok = payload[:1] == b"\x88"  # :status 200, indexed (static table entry 8)
            elif ftype == h2.DATA and stream == 1:
                body += payload
            if stream == 1 and flags & h2.END_STREAM:
                ended = True
        chunk = conn.recv(deadline)
        if not chunk:
            return ok and ended, body, goaway, time.time() < deadline
        buf += chunk
    return ok and ended, body, goaway, False


def h1_answer(conn, seconds=5):
    data, deadline = b"", time.time() + seconds
    while time.time() < deadline and b"\r\n\r\n" not in data:
        chunk = conn.recv(deadline)
        if not chunk:
            break
        data += chunk
    return data


def h2_request(scheme):
    block = h2.hpack([(":method", "GET"), (":scheme", scheme), (":authority", "a.test"), (":path", "/")])
    return h2.frame(h2.HEADERS, h2.END_STREAM | h2.END_HEADERS, 1, block)


PREFACE_SETTINGS = h2.PREFACE + h2.settings([(4, 65535)])


def step(conns, action):
    for c in conns:
        action(c)
    time.sleep(GAP)


def case_h2_tls(port, ca, reload, when):
    """h2 over TLS, reloaded `when` = hello | handshaken | preface-part | preface."""
    conns = [Tls(port, ca, "h2") for _ in range(3)]
    try:
        step(conns, Tls.hello)
        if when == "hello":
            reload()
        step(conns, Tls.finish_handshake)
        if when == "handshaken":
            reload()
        step(conns, lambda c: c.send(h2.PREFACE[:10]))
        if when == "preface-part":
            reload()
        step(conns, lambda c: c.send(PREFACE_SETTINGS[10:]))
        if when == "preface":
            reload()
        step(conns, lambda c: c.send(h2_request("https")))
        answers = [h2_answer(c) for c in conns]
    finally:
        for c in conns:
            c.close()
    check(all(ok and body and goaway == 1 and closed for ok, body, goaway, closed in answers),
          "h2 over TLS, reload at %s: every request answered, then GOAWAY(1) and close %r" % (when, answers))


def case_h1_tls(port, ca, reload, when):
    """HTTP/1.1 over TLS, reloaded `when` = hello | handshaken | head-part."""
    conns = [Tls(port, ca, "http/1.1") for _ in range(3)]
    head = b"GET / HTTP/1.1\r\nHost: a.test\r\nUser-Agent: reload-test\r\n\r\n"
    try:
        step(conns, Tls.hello)
        if when == "hello":
            reload()
        step(conns, Tls.finish_handshake)
        if when == "handshaken":
            reload()
        step(conns, lambda c: c.send(head[:20]))
        if when == "head-part":
            reload()
        step(conns, lambda c: c.send(head[20:]))
        answers = [h1_answer(c) for c in conns]
    finally:
        for c in conns:
            c.close()
    check(all(a.startswith(b"HTTP/1.1 200") for a in answers),
          "HTTP/1.1 over TLS, reload at %s: every request answered %r" % (when, [a[:12] for a in answers]))


def case_h2c(port, reload, when):
    """Cleartext h2c with prior knowledge, reloaded `when` = connected | preface-part | preface."""
    conns = [Clear(port) for _ in range(3)]
    try:
        time.sleep(GAP)
        if when == "connected":
            reload()
        step(conns, lambda c: c.send(h2.PREFACE[:10]))
        if when == "preface-part":
            reload()
        step(conns, lambda c: c.send(PREFACE_SETTINGS[10:]))
        if when == "preface":
            reload()
        step(conns, lambda c: c.send(h2_request("http")))
        answers = [h2_answer(c) for c in conns]
    finally:
        for c in conns:
            c.close()
    check(all(ok and body and goaway == 1 and closed for ok, body, goaway, closed in answers),
          "h2c, reload at %s: every request answered, then GOAWAY(1) and close %r" % (when, answers))


def h2load_under_reloads(port, reload):
    """New h2 connections (one request each) arrive while the config is reloaded repeatedly."""
    if shutil.which("h2load") is None:
        print("skip: h2load not installed")
        return
    cmd = ["h2load", "-n", "200", "-c", "200", "-m", "1", "-r", "20", "--rate-period", "50ms",
           "https://127.0.0.1:%d/" % port]
    load = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    reloads = 0
    try:
        while load.poll() is None and reloads < 40:
            reload()
            reloads += 1
            time.sleep(0.02)
        out, _ = load.communicate(timeout=60)
    finally:
        if load.poll() is None:
            load.kill()
            load.wait(5)
    m = re.search(r"requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored",
                  out)
    check(m is not None and m.group(1) == m.group(2) and m.group(3) == "0" and m.group(4) == "0",
          "h2load across %d reloads: every request succeeded (%s)" % (reloads, m.group(0) if m else out[-400:]))


def main():
    binary = sys.argv[1]
    if shutil.which("openssl") is None:
        print("skip: openssl not installed")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        ca = tls_pki.make_ca(tmp)
        cert = tls_pki.make_leaf(tmp, "a-cert", ["DNS:a.test", "IP:127.0.0.1"], ca)
        admin_port, tls_port, h2c_port = free_port(), free_port(), free_port()
        reload = Reloader(binary, tmp, admin_port, tls_port, h2c_port, cert)
        proc, _, drain, _ = start(binary, reload.path, workers=2)
        try:
            for when in ("hello", "handshaken", "preface-part", "preface"):
                case_h2_tls(tls_port, ca[0], reload, when)
            for when in ("hello", "handshaken", "head-part"):
                case_h1_tls(tls_port, ca[0], reload, when)
            for when in ("connected", "preface-part", "preface"):
                case_h2c(h2c_port, reload, when)
            h2load_under_reloads(tls_port, reload)
            check(proc.poll() is None, "server still running")
        finally:
            stop(proc, drain)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
