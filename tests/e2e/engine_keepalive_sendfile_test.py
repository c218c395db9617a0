#!/usr/bin/env python3
"""End-to-end: keep-alive connections whose HTTP/1.1 session is dropped while idle and made
again for the next request, and file bodies sent with sendfile on cleartext connections
(falling back to pool reads when the socket is full, e.g. for a slow reader).

Usage: engine_keepalive_sendfile_test.py <path-to-gatehouse>
"""
import hashlib
import os
import socket
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import handlers_support as hs  # noqa: E402

check = hs.check


def read_response(sock, buf, head_only=False):
    """Reads one Content-Length response from `sock`; returns (status, headers, body, rest)."""
    deadline = time.time() + 20
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk or time.time() > deadline:
            raise RuntimeError("connection closed before a head: %r" % buf[:200])
        buf += chunk
    head, _, buf = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    length = 0 if head_only else int(headers.get("content-length", "0"))
    while len(buf) < length:
        chunk = sock.recv(1 << 20)
        if not chunk or time.time() > deadline:
            raise RuntimeError("connection closed after %d of %d body bytes" % (len(buf), length))
        buf += chunk
    return status, headers, buf[:length], buf[length:]


def request(path, extra=""):
    return ("GET %s HTTP/1.1\r\nHost: example.test\r\n%s\r\n" % (path, extra)).encode()


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="gh-engine-") as tmp:
        root = os.path.join(tmp, "site")
        os.makedirs(root)
        big = os.urandom(6 * 1024 * 1024 + 123)
        with open(os.path.join(root, "big.bin"), "wb") as f:
            f.write(big)
        with open(os.path.join(root, "small.txt"), "w") as f:
            f.write("small file\n")
        cfg = hs.adapt(binary, """{
	servers {
		timeouts {
			idle 2s
		}
	}
}
:8080 {
	respond /hello "hi"
	root * %s
	file_server
}
""" % root, tmp)
        srv = hs.Server(binary, cfg)
        try:
            addr = srv.addr
            digest = hashlib.sha256(big).hexdigest()

            # One connection, many requests: the session is dropped and made again between them.
            s = socket.create_connection(addr, timeout=20)
            rest = b""
            for i in range(30):
                path = ["/hello", "/big.bin", "/small.txt"][i % 3]
                s.sendall(request(path))
                status, headers, body, rest = read_response(s, rest)
                check(status == 200, "keep-alive request %d %s: status %d" % (i, path, status))
                if path == "/big.bin":
                    check(hashlib.sha256(body).hexdigest() == digest, "big file intact on request %d" % i)
                elif path == "/hello":
                    check(body == b"hi", "respond body on request %d: %r" % (i, body))
            # A range and a HEAD on the same connection.
            s.sendall(request("/big.bin", "Range: bytes=1000-2000999\r\n"))
            status, headers, body, rest = read_response(s, rest)
            check(status == 206 and body == big[1000:2001000], "range of the big file (status %d)" % status)
            s.sendall(("HEAD /big.bin HTTP/1.1\r\nHost: example.test\r\n\r\n").encode())
            status, headers, body, rest = read_response(s, rest, head_only=True)
            check(status == 200 and headers.get("content-length") == str(len(big)), "HEAD of the big file")
            # Pipelined: three requests in one write, answered in order.
            s.sendall(request("/small.txt") + request("/big.bin") + request("/hello"))
            got = []
            for _ in range(3):
                status, headers, body, rest = read_response(s, rest)
                got.append((status, len(body)))
            check(got == [(200, 11), (200, len(big)), (200, 2)], "pipelined responses in order: %r" % got)
            s.close()

            # A slow reader with a small receive buffer: sendfile finds the socket full, the
            # body continues through pool reads, and every byte arrives in order.
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
            s.settimeout(20)
            s.connect(addr)
            s.sendall(request("/big.bin") + request("/hello"))
            buf = b""
            deadline = time.time() + 60
            while b"\r\n\r\n" not in buf and time.time() < deadline:
                buf += s.recv(4096)
            slow = b""
            for _ in range(20):  # the first 20 pieces slowly, then at full speed
                slow += s.recv(8192)
                time.sleep(0.02)
            status, headers, body, rest = read_response(s, buf + slow)
            check(status == 200 and hashlib.sha256(body).hexdigest() == digest, "slow reader got the whole file")
            status, headers, body, rest = read_response(s, rest)
            check(status == 200 and body == b"hi", "request after the slow body on the same connection")
            s.close()

            # Many idle connections, each asked again after idling: all are served.
            conns = [socket.create_connection(addr, timeout=20) for _ in range(200)]
            rests = []
            for c in conns:
                c.sendall(request("/hello"))
            for c in conns:
                status, _, body, r = read_response(c, b"")
                rests.append(r)
                check(status == 200 and body == b"hi", "first request on an idle connection")
            time.sleep(0.3)
            ok = 0
            for c, r in zip(conns, rests):
                c.sendall(request("/small.txt"))
                status, _, body, _ = read_response(c, r)
                ok += status == 200 and body == b"small file\n"
            check(ok == len(conns), "second request after idling: %d of %d" % (ok, len(conns)))

            # The idle timeout still closes a connection whose session was dropped.
            c = conns[0]
            c.settimeout(6)
            start = time.time()
            try:
                eof = c.recv(1) == b""
            except OSError:
                eof = True
            check(eof and time.time() - start < 5, "idle timeout closed the connection")
            for c in conns:
                c.close()
        finally:
            srv.stop()
    return hs.finish()


if __name__ == "__main__":
    sys.exit(main())
