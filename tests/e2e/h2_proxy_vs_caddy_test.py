#!/usr/bin/env python3
"""reverse_proxy answers served over HTTP/2 (h2c prior knowledge and h2 over TLS), against caddy 2.6.2.

Caddy and gatehouse run the same Caddyfile (their own ports, one certificate, one scripted
HTTP/1.1 upstream); a raw-frame client sends each case to both and compares what comes back
(header blocks as sets, Date/Server/Alt-Svc left out; DATA bytes; how the stream ended):
- an upstream that dies after 5 of 100 announced bytes, and one that stalls past
  `read_timeout 1s`: the head (Content-Type sniffed from the 5 bytes, Content-Length 100) and
  the bytes reach the client before the stream ends (gatehouse once sent a bare RST_STREAM:
  the head waited for 512 bytes to sniff). How it ends differs on purpose (README): caddy
  2.6.2 sends END_STREAM, gatehouse RST_STREAM(INTERNAL_ERROR) so no client takes a cut body
  for a whole one;
- an upstream 304 with Content-Length and 204 with Content-Length: 0: Go's HTTP/2 server
  passes the field on (gatehouse dropped it);
- SSE events arrive one by one as the upstream sends them (0.4 s apart); trailers; an
  upstream 103 before the 200; HEAD; the framing the upstream sees for request bodies
  (content-length, none, empty); a client RST_STREAM mid-response closes the upstream
  connection;
- `timeouts { write 1s }`: Go's HTTP/2 server gives each stream 1 s from its request
  head, then resets it (RST_STREAM INTERNAL_ERROR) and serves the connection's next stream
  (gatehouse closed the whole connection: its HTTP/1.1 deadline);
- `Upgrade: h2c` on the cleartext port: caddy 2.6.2 switches protocols (x/net's h2c handler);
  gatehouse answers in HTTP/1.1, as Caddy 2.10+ does (Go's own h2c has no upgrade; RFC 9113
  deprecates it). Checked as such so a changed oracle is noticed.
Usage: h2_proxy_vs_caddy_test.py <path-to-gatehouse>   (exit 77 when caddy is missing)
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import h2_frames as h2  # noqa: E402
import tls_pki  # noqa: E402
from caddy_peer import CaddyPeer  # noqa: E402
from h2_frames import DATA, END_HEADERS as EH, END_STREAM as ES, HEADERS, frame  # noqa: E402
from h2_tls_client import Conn, base, block, events  # noqa: E402
from harness import FAILURES, check, finish, free_port, wait_port  # noqa: E402
from raw_http_upstream import RawHttpUpstream, head_fields, request_line  # noqa: E402

CADDYFILE = """{
	admin off
	auto_https disable_redirects
	default_bind 127.0.0.1
	servers {
		protocols h1 h2 h2c
	}
	servers 127.0.0.1:%(wt_h2c)d {
		protocols h1 h2 h2c
		timeouts {
			write 1s
		}
	}
	servers 127.0.0.1:%(wt_tls)d {
		protocols h1 h2
		timeouts {
			write 1s
		}
	}
}
(site) {
	handle /rt/* {
		reverse_proxy 127.0.0.1:%(up)d {
			transport http {
				read_timeout 1s
			}
		}
	}
	handle {
		reverse_proxy 127.0.0.1:%(up)d
	}
}
:%(h2c)d {
	import site
}
:%(tls)d {
	tls %(crt)s %(key)s
	import site
}
:%(wt_h2c)d {
	import site
}
:%(wt_tls)d {
	tls %(crt)s %(key)s
	import site
}
"""
INTERNAL_ERROR = 2


class Upstream(RawHttpUpstream):
    """An HTTP/1.1 upstream answering by path (see the module text). /slow?who=X records when
    its connection closed under closed[X]."""

    def __init__(self):
        self.closed = {}
        super().__init__(backlog=64, timeout=15)

    def answer(self, c, head, rest):
        _, target = request_line(head)
        path = target.split("?")[0].replace("/rt/", "/")
        if path == "/die":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello")
            time.sleep(0.2)
        elif path == "/stall":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello")
            time.sleep(3)
        elif path == "/s304":
            c.sendall(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\nEtag: \"x\"\r\n\r\n")
        elif path == "/s204":
            c.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nX-A: 1\r\n\r\n")
        elif path == "/sse":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
            for i in range(3):
                event = b"data: tok%d\n\n" % i
                c.sendall(b"%x\r\n%s\r\n" % (len(event), event))
                time.sleep(0.4)
            c.sendall(b"0\r\n\r\n")
        elif path == "/trailers":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTrailer: X-T\r\nTransfer-Encoding: chunked\r\n"
                      b"\r\n2\r\nok\r\n0\r\nX-T: v\r\n\r\n")
        elif path == "/hints":
            c.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n")
            time.sleep(0.2)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
        elif path == "/echo":
            self._echo(c, head, rest)
        elif path == "/slow":
            self._slow(c, target.split("who=")[-1])
        else:
            c.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        time.sleep(0.2)

    @staticmethod
    def _echo(c, head, rest):
        """Answers the request body's framing and length (bodies here are small)."""
        fields = head_fields(head)
        body, framing = b"", "none"
        if "content-length" in fields:
            framing = "length %s" % fields["content-length"]
            while len(rest) < int(fields["content-length"]):
                rest += c.recv(65536)
            body = rest
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            framing = "chunked"
            while not rest.endswith(b"0\r\n\r\n"):
                rest += c.recv(65536)
            while not rest.startswith(b"0\r\n"):
                size_line, rest = rest.split(b"\r\n", 1)
                size = int(size_line, 16)
                body, rest = body + rest[:size], rest[size + 2:]
        text = ("%s %s body=%r" % (head.split(" ")[0], framing, body)).encode()
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (len(text), text))

    def _slow(self, c, who):
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
        t0 = time.time()
        try:
            while time.time() - t0 < 10:
                c.sendall(b"1\r\nb\r\n")
                time.sleep(0.1)
        except OSError:
            self.closed[who] = time.time()


def fetch(port, tls, path, method="GET", extra=(), body=None, wait=4.0, stamps=None):
    """Stream 1's events (SETTINGS left out) for one request on a fresh connection."""
    c = Conn(port, tls, settings=((4, 1 << 20),))
    try:
        c.send(frame(HEADERS, EH | (0 if body is not None else ES), 1, block(base(path, method) + list(extra), tls)))
        if body is not None:
            c.send(frame(DATA, ES, 1, body))
        ev = events(c, time.time() + wait, quiet=2.0, stamps=stamps)
    finally:
        c.close()
    return [e for e in ev if e[0] != "SETTINGS"]


def as_sets(ev):
    """Events with each header block as a set (Go sorts fields, gatehouse keeps their order)."""
    return [(e[0], e[1], e[2], frozenset(e[3])) if e[0] == "HEADERS" else e for e in ev]


def cut_body(port, tls, path):
    """(head fields, bytes, how the stream ended, seconds) of an answer whose upstream breaks."""
    t0 = time.time()
    ev = fetch(port, tls, path)
    took = time.time() - t0
    head = [frozenset(e[3]) for e in ev if e[0] == "HEADERS"]
    data = b"".join(e[3] for e in ev if e[0] == "DATA")
    last = ev[-1] if ev else None
    end = "reset %d" % last[2] if last and last[0] == "RST" else "END_STREAM" if last and last[2] else repr(last)
    return head, data, end, took


def sse_gaps(port, tls):
    """The body, and the seconds between the first and the last DATA frame that carried bytes."""
    stamps = []
    ev = fetch(port, tls, "/sse", stamps=stamps)
    data = b"".join(e[3] for e in ev if e[0] == "DATA")
    return data, (stamps[-1][0] - stamps[0][0]) if stamps else 0


def cancel(port, tls, upstream, who):
    """Seconds from a client's RST_STREAM(CANCEL) mid-response to the upstream seeing its
    connection close (None: still open after 3 s)."""
    c = Conn(port, tls)
    try:
        c.send(frame(HEADERS, EH | ES, 1, block(base("/slow?who=" + who), tls)))
        got, deadline = b"", time.time() + 5
        while len(got) < 3 and time.time() < deadline:
            f = c.read_frame(deadline)
            if f is None:
                break
            if f[0] == DATA:
                got += f[3]
        t0 = time.time()
        c.send(frame(h2.RST_STREAM, 0, 1, struct.pack(">I", 8)))
        while who not in upstream.closed and time.time() - t0 < 3:
            time.sleep(0.05)
    finally:
        c.close()
    return upstream.closed[who] - t0 if who in upstream.closed else None


def write_deadlines(port, tls, who):
    """A stream that outlives `write 1s`, and a second one opened on the same connection at
    1.5 s: [(stream, what, seconds after that stream began)] for their HEADERS and ends."""
    c = Conn(port, tls)
    t0, out, opened = time.time(), [], {1: time.time()}
    try:
        c.send(frame(HEADERS, EH | ES, 1, block(base("/slow?who=wt1-%s-%d" % (who, tls)), tls)))
        deadline = t0 + 4.5
        while time.time() < deadline:
            if 3 not in opened and time.time() - t0 > 1.5:
                opened[3] = time.time()
                c.send(frame(HEADERS, EH | ES, 3, block(base("/slow?who=wt3-%s-%d" % (who, tls)), tls)))
            f = c.read_frame(min(deadline, time.time() + 0.1))
            if f is None:
                continue
            ftype, _, sid, payload = f
            if ftype == HEADERS:
                out.append((sid, "HEADERS", round(time.time() - opened[sid], 1)))
            elif ftype == h2.RST_STREAM:
                out.append((sid, "RST %d" % struct.unpack(">I", payload)[0], round(time.time() - opened[sid], 1)))
            elif ftype == h2.GOAWAY:
                out.append((0, "GOAWAY", round(time.time() - t0, 1)))
    except OSError as e:
        out.append((0, "closed: %s" % e, round(time.time() - t0, 1)))
    finally:
        c.close()
    return out


def h2c_upgrade(port):
    """The status line an HTTP/1.1 request asking `Upgrade: h2c` gets."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(b"GET /echo HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                  b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n")
        data = b""
        while b"\r\n" not in data:
            d = s.recv(4096)
            if not d:
                break
            data += d
    except OSError:
        pass
    finally:
        s.close()
    return data.split(b"\r\n")[0].decode(errors="replace")


SAME = [
    ("upstream 304 with Content-Length", lambda p, t: as_sets(fetch(p, t, "/s304"))),
    ("upstream 204 with Content-Length: 0", lambda p, t: as_sets(fetch(p, t, "/s204"))),
    ("trailers", lambda p, t: as_sets(fetch(p, t, "/trailers", extra=[("te", "trailers")]))),
    ("103 Early Hints then 200", lambda p, t: as_sets(fetch(p, t, "/hints"))),
    ("HEAD", lambda p, t: as_sets(fetch(p, t, "/echo", "HEAD"))),
    ("body with content-length", lambda p, t: fetch(p, t, "/echo", "POST", [("content-length", "5")], b"hello")),
    ("body without content-length", lambda p, t: fetch(p, t, "/echo", "POST", body=b"hello")),
    ("empty body without content-length", lambda p, t: fetch(p, t, "/echo", "POST", body=b"")),
    ("GET without body", lambda p, t: fetch(p, t, "/echo")),
]


def compare(ports, upstream):
    for tls in (False, True):
        transport = "h2" if tls else "h2c"
        for name, case in SAME:
            want, got = case(ports["caddy"][tls], tls), case(ports["gatehouse"][tls], tls)
            check(want == got, "%s: %s as caddy" % (transport, name))
            if want != got:
                print("  caddy:     %r\n  gatehouse: %r" % (str(want)[:700], str(got)[:700]), flush=True)
        for path, what in (("/die", "an upstream that dies"), ("/rt/stall", "an upstream stalled past read_timeout")):
            want = cut_body(ports["caddy"][tls], tls, path)
            got = cut_body(ports["gatehouse"][tls], tls, path)
            check(want[:2] == got[:2] and b"hello" == got[1] and len(got[0]) == 1,
                  "%s: %s after 5 bytes: head and bytes as caddy: %r / %r" % (transport, what, want[:2], got[:2]))
            check(want[2] == "END_STREAM" and got[2] == "reset %d" % INTERNAL_ERROR,
                  "%s: %s: caddy ends the stream, gatehouse resets it (README): %s / %s"
                  % (transport, what, want[2], got[2]))
            if path.startswith("/rt/"):
                check(0.8 < got[3] < 2.5 and 0.8 < want[3] < 2.5,
                      "%s: the stall breaks after ~1 s (caddy %.2f, gatehouse %.2f)" % (transport, want[3], got[3]))
        for who in ("caddy", "gatehouse"):
            body, spread = sse_gaps(ports[who][tls], tls)
            check(body == b"".join(b"data: tok%d\n\n" % i for i in range(3)) and spread > 0.6,
                  "%s: %s passes SSE events as they come (%r over %.2f s)" % (transport, who, body, spread))
            took = cancel(ports[who][tls], tls, upstream, "%s-%s" % (who, transport))
            check(took is not None and took < 2,
                  "%s: %s closes the upstream connection on the client's RST_STREAM (%r s)" % (transport, who, took))
    for tls in (False, True):
        transport = "h2" if tls else "h2c"
        want = write_deadlines(ports["caddy"]["wt"][tls], tls, "caddy")
        got = write_deadlines(ports["gatehouse"]["wt"][tls], tls, "gatehouse")
        shape = [(1, "HEADERS"), (1, "RST 2"), (3, "HEADERS"), (3, "RST 2")]
        on_time = all(0.8 <= e[2] <= 1.6 for r in (want, got) for e in r if e[1].startswith("RST"))
        check([e[:2] for e in want] == [e[:2] for e in got] == shape and on_time,
              "%s: write 1s resets each stream at its own deadline, the connection stays: %r / %r"
              % (transport, want, got))
        time.sleep(0.5)
        for who in ("caddy", "gatehouse"):
            check("wt1-%s-%d" % (who, tls) in upstream.closed and "wt3-%s-%d" % (who, tls) in upstream.closed,
                  "%s: %s closes the upstream connections of the streams it reset" % (transport, who))
    want, got = h2c_upgrade(ports["caddy"][False]), h2c_upgrade(ports["gatehouse"][False])
    check(want.startswith("HTTP/1.1 101"), "caddy 2.6.2 switches to h2c on Upgrade (%r)" % want)
    check(got.startswith("HTTP/1.1 200"), "gatehouse answers an Upgrade: h2c request in HTTP/1.1 (%r)" % got)


def main():
    if len(sys.argv) < 2:
        print("usage: h2_proxy_vs_caddy_test.py <gatehouse>")
        return 2
    if shutil.which("caddy") is None:
        print("skip: caddy not installed")
        return 77
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="gh-h2proxy-")
    upstream = Upstream()
    ca = tls_pki.make_ca(tmp)
    crt, key = tls_pki.make_leaf(tmp, "leaf", ["DNS:localhost", "IP:127.0.0.1"], ca)
    ports = {who: {False: free_port(), True: free_port(), "wt": {False: free_port(), True: free_port()}}
             for who in ("caddy", "gatehouse")}

    def caddyfile(p):
        return CADDYFILE % {"h2c": p[False], "tls": p[True], "wt_h2c": p["wt"][False], "wt_tls": p["wt"][True],
                            "crt": crt, "key": key, "up": upstream.port}

    peer = CaddyPeer(caddyfile(ports["caddy"]), [ports["caddy"][False], ports["caddy"][True]] +
                     list(ports["caddy"]["wt"].values()), name="h2proxy")
    path = os.path.join(tmp, "Caddyfile")
    with open(path, "w") as f:
        f.write(caddyfile(ports["gatehouse"]))
    log = open(os.path.join(tmp, "gatehouse.log"), "w")
    env = dict(os.environ, XDG_DATA_HOME=tmp, XDG_CONFIG_HOME=tmp, HOME=tmp)
    gh = subprocess.Popen([binary, "run", "--config", path, "--adapter", "caddyfile", "--workers", "1"],
                          stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    try:
        up = all(wait_port(p, gh) for p in (ports["gatehouse"][False], ports["gatehouse"][True],
                                            *ports["gatehouse"]["wt"].values()))
        check(up, "gatehouse listens")
        if up:
            compare(ports, upstream)
    finally:
        peer.stop()
        if gh.poll() is None:
            gh.terminate()
            try:
                gh.wait(10)
            except subprocess.TimeoutExpired:
                gh.kill()
                gh.wait(5)
        log.close()
        upstream.close()
        if FAILURES:
            with open(os.path.join(tmp, "gatehouse.log")) as f:
                print("--- gatehouse log (last lines) ---\n" + "".join(f.readlines()[-30:]))
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
