#!/usr/bin/env python3
"""End-to-end: reverse_proxy basics against a real upstream started here.

Header forwarding (X-Forwarded-*, Host, hop-by-hop removal both ways, header_up/down),
request bodies (Content-Length and chunked), keep-alive reuse of upstream connections,
502 for an unreachable upstream, 504 for response_header_timeout, handle_errors on a 502,
trusted_proxies, and ambiguous client framing (400 + close).
Usage: proxy_basic_test.py <path-to-gatehouse>
"""
import hashlib
import http.client
import json
import os
import shutil
import socket
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import proxy_upstreams as pu  # noqa: E402

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


def request(addr, method, path, headers=None, body=None, conn=None):
    c = conn or http.client.HTTPConnection(addr[0], addr[1], timeout=10)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    if conn is None:
        c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def raw(addr, data, timeout=5.0):
    s = socket.create_connection(addr, timeout=timeout)
    s.sendall(data)
    out = b""
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        pass
    s.close()
    return out


def proxy(dial, **extra):
    h = {"handler": "reverse_proxy", "upstreams": [{"dial": dial}]}
    h.update(extra)
    return h


def loopback_name():
    """A DNS name of this machine that resolves to 127.0.0.1 (its host name usually does)."""
    try:
        name = socket.gethostname()
        return name if socket.gethostbyname(name) == "127.0.0.1" else None
    except OSError:
        return None


LOOPBACK_NAME = loopback_name() or "localhost"


def config(up, dead_port, unix_up):
    return {
        "admin": {"disabled": True},
        "apps": {"http": {"servers": {
            "srv0": {
                "listen": ["127.0.0.1:0"],
                "routes": [
                    {"match": [{"path": ["/healthz"]}], "handle": [{"handler": "static_response", "body": "ok"}]},
                    {"match": [{"path": ["/dead"]}], "handle": [proxy("127.0.0.1:%d" % dead_port)]},
                    {"match": [{"path": ["/echo/unix"]}], "handle": [proxy(unix_up.dial)]},
                    {"match": [{"path": ["/echo/dns"]}], "handle": [proxy("%s:%d" % (LOOPBACK_NAME, up.port))]},
                    {"match": [{"path": ["/nodns"]}], "handle": [proxy("no-such-host.invalid:80")]},
                    {"match": [{"path": ["/echo/upstream-ph"]}], "handle": [proxy(up.dial, headers={
                        "request": {"set": {"Host": ["{http.reverse_proxy.upstream.hostport}"]}},
                        "response": {"set": {"X-Took": ["{http.reverse_proxy.upstream.latency_ms}"],
                                             "X-Status": ["{http.reverse_proxy.status_code}"]}}})]},
                    {"match": [{"path": ["/slow"]}], "handle": [proxy(up.dial, transport={
                        "protocol": "http", "response_header_timeout": "500ms"})]},
                    {"handle": [proxy(up.dial, headers={
                        "request": {"set": {"X-Added": ["{http.request.method}"]}, "delete": ["X-Drop"]},
                        "response": {"set": {"X-Down": ["yes"]}, "delete": ["X-Upstream-Secret"]}},
                        transport={"protocol": "http", "read_buffer_size": 1000000,
                                   "write_buffer_size": 1000000})]},
                ],
            },
            "srv1": {
                "listen": ["127.0.0.1:0"],
                "trusted_proxies": {"source": "static", "ranges": ["127.0.0.0/8"]},
                "routes": [
                    {"match": [{"path": ["/dead"]}], "handle": [proxy("127.0.0.1:%d" % dead_port)]},
                    {"handle": [proxy(up.dial)]},
                ],
                "errors": {"routes": [{"handle": [{
                    "handler": "static_response", "status_code": "{http.error.status_code}",
                    "body": "error {http.error.status_code} {http.error.status_text} id={http.error.id}"}]}]},
            },
        }}},
    }


def test_headers(addr):
    status, hdrs, body = request(addr, "GET", "/echo/a?b=c", headers={
        "Host": "chat.test", "X-Custom": "1", "X-Hop": "secret", "Connection": "keep-alive, X-Hop",
        "Keep-Alive": "timeout=5", "Proxy-Connection": "keep-alive", "Te": "gzip", "X-Drop": "x",
        "X-Forwarded-For": "6.6.6.6", "X-Forwarded-Host": "evil.test"})
    check(status == 200, "echo status %d" % status)
    seen = json.loads(body)
    up = {}
    for k, v in seen["headers"]:
        up.setdefault(k.lower(), []).append(v)
    check(seen["target"] == "/echo/a?b=c", "target forwarded: %r" % seen["target"])
    check(up.get("host") == ["chat.test"], "Host passed through: %r" % up.get("host"))
    check(up.get("x-custom") == ["1"], "end-to-end field forwarded")
    for hop in ("x-hop", "keep-alive", "proxy-connection", "te", "upgrade"):
        check(hop not in up, "hop-by-hop field %s removed" % hop)
    check(up.get("connection") in (None, ["keep-alive"]), "Connection to upstream: %r" % up.get("connection"))
    check(up.get("x-forwarded-for") == ["127.0.0.1"], "untrusted XFF replaced: %r" % up.get("x-forwarded-for"))
    check(up.get("x-forwarded-proto") == ["http"], "X-Forwarded-Proto: %r" % up.get("x-forwarded-proto"))
    check(up.get("x-forwarded-host") == ["chat.test"], "X-Forwarded-Host: %r" % up.get("x-forwarded-host"))
    check(up.get("x-added") == ["GET"], "header_up set with a placeholder: %r" % up.get("x-added"))
    check("x-drop" not in up, "header_up delete")
    check(hdrs.get("x-upstream") == "echo", "upstream response field passed back")
    check(hdrs.get("x-down") == "yes", "header_down set")
    check("keep-alive" not in hdrs, "Keep-Alive from the upstream removed")
    check(hdrs.get("server") == "Gatehouse", "Server: %r" % hdrs.get("server"))


def test_upstream_placeholders(addr, up):
    status, hdrs, body = request(addr, "GET", "/echo/upstream-ph", headers={"Host": "chat.test"})
    seen = {k.lower(): v for k, v in json.loads(body)["headers"]}
    check(seen.get("host") == up.dial, "header_up Host {upstream_hostport}: %r" % seen.get("host"))
    took = hdrs.get("x-took", "")
    check(took.replace(".", "", 1).isdigit(), "header_down {http.reverse_proxy.upstream.latency_ms}: %r" % took)
    # caddy 2.6.2 sets status_code only for a handle_response route: unknown (kept) here
    check(hdrs.get("x-status") == "{http.reverse_proxy.status_code}",
          "header_down {http.reverse_proxy.status_code} is unknown: %r" % hdrs.get("x-status"))


def test_bodies(addr):
    payload = bytes(range(256)) * 4000
    status, _, body = request(addr, "POST", "/echo/post", headers={"Host": "a"}, body=payload)
    seen = json.loads(body)
    check(status == 200 and seen["sha256"] == hashlib.sha256(payload).hexdigest(), "Content-Length body forwarded")
    check(seen["length"] == len(payload), "Content-Length body length %d" % seen["length"])

    def gen():
        for i in range(0, len(payload), 10000):
            yield payload[i:i + 10000]
    c = http.client.HTTPConnection(addr[0], addr[1], timeout=10)
    c.request("PUT", "/echo/chunked", body=gen(), headers={"Host": "a"}, encode_chunked=True)
    r = c.getresponse()
    seen = json.loads(r.read())
    c.close()
    check(seen["sha256"] == hashlib.sha256(payload).hexdigest(), "chunked body forwarded")
    te = [v for k, v in seen["headers"] if k.lower() == "transfer-encoding"]
    cl = [v for k, v in seen["headers"] if k.lower() == "content-length"]
    check(te == ["chunked"] and not cl, "chunked upstream framing, never both: te=%r cl=%r" % (te, cl))
    status, _, body = request(addr, "POST", "/echo/empty", headers={"Host": "a"}, body=b"")
    seen = json.loads(body)
    cl = [v for k, v in seen["headers"] if k.lower() == "content-length"]
    check(cl == ["0"], "empty POST framed with Content-Length: 0: %r" % cl)


def test_curl_and_head(addr):
    """Real curl: a 2 MB upload (curl sends Expect: 100-continue) and a HEAD."""
    import shutil
    import subprocess
    import tempfile
    if shutil.which("curl") is None:
        print("note: curl not installed; skipping the curl checks")
        return
    payload = bytes(range(256)) * 8192
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(payload)
        path = f.name
    url = "http://%s:%d/echo/curl" % addr
    out = subprocess.run(["curl", "-sS", "--max-time", "20", "-H", "Host: a", "--data-binary", "@" + path, url],
                         capture_output=True, timeout=30)
    os.unlink(path)
    try:
        seen = json.loads(out.stdout)
    except ValueError:
        seen = {}
    check(seen.get("sha256") == hashlib.sha256(payload).hexdigest(), "curl upload with Expect: 100-continue: %r" %
          out.stderr[-200:])
    status, hdrs, body = request(addr, "HEAD", "/echo/head", headers={"Host": "a"})
    check(status == 200 and body == b"" and hdrs.get("content-length", "").isdigit(), "HEAD keeps the upstream's length")
    status, _, body = request(addr, "GET", "/status?code=204", headers={"Host": "a"})
    check(status == 204 and body == b"", "204 from the upstream passed on")


def test_keepalive(addr, up):
    before = up.connections
    c = http.client.HTTPConnection(addr[0], addr[1], timeout=10)
    for i in range(5):
        status, _, _ = request(addr, "GET", "/echo/ka%d" % i, headers={"Host": "a"}, conn=c)
        check(status == 200, "keep-alive request %d" % i)
    c.close()
    check(up.connections - before <= 1, "5 requests used %d new upstream connections" % (up.connections - before))


def test_errors(addr0, addr1):
    status, _, body = request(addr0, "GET", "/dead", headers={"Host": "a"})
    check(status == 502 and body == b"", "unreachable upstream: %d %r" % (status, body))
    status, _, body = request(addr1, "GET", "/dead", headers={"Host": "a"})
    check(status == 502 and body.startswith(b"error 502 Bad Gateway id="), "handle_errors on 502: %d %r" % (status, body))
    check(len(body) == len(b"error 502 Bad Gateway id=") + 9, "error id is 9 characters: %r" % body)
    t0 = time.time()
    status, _, _ = request(addr0, "GET", "/slow?delay=3", headers={"Host": "a"})
    took = time.time() - t0
    check(status == 504, "response_header_timeout gives 504, got %d" % status)
    check(0.4 < took < 2.5, "504 after about 500 ms, took %.2f s" % took)


def test_trusted(addr1):
    _, _, body = request(addr1, "GET", "/echo/t", headers={
        "Host": "a", "X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "orig.test"})
    up = {k.lower(): v for k, v in json.loads(body)["headers"]}
    check(up.get("x-forwarded-for") == "1.2.3.4, 127.0.0.1", "trusted XFF appended: %r" % up.get("x-forwarded-for"))
    check(up.get("x-forwarded-proto") == "https", "trusted X-Forwarded-Proto kept")
    check(up.get("x-forwarded-host") == "orig.test", "trusted X-Forwarded-Host kept")


def test_framing(addr, up):
    before = up.connections
    out = raw(addr, b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"5\r\nhello\r\n0\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 400"), "CL + TE gets 400: %r" % out[:40])
    out = raw(addr, b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!")
    check(out.startswith(b"HTTP/1.1 400"), "differing Content-Length fields get 400: %r" % out[:40])
    out = raw(addr, b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")
    check(b"HTTP/1.1 200" not in out, "invalid chunk size never reaches a 200: %r" % out[:60])
    check(up.connections == before or b"400" in out, "bad framing closes")


def main():
    binary = sys.argv[1]
    up = pu.Upstream()
    tmp = tempfile.mkdtemp()
    unix_up = pu.Upstream("unix", unix_path=os.path.join(tmp, "up.sock"))
    proc, servers, drain = pu.start_gatehouse(binary, config(up, pu.unused_port(), unix_up))
    try:
        addr0 = pu.addr_of(servers, "srv0")
        addr1 = pu.addr_of(servers, "srv1")
        test_headers(addr0)
        test_bodies(addr0)
        status, hdrs, _ = request(addr0, "GET", "/echo/unix", headers={"Host": "a"})
        check(status == 200 and hdrs.get("x-upstream") == "unix", "unix socket upstream: %d" % status)
        status, _, _ = request(addr0, "GET", "/echo/dns", headers={"Host": "a"})
        check(status == 200, "upstream named %s resolved asynchronously: %d" % (LOOPBACK_NAME, status))
        status, _, _ = request(addr0, "GET", "/nodns", headers={"Host": "a"})
        check(status == 502, "unresolvable upstream name: 502, got %d" % status)
        test_upstream_placeholders(addr0, up)
        test_curl_and_head(addr0)
        test_keepalive(addr0, up)
        test_errors(addr0, addr1)
        test_trusted(addr1)
        test_framing(addr0, up)
    finally:
        pu.stop_gatehouse(proc, drain, FAILURES)
        up.close()
        unix_up.close()
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
