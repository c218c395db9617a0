#!/usr/bin/env python3
"""Differential: `Expect: 100-continue` through reverse_proxy, against Debian's caddy 2.6.2
running the same Caddyfile, with a scripted HTTP/1.1 upstream and raw clients.

Caddy 2.6.2 forwards the Expect field upstream and relays every upstream 1xx, a 100 too
(Go's Got1xxResponse -> WriteHeader(100), with the response fields so far: "Server");
Go's server sends its own bare 100 on the handler's first body read, unless a 100 went
out before. Compared where caddy is deterministic (the answers byte for byte, Date and
the Server name aside; the upstream's view; timings within bounds):
- expect_continue_timeout 2s, the upstream's 100 at once: one 100 (the upstream's), the
  body reaches the upstream after it;
- the same with the 100 after 0.5 s and a client that waits for a 100 before its body;
- expect_continue_timeout 1s and a silent upstream: the bare 100 after ~1 s, then the body;
- an upstream answering 417 at once: no 100, the 417 with Connection: close, no body sent
  upstream and that connection closed;
- no timeout and a client waiting for its 100: the bare 100 at once (the proxy reads the
  body), then the upstream's late 100 too: two;
- a request with Expect and no body: the upstream's 100 reaches the client (the session
  sends none of its own);
- curl with -H 'Expect: 100-continue' over HTTP/1.1 and over h2c (Go's HTTP/2 server
  drops the Expect field: the upstream sees none, curl gets its 100 from the server).
- an HTTP/1.0 client: the upstream's 100 reaches it too, as Go writes any 1xx whatever the
  client's version.
Exits 77 when caddy or curl is not installed.
Usage: proxy_expect_continue_vs_caddy_test.py <gatehouse>
"""
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from harness import check, finish  # noqa: E402
from caddy_peer import serving  # noqa: E402
import ports  # noqa: E402
import tcp_servers  # noqa: E402

BODY = b"0123456789"


class Upstream:
    """One request per connection; the path's first segment picks the script. Records per
    path the head, when the head and the body came, the body, and whether it saw EOF."""

    def __init__(self):
        self.sock = tcp_servers.listen()
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.seen = {}
        tcp_servers.serve(self.sock, self._serve)

    def _serve(self, conn):
        buf = tcp_servers.read_head(conn)
        if buf is None:
            return
        t0 = time.monotonic()
        head, rest = buf.split(b"\r\n\r\n", 1)
        path = head.split(b" ")[1].decode()
        length = int((re.search(rb"(?im)^content-length:\s*(\d+)", head) or [0, b"0"])[1])
        rec = {"head": head.decode("latin-1"), "body": rest, "t0": t0, "body_at": t0 if rest else None}
        with self.lock:
            self.seen[path] = rec
        kind = path.split("/")[1]
        if kind == "reject":
            conn.sendall(b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 4\r\n\r\nnope")
            self._read(conn, rec, length, 1.0)
            return
        if kind in ("hundred", "late"):
            time.sleep(0.5 if kind == "late" else 0)
            rec["continue_at"] = time.monotonic()
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        self._read(conn, rec, length, 4.0)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(rec["body"]) +
                     rec["body"])

    @staticmethod
    def _read(conn, rec, length, wait):
        until = time.monotonic() + wait
        while len(rec["body"]) < length and time.monotonic() < until:
            conn.settimeout(max(0.01, until - time.monotonic()))
            try:
                data = conn.recv(65536)
            except socket.timeout:
                return
            if not data:
                rec["eof"] = True
                return
            rec["body_at"] = rec["body_at"] or time.monotonic()
            rec["body"] += data


def caddyfile(site, up):
    return """{
	admin off
	auto_https off
	skip_install_trust
	servers {
		protocols h1 h2c
	}
}
http://:%(plain)d {
	bind 127.0.0.1
	reverse_proxy 127.0.0.1:%(up)d
}
http://:%(held)d {
	bind 127.0.0.1
	@short path /silent/*
	reverse_proxy @short 127.0.0.1:%(up)d {
		transport http {
			expect_continue_timeout 1s
		}
	}
	reverse_proxy 127.0.0.1:%(up)d {
		transport http {
			expect_continue_timeout 2s
		}
	}
}
""" % dict(site, up=up.port)


def raw_exchange(port, path, wait_for_100, version=b"1.1", length=len(BODY)):
    """POSTs with Expect: 100-continue. wait_for_100: the body goes only after a 100 (or
    none if a final answer comes first, or after 3 s). Returns (answer bytes, seconds to
    the first answer byte, whether the server closed)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    t0 = time.monotonic()
    head = b"POST %s HTTP/%s\r\nHost: site.test\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n" % (
        path.encode(), version, length)
    out, first, closed = b"", None, False
    try:
        if not wait_for_100:
            s.sendall(head + BODY[:length])
        else:
            s.sendall(head)
            s.settimeout(3)
            try:
                out = s.recv(65536)
                first = time.monotonic() - t0
            except socket.timeout:
                pass
            if out.startswith(b"HTTP/1.1 100") or not out:
                s.sendall(BODY[:length])
        s.settimeout(1.5)
        while True:  # until the close or 1.5 s of quiet (keep-alive)
            try:
                data = s.recv(65536)
            except socket.timeout:
                break
            if not data:
                closed = True
                break
            first = first if first is not None else time.monotonic() - t0
            out += data
    finally:
        s.close()
    return out, first, closed


def norm(raw):
    return re.sub(rb"Date: [^\r]*", b"Date: -", raw.replace(b"Gatehouse", b"SERVER").replace(b"Caddy", b"SERVER"))


def curl(args):
    out = subprocess.run(["curl", "-sv", "--max-time", "10", "--expect100-timeout", "5", *args],
                         capture_output=True, timeout=20)
    interim = re.findall(rb"< HTTP/[\d.]+ 100", out.stderr)
    final = re.findall(rb"< HTTP/[\d.]+ (\d{3}) ?", out.stderr)
    return len(interim), (final[-1] if final else b""), out.stdout


def run(who, binary, site, up):
    got = {}
    with serving(who, binary, caddyfile(site, up), list(site.values())):
        for name, port, path, wait, version, length in [
                ("held_hundred", site["held"], "/hundred/a", False, b"1.1", 10),
                ("held_late_wait", site["held"], "/late/b", True, b"1.1", 10),
                ("held_silent_wait", site["held"], "/silent/c", True, b"1.1", 10),
                ("held_reject_wait", site["held"], "/reject/d", True, b"1.1", 10),
                ("plain_late_wait", site["plain"], "/late/e", True, b"1.1", 10),
                ("plain_nobody_hundred", site["plain"], "/hundred/f", False, b"1.1", 0),
                ("held_nobody_late", site["held"], "/late/g", False, b"1.1", 0),
                ("http10_nobody_hundred", site["plain"], "/hundred/h", False, b"1.0", 0)]:
            path = path + "-" + who
            out, first, closed = raw_exchange(port, path, wait, version, length)
            time.sleep(0.1)
            got[name] = {"out": out, "first": first, "closed": closed, "up": dict(up.seen.get(path, {}))}
        big = "/tmp/gh-expect-body-%d" % site["plain"]
        with open(big, "wb") as f:
            f.write(b"z" * 5000)
        for name, args in [("curl_h1_late", ["http://127.0.0.1:%d/late/i-%s" % (site["held"], who)]),
                           ("curl_h2c_late", ["--http2-prior-knowledge",
                                              "http://127.0.0.1:%d/late/j-%s" % (site["held"], who)])]:
            t0 = time.monotonic()
            got[name] = curl(args + ["-H", "Expect: 100-continue", "--data-binary", "@" + big]) + (
                time.monotonic() - t0, dict(up.seen.get(args[-1].split(str(site["held"]))[1], {})))
    return got


def upstream_facts(rec, ordered=True):
    """What the upstream saw, comparable across servers. Without expect_continue_timeout the
    body races the upstream's late 100 in both servers (caddy's order varies from run to run),
    so `ordered=False` leaves the order out."""
    body_after_100 = None
    if ordered and rec.get("body_at") and rec.get("continue_at"):
        body_after_100 = rec["body_at"] >= rec["continue_at"]
    return {"expect": "expect: 100-continue" in rec.get("head", "").lower(), "body": rec.get("body"),
            "eof": rec.get("eof", False), "body_after_100": body_after_100}


def main():
    if shutil.which("caddy") is None or shutil.which("curl") is None:
        print("caddy or curl not installed: skipped")
        return 77
    binary = sys.argv[1]
    up = Upstream()
    site = {"plain": ports.free_port(), "held": ports.free_port()}
    caddy = run("caddy", binary, site, up)
    ours = run("gatehouse", binary, site, up)

    for name in ["held_hundred", "held_late_wait", "held_silent_wait", "held_reject_wait", "plain_late_wait",
                 "plain_nobody_hundred", "held_nobody_late"]:
        want, got = caddy[name], ours[name]
        same = norm(want["out"]) == norm(got["out"]) and want["closed"] == got["closed"]
        check(same, "%s: the client gets what caddy sends (%d x 100)" % (name, got["out"].count(b" 100 Continue")))
        if not same:
            print("  caddy:     %r closed=%s" % (want["out"], want["closed"]))
            print("  gatehouse: %r closed=%s" % (got["out"], got["closed"]))
        ordered = name != "plain_late_wait"
        fw, fg = upstream_facts(want["up"], ordered), upstream_facts(got["up"], ordered)
        check(fw == fg, "%s: the upstream sees what caddy sends it: %s (caddy: %s)" % (name, fg, fw))
        if fw != fg:
            print("  caddy: %s" % fw)
        print("%s: first answer byte after %.2f s (caddy %.2f s)" % (name, got["first"] or -1, want["first"] or -1))

    g = ours
    check(g["held_hundred"]["out"].startswith(b"HTTP/1.1 100 Continue\r\nServer: Gatehouse\r\n\r\nHTTP/1.1 200"),
          "held, 100 at once: the upstream's 100 is the client's one")
    check(0.4 <= (g["held_late_wait"]["first"] or 0) < 1.9, "held, late 100: the client's 100 ~0.5 s after the head")
    check(0.9 <= (g["held_silent_wait"]["first"] or 0) < 1.9, "held, silent upstream: the bare 100 after ~1 s")
    check(g["held_reject_wait"]["up"].get("eof") is True and g["held_reject_wait"]["up"].get("body") == b"",
          "held, 417: no body sent upstream, that connection closed")
    check(g["plain_late_wait"]["out"].count(b"100 Continue") == 2, "no timeout: the bare 100, then the upstream's")
    check(g["plain_nobody_hundred"]["out"].startswith(b"HTTP/1.1 100 Continue\r\nServer: Gatehouse\r\n\r\n"),
          "no body: the upstream's 100 is forwarded")
    interim10 = b"HTTP/1.0 100 Continue\r\n"
    check(caddy["http10_nobody_hundred"]["out"].startswith(interim10) and
          g["http10_nobody_hundred"]["out"].startswith(interim10),
          "HTTP/1.0 client: the upstream's 100 forwarded, as caddy (%r / %r)" % (
              caddy["http10_nobody_hundred"]["out"][:40], g["http10_nobody_hundred"]["out"][:40]))

    for name in ["curl_h1_late", "curl_h2c_late"]:
        (n100w, statusw, bodyw, tw, upw), (n100g, statusg, bodyg, tg, upg) = caddy[name], ours[name]
        check((n100g, statusg, len(bodyg)) == (n100w, statusw, len(bodyw)),
              "%s: %d x 100, %s, %d body bytes (caddy %d x 100, %s, %d)" % (
                  name, n100g, statusg, len(bodyg), n100w, statusw, len(bodyw)))
        fg, fw = upstream_facts(upg, False), upstream_facts(upw, False)
        check(fg == fw, "%s: the upstream sees the same: %s (caddy: %s)" % (name, fg, fw))
        print("%s: %.2f s (caddy %.2f s)" % (name, tg, tw))
    return finish()


if __name__ == "__main__":
    sys.exit(main())
