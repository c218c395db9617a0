"""php_fastcgi and `reverse_proxy { transport fastcgi }` against a real php-fpm (its own
master on loopback and on a unix socket): the CGI variables PHP sees, request bodies (form
and a large upload, hashed by PHP), status/headers from the script (Status, repeated fields,
Set-Cookie, Location), capture_stderr, a flushing event stream arriving event by event,
php_fastcgi's index.php rewrite / directory redirect / static files, h2c clients and concurrent
load (h2load), read_timeout -> 504,
bounded memory for a large download and upload, and 502 once php-fpm is stopped."""
import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import php_fpm  # noqa: E402
from harness import check  # noqa: E402
from proxy_upstreams import vm_rss_kib  # noqa: E402
from sanitized import rss_within  # noqa: E402


def request(port, method, path, body=None, headers=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, resp.getheaders(), data


def header_values(headers, name):
    return [v for k, v in headers if k.lower() == name.lower()]


def php_json(port, method, path, body=None, headers=None):
    status, hdrs, data = request(port, method, path, body, headers)
    try:
        return status, hdrs, json.loads(data)
    except ValueError:
        return status, hdrs, {"raw": data[:300].decode("latin-1"), "server": {}}


def check_environment(port, root):
    status, _, d = php_json(port, "GET", "/index.php/extra/path?a=1&b=2",
                            headers={"X-Multi": "a", "x-multi": "b", "User-Agent": "gh-test"})
    s = d["server"]
    check(status == 200, "GET index.php/extra/path: 200 (%s)" % status)
    want = {
        "SCRIPT_FILENAME": root + "/index.php", "SCRIPT_NAME": "/index.php", "PATH_INFO": "/extra/path",
        "PATH_TRANSLATED": root + "/extra/path", "DOCUMENT_ROOT": root, "DOCUMENT_URI": "/index.php",
        "REQUEST_URI": "/index.php/extra/path?a=1&b=2", "QUERY_STRING": "a=1&b=2", "REQUEST_METHOD": "GET",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": str(port), "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "REQUEST_SCHEME": "http", "GATEWAY_INTERFACE": "CGI/1.1",
        "HTTP_HOST": "127.0.0.1:%d" % port, "HTTP_X_MULTI": "a, b", "HTTP_USER_AGENT": "gh-test",
        "HTTP_X_FORWARDED_FOR": "127.0.0.1", "HTTP_X_FORWARDED_PROTO": "http", "CONTENT_LENGTH": "0",
        "FOO": "bar/index.php",  # {path} after the rewrite to the script
    }
    for k, v in want.items():
        check(s.get(k) == v, "%s = %r (got %r)" % (k, v, s.get(k)))
    check("HTTPS" not in s, "no HTTPS on cleartext")
    # php-fpm holds a worker until this side closes after END_REQUEST: no request may wait
    # for a worker the previous ones still hold (4 children here).
    slowest = 0.0
    for _ in range(12):
        begun = time.time()
        request(port, "GET", "/index.php")
        slowest = max(slowest, time.time() - begun)
    # a request waiting for a held worker waits for the client's timeout; 2 s leaves room
    # for a loaded machine's php start-up
    check(slowest < 2.0, "12 sequential requests, none waits for a worker (slowest %.3fs)" % slowest)


def check_bodies(port):
    _, _, d = php_json(port, "POST", "/index.php", body="x=1&y=two",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(d.get("post") == {"x": "1", "y": "two"}, "form POST reaches $_POST (%r)" % d.get("post"))
    blob = os.urandom(24 << 20)
    _, _, d = php_json(port, "PUT", "/index.php", body=blob, headers={"Content-Type": "application/octet-stream"})
    check(d.get("body_len") == len(blob) and d.get("body_sha256") == hashlib.sha256(blob).hexdigest(),
          "24 MiB PUT arrives whole (len %s)" % d.get("body_len"))
    check(d["server"].get("CONTENT_LENGTH") == str(len(blob)), "CONTENT_LENGTH of the upload")
    status, hdrs, data = request(port, "HEAD", "/index.php")
    check(status == 200 and data == b"", "HEAD: 200 without a body (%s)" % status)


def check_status_and_headers(port, drain):
    status, hdrs, data = request(port, "GET", "/status.php")
    check(status == 418, "Status from http_response_code: 418 (%s)" % status)
    check(header_values(hdrs, "X-Custom") == ["one", "two"], "repeated fields kept (%r)" % header_values(hdrs, "X-Custom"))
    check(any(v.startswith("c1=v1") for v in header_values(hdrs, "Set-Cookie")), "Set-Cookie passed")
    check(data == b"teapot\n", "body (%r)" % data)
    check(header_values(hdrs, "Content-Length") == ["7"], "a small finished body gets its Content-Length")
    status, hdrs, _ = request(port, "GET", "/redirect.php")
    check(status == 302 and header_values(hdrs, "Location") == ["/elsewhere"], "Location: 302 (%s)" % status)
    deadline = time.time() + 5
    while time.time() < deadline and not any("hello from stderr" in line for line in drain.lines):
        time.sleep(0.1)
    logged = [line for line in drain.lines if "hello from stderr" in line]
    check(logged and '"logger":"http.reverse_proxy.transport.fastcgi"' in logged[0] and '"level":"error"' in logged[0],
          "capture_stderr logs the script's stderr (error level for a 4xx): %r" % logged[:1])


def check_stream(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    start = time.time()
    s.sendall(b"GET /stream.php HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    buf = b""
    first = None
    alone = False  # event 0 came in a read before event 1 (the script sends it 0.7 s later)
    while time.time() - start < 10:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
        if first is None and b"event 0" in buf:
            first = time.time() - start
            alone = b"event 1" not in buf
        if b"event 2" in buf and buf.endswith(b"0\r\n\r\n"):
            break
    total = time.time() - start
    s.close()
    check(first is not None and alone, "first SSE event at once, before the next (%.2fs)" % (first or -1))
    check(total > 1.3 and b"event 2" in buf, "the stream lasts as the script does (%.2fs)" % total)
    check(b"text/event-stream" in buf, "event stream content type")


def check_rewrites(port):
    _, _, d = php_json(port, "GET", "/some/route?x=1")
    s = d["server"]
    check(s.get("SCRIPT_NAME") == "/index.php" and s.get("REQUEST_URI") == "/some/route?x=1",
          "unknown path goes to index.php with the original REQUEST_URI (%r, %r)"
          % (s.get("SCRIPT_NAME"), s.get("REQUEST_URI")))
    status, hdrs, _ = request(port, "GET", "/sub")
    check(status == 308 and header_values(hdrs, "Location") == ["/sub/"], "directory redirect 308 /sub/ (%s)" % status)
    status, _, data = request(port, "GET", "/sub/")
    check(status == 200 and data == b"sub index /sub/index.php\n", "directory index.php (%r)" % data)
    status, _, data = request(port, "GET", "/static.txt")
    check(status == 200 and data == b"plain static file\n", "static file through file_server (%r)" % data)


def check_memory(port, pid):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/big.php?mb=128")
    resp = conn.getresponse()
    n = 0
    while True:
        piece = resp.read(1 << 16)
        if not piece:
            break
        n += len(piece)
    conn.close()
    check(n == 128 << 20, "128 MiB download complete (%d)" % n)
    blob = os.urandom(8 << 20)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.putrequest("PUT", "/index.php")
    conn.putheader("Content-Length", str(len(blob) * 12))
    conn.endheaders()
    for _ in range(12):
        conn.send(blob)
    d = json.loads(conn.getresponse().read())
    conn.close()
    check(d.get("body_len") == len(blob) * 12, "96 MiB upload complete (%s)" % d.get("body_len"))
    with open("/proc/%d/status" % pid) as f:
        hwm = [int(line.split()[1]) for line in f if line.startswith("VmHWM:")][0]
    check(rss_within(hwm < 64 * 1024), "peak RSS stays bounded (%d KiB, current %d KiB)" % (hwm, vm_rss_kib(pid)))


def check_h2_and_load(port):
    out = subprocess.run(["curl", "-s", "--http2-prior-knowledge", "-m", "10",
                          "http://127.0.0.1:%d/index.php/h2?x=1" % port], capture_output=True, text=True).stdout
    try:
        s = json.loads(out)["server"]
    except ValueError:
        s = {}
    check(s.get("SERVER_PROTOCOL") == "HTTP/2.0" and s.get("PATH_INFO") == "/h2",
          "h2c client: SERVER_PROTOCOL HTTP/2.0 (%r)" % s.get("SERVER_PROTOCOL"))
    for args, what in ((["-n", "300", "-c", "3", "-m", "10"], "300 requests on 30 concurrent h2c streams"),
                       (["--h1", "-n", "300", "-c", "16"], "300 HTTP/1.1 requests, 16 at once (4 php-fpm children)")):
        r = subprocess.run(["h2load"] + args + ["http://127.0.0.1:%d/index.php" % port],
                           capture_output=True, text=True, timeout=120)
        check("300 succeeded" in r.stdout and "300 2xx" in r.stdout,
              what + ": " + " / ".join(l.strip() for l in r.stdout.splitlines() if "succeeded" in l or "2xx" in l))


def main():
    if php_fpm.binary() is None:
        print("php-fpm is not installed (scripts/install-deps.sh installs php-fpm)")
        return 77
    work = tempfile.mkdtemp(prefix="gh-php-")
    root = os.path.realpath(os.path.join(work, "www"))
    php_fpm.write_site(root)
    sock = os.path.join(work, "php.sock")
    fpm_port = harness.free_port()
    fpm = php_fpm.PhpFpm(fpm_port, unix_path=sock)
    ports = [harness.free_port() for _ in range(4)]
    dead_port = harness.free_port()  # nothing listens there: the first upstream refuses
    cfg = os.path.join(work, "Caddyfile")
    with open(cfg, "w") as f:
        f.write("""{
	admin off
	servers {
		protocols h1 h2 h2c
	}
}
:%d {
	root * %s
	php_fastcgi 127.0.0.1:%d {
		env FOO bar{path}
		capture_stderr
	}
	file_server
}
:%d {
	root * %s
	php_fastcgi unix/%s {
		read_timeout 1s
	}
}
:%d {
	root * %s
	php_fastcgi 127.0.0.1:%d 127.0.0.1:%d {
		lb_policy first
		lb_try_duration 5s
		lb_try_interval 1s
		fail_duration 30s
	}
}
:%d {
	reverse_proxy 127.0.0.1:%d {
		transport fastcgi {
			root %s
			split .php
		}
	}
}
""" % (ports[0], root, fpm_port, ports[1], root, sock, ports[3], root, dead_port, fpm_port, ports[2], fpm_port, root))
    proc, _, drain, _ = harness.start(sys.argv[1], cfg, adapter="caddyfile", workers=1)
    try:
        check_environment(ports[0], root)
        check_bodies(ports[0])
        check_status_and_headers(ports[0], drain)
        check_stream(ports[0])
        check_rewrites(ports[0])
        check_h2_and_load(ports[0])
        _, _, d = php_json(ports[1], "GET", "/index.php?via=unix")
        check(d["server"].get("QUERY_STRING") == "via=unix", "unix socket upstream (%r)" % d.get("raw", "ok"))
        begun = time.time()
        status, _, _ = request(ports[1], "GET", "/slow.php")
        # slow.php answers after 3 s: a 504 before then is the read_timeout's
        check(status == 504 and time.time() - begun < 2.9, "read_timeout 1s -> 504 (%s after %.1fs)"
              % (status, time.time() - begun))
        _, _, d = php_json(ports[2], "GET", "/index.php/x")
        s = d["server"]
        check(s.get("SCRIPT_FILENAME") == root + "/index.php" and s.get("PATH_INFO") == "/x"
              and s.get("DOCUMENT_ROOT") == root, "transport fastcgi with root and split (%r)" % s.get("SCRIPT_FILENAME"))
        # Load balancing over FastCGI upstreams: the first refuses, the request is retried on
        # the second after lb_try_interval (1 s); passive health then skips the first at once.
        took = []
        for i in range(3):
            begun = time.time()
            _, _, d = php_json(ports[3], "GET", "/index.php?lb=%d" % i)
            took.append(time.time() - begun)
            check(d["server"].get("QUERY_STRING") == "lb=%d" % i, "lb_policy first with a dead first upstream: "
                  "retried on the next (%.2fs)" % took[-1])
        check(took[0] >= 1.0, "the first request waited lb_try_interval before its retry (%.2fs)" % took[0])
        check(max(took[1:]) < 0.9, "after fail_duration marked it, the dead upstream is skipped at once: no "
              "lb_try_interval waited (%s)" % ["%.2f" % t for t in took])
        check_memory(ports[0], proc.pid)
        fpm.stop()
        status, _, _ = request(ports[0], "GET", "/index.php")
        check(status == 502, "php-fpm stopped (tcp): 502 (%s)" % status)
        status, _, _ = request(ports[1], "GET", "/index.php")
        check(status == 502, "php-fpm stopped (unix): 502 (%s)" % status)
    finally:
        fpm.stop()
        harness.stop(proc, drain)
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
