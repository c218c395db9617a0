#!/usr/bin/env python3
"""Differential: the exact bytes reverse_proxy writes to an HTTP/1.1 upstream, against
Debian's caddy 2.6.2 running the same Caddyfile and given the same client requests.

A recording upstream (one port per site) keeps every request it receives byte for byte:
the head as written and the body with its framing (chunk sizes, last chunk, trailers). Both
servers run one Caddyfile of four sites: a bare reverse_proxy, header_up rules (set, add,
delete, Host from a placeholder), `transport http { compression off; versions 1.1 }` and
`keepalive off`. Each site gets the same raw client requests: GET, HEAD, POST with
Content-Length, chunked POST, chunked POST announcing trailers, repeated fields, odd name
casing, `Connection: foo, keep-alive` naming extra fields, `TE: trailers`, `Upgrade`
with and without `Connection: upgrade`, Proxy-* fields, absolute-form targets, `%2F` and
other escapes in the path, a query with `+`/`%20`, a body on GET, HTTP/1.0 clients with
and without Host, empty values, X-Forwarded-* sent by the client, Accept-Encoding/Range,
DELETE/OPTIONS/PUT without a body, `Expect: 100-continue` with a body. The recorded
requests must be identical (nothing is normalized: the upstream ports are the same for
both runs, and so are the client's Host and address). The answer's status line is
compared too.
Exits 77 when caddy is not installed.
Usage: proxy_upstream_bytes_vs_caddy_test.py <gatehouse>
"""
import re
import shutil
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from harness import check, finish  # noqa: E402
from caddy_peer import serving  # noqa: E402
import ports  # noqa: E402
import tcp_servers  # noqa: E402

SITES = ["plain", "headers", "nocompress", "noalive", "agent", "forward"]

BODY = b"hello body"
REQUESTS = {
    "get": b"GET /p?x=1 HTTP/1.1\r\nHost: site.test\r\nUser-Agent: probe/1\r\nAccept: */*\r\n\r\n",
    "head": b"HEAD /h HTTP/1.1\r\nHost: site.test\r\nAccept: text/html\r\n\r\n",
    "post_length": b"POST /form HTTP/1.1\r\nHost: site.test\r\nContent-Type: text/plain\r\n"
                   b"Content-Length: 10\r\n\r\n" + BODY,
    "post_chunked": b"POST /chunked HTTP/1.1\r\nHost: site.test\r\nTransfer-Encoding: chunked\r\n"
                    b"Content-Type: a/b\r\n\r\n5\r\nhello\r\n5\r\n body\r\n0\r\n\r\n",
    "post_trailers": b"POST /trailers HTTP/1.1\r\nHost: site.test\r\nTransfer-Encoding: chunked\r\n"
                     b"Trailer: x-sum, X-Alpha\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 5\r\nX-Alpha: a\r\n\r\n",
    "post_empty_chunked": b"POST /ec HTTP/1.1\r\nHost: site.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "repeated": b"GET /rep HTTP/1.1\r\nHost: site.test\r\nX-A: 1\r\nAccept: a\r\nx-a: 2\r\nZed: z\r\n"
                b"accept: b\r\nCookie: a=1\r\nCookie: b=2\r\nX-A: 3\r\n\r\n",
    "casing": b"GET /case HTTP/1.1\r\nhost: site.test\r\nx-lower-case: v\r\nCONTENT-TYPE: t/u\r\n"
              b"X-UPPER-NAME: v\r\nx_under_score: v\r\nuser-agent: lower/1\r\nACCEPT-encoding: br\r\n"
              b"x-123-abc: n\r\n\r\n",
    "connection_names": b"GET /conn HTTP/1.1\r\nHost: site.test\r\nConnection: foo, keep-alive\r\nFoo: bar\r\n"
                        b"Keep-Alive: timeout=5\r\nBar: kept\r\n\r\n",
    "connection_close": b"GET /close HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\nA: 1\r\n\r\n",
    "te_trailers": b"GET /te HTTP/1.1\r\nHost: site.test\r\nTE: trailers\r\n\r\n",
    "te_other": b"GET /te2 HTTP/1.1\r\nHost: site.test\r\nTE: gzip, trailers\r\n\r\n",
    "upgrade_alone": b"GET /up HTTP/1.1\r\nHost: site.test\r\nUpgrade: websocket\r\n\r\n",
    "proxy_fields": b"GET /px HTTP/1.1\r\nHost: site.test\r\nProxy-Authorization: Basic eA==\r\n"
                    b"Proxy-Connection: keep-alive\r\nProxy-Authenticate: x\r\nProxy-Other: y\r\n\r\n",
    "absolute": b"GET http://abs.test:8080/abs/p?q=1 HTTP/1.1\r\nHost: other.test\r\n\r\n",
    "escapes": b"GET /a%2Fb/%41%7e/c%20d/x;y/@:!$&'()*+,=/%25/%E2%82%AC HTTP/1.1\r\nHost: site.test\r\n\r\n",
    "query": b"GET /q?a=b+c&d=%20e&f=%2B&g&h=&=i&j=%zz HTTP/1.1\r\nHost: site.test\r\n\r\n",
    "get_body": b"GET /gb HTTP/1.1\r\nHost: site.test\r\nContent-Length: 10\r\n\r\n" + BODY,
    "get_length_zero": b"GET /gz HTTP/1.1\r\nHost: site.test\r\nContent-Length: 0\r\n\r\n",
    "http10": b"GET /ten HTTP/1.0\r\nHost: site.test\r\nUser-Agent: old/1\r\n\r\n",
    "http10_nohost": b"GET /ten2 HTTP/1.0\r\nAccept: x\r\n\r\n",
    "empty_values": b"GET /ev HTTP/1.1\r\nHost: site.test\r\nX-Empty:\r\nUser-Agent:\r\nX-Blank:   \r\n"
                    b"X-Spaced:  a  b  \r\n\r\n",
    "forwarded_in": b"GET /fw HTTP/1.1\r\nHost: site.test\r\nX-Forwarded-For: 10.0.0.1\r\n"
                    b"X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.test\r\nForwarded: for=1.2.3.4\r\n\r\n",
    "accept_encoding": b"GET /ae HTTP/1.1\r\nHost: site.test\r\nAccept-Encoding: gzip, deflate\r\n\r\n",
    "range": b"GET /rg HTTP/1.1\r\nHost: site.test\r\nRange: bytes=0-1\r\n\r\n",
    "delete": b"DELETE /d HTTP/1.1\r\nHost: site.test\r\n\r\n",
    "options": b"OPTIONS /o HTTP/1.1\r\nHost: site.test\r\n\r\n",
    "put_empty": b"PUT /pe HTTP/1.1\r\nHost: site.test\r\nContent-Length: 0\r\n\r\n",
    "patch_chunked": b"PATCH /pc HTTP/1.1\r\nHost: site.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"a\r\nhello body\r\n0\r\n\r\n",
    "expect": b"POST /ex HTTP/1.1\r\nHost: site.test\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n" + BODY,
    "host_port": b"GET /hp HTTP/1.1\r\nHost: Site.Test:8443\r\nX-Drop: gone\r\nX-Multi: first\r\n\r\n",
    "no_ua": b"GET /nu HTTP/1.1\r\nHost: site.test\r\n\r\n",
    "two_ua": b"GET /tu HTTP/1.1\r\nHost: site.test\r\nUser-Agent: one\r\nUser-Agent: two\r\n\r\n",
    "fragment_utf8": b"GET /fr\xc3\xa9/a#frag?x HTTP/1.1\r\nHost: site.test\r\n\r\n",
    "dot_segments": b"GET //dbl//s/./d/../x HTTP/1.1\r\nHost: site.test\r\n\r\n",
    "options_star": b"OPTIONS * HTTP/1.1\r\nHost: site.test\r\n\r\n",
    "h2c_upgrade": b"GET /h2c HTTP/1.1\r\nHost: site.test\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                   b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n",
    "http10_post": b"POST /tenp HTTP/1.0\r\nHost: site.test\r\nConnection: keep-alive\r\nContent-Length: 10\r\n\r\n" + BODY,
    "http10_te": b"POST /tente HTTP/1.0\r\nHost: site.test\r\nTransfer-Encoding: chunked\r\n\r\n",
    "trailer_unchunked": b"POST /tu2 HTTP/1.1\r\nHost: site.test\r\nTrailer: X-T\r\nContent-Length: 10\r\n\r\n" + BODY,
    "two_connection": b"GET /c2 HTTP/1.1\r\nHost: site.test\r\nConnection: x-a\r\nConnection: X-B, close\r\n"
                      b"X-A: 1\r\nx-b: 2\r\nX-C: 3\r\n\r\n",
    "expect_other": b"GET /eo HTTP/1.1\r\nHost: site.test\r\nExpect: something\r\n\r\n",
    "ipv6_host": b"GET /v6 HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
    "host_dot": b"GET /hd HTTP/1.1\r\nHost: site.test.\r\n\r\n",
    "head_length": b"HEAD /hl HTTP/1.1\r\nHost: site.test\r\nContent-Length: 0\r\n\r\n",
    "many_fields": b"GET /mf HTTP/1.1\r\nHost: site.test\r\n" +
                   b"".join(b"X-F%02d: %d\r\n" % (99 - i, i) for i in range(80)) + b"\r\n",
    "chunk_ext": b"POST /ce HTTP/1.1\r\nHost: site.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"3;ext=1\r\nabc\r\n0\r\n\r\n",
}
# Sent last: after an upgrade the connection may be a tunnel.
LAST = {
    "upgrade_ws": b"GET /ws HTTP/1.1\r\nHost: site.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                  b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
}


class Recorder:
    """An HTTP/1.1 upstream per label: records each request's raw bytes (head and framed
    body) with its label; answers 200 "ok", keeping the connection unless asked to close."""

    def __init__(self, labels):
        self.lock = threading.Lock()
        self.log = []
        self.socks = {label: tcp_servers.listen() for label in labels}
        for label, s in self.socks.items():
            tcp_servers.serve(s, lambda conn, label=label: self._serve(conn, label))
        self.ports = {k: s.getsockname()[1] for k, s in self.socks.items()}

    def take(self):
        with self.lock:
            out, self.log = self.log, []
        return out

    def _serve(self, conn, label):
        buf = b""
        while True:
            raw, buf = read_request(conn, buf)
            if raw is None:
                return
            with self.lock:
                self.log.append((label, raw))
            head = raw.split(b"\r\n\r\n", 1)[0].lower()
            body = b"" if head.startswith(b"head ") else b"ok"
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n" + body)
            if b"\r\nconnection: close" in head:
                return


def _fill(conn, buf):
    data = conn.recv(65536)
    if not data:
        raise EOFError
    return buf + data


def read_request(conn, buf):
    """(the raw request, what follows it), or (None, b"") at EOF."""
    try:
        while b"\r\n\r\n" not in buf:
            buf = _fill(conn, buf)
        head, rest = buf.split(b"\r\n\r\n", 1)
        lower = head.lower()
        fields = {}
        for line in lower.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            fields.setdefault(name.strip(), value.strip())
        if b"chunked" in fields.get(b"transfer-encoding", b""):
            at = 0
            while True:  # chunks up to the last one, then trailer lines up to the empty one
                while b"\r\n" not in rest[at:]:
                    rest = _fill(conn, rest)
                end = rest.index(b"\r\n", at)
                size = int(rest[at:end].split(b";")[0], 16)
                at = end + 2
                if size == 0:
                    while rest[at:at + 2] != b"\r\n":
                        while b"\r\n" not in rest[at:]:
                            rest = _fill(conn, rest)
                        at = rest.index(b"\r\n", at) + 2
                    at += 2
                    break
                while len(rest) < at + size + 2:
                    rest = _fill(conn, rest)
                at += size + 2
            return head + b"\r\n\r\n" + rest[:at], rest[at:]
        n = int(fields.get(b"content-length", b"0") or b"0")
        while len(rest) < n:
            rest = _fill(conn, rest)
        return head + b"\r\n\r\n" + rest[:n], rest[n:]
    except (EOFError, OSError):
        return None, b""


def caddyfile(site_ports, up):
    return """{
	admin off
	auto_https off
	skip_install_trust
}
http://:%(plain)d {
	bind 127.0.0.1
	reverse_proxy 127.0.0.1:%(u_plain)d
}
http://:%(headers)d {
	bind 127.0.0.1
	reverse_proxy 127.0.0.1:%(u_headers)d {
		header_up X-Added "m={method}"
		header_up +X-Multi second
		header_up -X-Drop
		header_up Host {upstream_hostport}
		header_up a-lower "v"
		header_up Accept-Encoding ""
	}
}
http://:%(nocompress)d {
	bind 127.0.0.1
	reverse_proxy 127.0.0.1:%(u_nocompress)d {
		transport http {
			compression off
			versions 1.1
		}
	}
}
http://:%(noalive)d {
	bind 127.0.0.1
	reverse_proxy 127.0.0.1:%(u_noalive)d {
		transport http {
			keepalive off
		}
	}
}
http://:%(agent)d {
	bind 127.0.0.1
	reverse_proxy 127.0.0.1:%(u_agent)d {
		header_up -User-Agent
		header_up Accept-Encoding identity
		header_up X-Empty-Placeholder "{http.request.header.X-None}"
		header_up X-Tail "v {http.request.header.X-None}"
		header_up Connection "upgrade"
	}
}
http://:%(forward)d {
	bind 127.0.0.1
	forward_auth 127.0.0.1:%(u_forward)d {
		uri /auth?from={path}
		copy_headers X-User
	}
	respond "done"
}
""" % dict(site_ports, **{"u_" + k: v for k, v in up.ports.items()})


def exchange(port, raw):
    """Sends `raw` on a new connection; returns the status lines of the answer's heads up to
    the final one (b"" if none): an interim 100 comes before the request reaches the upstream,
    so the final head is what says the upstream has had it."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(raw)
        out, lines = b"", []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if b"\r\n\r\n" in out:
                head, out = out.split(b"\r\n\r\n", 1)
                lines.append(head.split(b"\r\n", 1)[0])
                if not re.match(rb"HTTP/1\.[01] 1(0[02-9]|[1-9]\d) ", lines[-1]):  # 101: a tunnel follows
                    break
                continue
            try:
                data = s.recv(65536)
            except socket.timeout:
                break
            if not data:
                break
            out += data
        if not lines and out:
            lines.append(out.split(b"\r\n", 1)[0])
        return b" | ".join(lines)
    finally:
        s.close()


def run(who, binary, site_ports, up):
    """{(site, request name): (status line, [(label, raw upstream request)])}."""
    seen = {}
    with serving(who, binary, caddyfile(site_ports, up), list(site_ports.values())):
        up.take()
        for site in SITES:
            for name, raw in list(REQUESTS.items()) + list(LAST.items()):
                status = exchange(site_ports[site], raw)
                time.sleep(0.02)  # the upstream logs before it answers; nothing is late
                seen[(site, name)] = (status, up.take())
    return seen


def main():
    if shutil.which("caddy") is None:
        print("caddy not installed: skipped")
        return 77
    binary = sys.argv[1]
    up = Recorder(SITES)
    site_ports = {site: ports.free_port() for site in SITES}
    caddy = run("caddy", binary, site_ports, up)
    ours = run("gatehouse", binary, site_ports, up)
    for key in caddy:
        want, got = caddy[key], ours.get(key)
        same = want == got
        check(same, "%s/%s: same upstream bytes and status" % key)
        if not same:
            print("  caddy:     %r" % (want,))
            print("  gatehouse: %r" % (got,))
    return finish()


if __name__ == "__main__":
    sys.exit(main())
