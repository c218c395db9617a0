"""End-to-end, gatehouse against real caddy 2.6.2: `servers { listener_wrappers
{ http_redirect tls } }`. The same Caddyfile (an HTTPS site with a given certificate) runs
under both; raw bytes sent to the HTTPS port get byte-identical answers and the same close:
plain-HTTP requests a 308 to https (Location as Go prints it), requests Go cannot read no
answer, TLS clients their page. Gatehouse alone: the wrapper with `tls` first and
`proxy_protocol` (not in 2.6.2) are refused with caddy's messages.

Usage: http_redirect_wrapper_vs_caddy_test.py <path-to-gatehouse>
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from caddy_peer import serving  # noqa: E402
from harness import check  # noqa: E402

REQUESTS = [
    b"GET /p HTTP/1.1\r\nHost: localhost\r\n\r\n",
    b"GET /x?a=b&c HTTP/1.1\r\nHost: localhost:1234\r\n\r\n",
    b"GET /p HTTP/1.0\r\n\r\n",
    b"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
    b"GET /p HTTP/1.1\r\nHost: a\r\n\r\nGET /q HTTP/1.1\r\nHost: a\r\n\r\n",
    b"PUT /x HTTP/1.1\r\nHost: h\r\n\r\n",
    b"HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
    b"OPTIONS /x HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET /a%41b HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET /a%2fb HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET //x/y HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET /p?q=%zz HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET /p#frag HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET /p? HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET /p HTTP/1.1\r\nhost: Ab.C\r\n\r\n",
    b"GET /p HTTP/1.1\r\nHost: \r\n\r\n",
    b"GET /p HTTP/1.1\nHost: a\n\n",
    # Not one of Go's five plain-HTTP starts: handed to TLS, which closes.
    b"DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET http://other.example/abs HTTP/1.1\r\nHost: a\r\n\r\n",
    b"hello world\r\n\r\n",
    # Go cannot read these: closed without an answer.
    b"GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n",
    b"HEAD x HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET /p\r\nHost: a\r\n\r\n",
]


def send(port, data, wait=2.0):
    """What came back before the server closed (or `wait` passed), and whether it closed."""
    s = socket.create_connection(("127.0.0.1", port), timeout=wait)
    s.sendall(data)
    out, closed = b"", False
    deadline = time.time() + wait
    try:
        while time.time() < deadline:
            b = s.recv(65536)
            if not b:
                closed = True
                break
            out += b
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = True
    s.close()
    return out, closed


def caddyfile(http_port, https_port, cert, key, wrappers="http_redirect\n\t\t\ttls"):
    return """{
	admin off
	http_port %d
	https_port %d
	servers {
		listener_wrappers {
			%s
		}
	}
}
localhost:%d {
	tls %s %s
	respond "secure {http.request.proto}"
}
""" % (http_port, https_port, wrappers, https_port, cert, key)


def answers(who, binary, text, https_port):
    with serving(who, binary, text, [https_port], workers=2):
        out = [send(https_port, r) for r in REQUESTS]
        tls = subprocess.run(["curl", "-sk", "--max-time", "5", "https://localhost:%d/t" % https_port],
                             capture_output=True, text=True, timeout=20).stdout
        curl_plain = subprocess.run(["curl", "-si", "--max-time", "5", "http://127.0.0.1:%d/x?a=b" % https_port],
                                    capture_output=True, text=True, timeout=20).stdout
    return out, tls, curl_plain.replace(str(https_port), "PORT")


def refused(binary, text, base):
    path = os.path.join(base, "refused.Caddyfile")
    with open(path, "w") as f:
        f.write(text)
    p = subprocess.run([binary, "run", "--config", path, "--adapter", "caddyfile"], capture_output=True, text=True,
                       timeout=30)
    return p.returncode, p.stderr


def main():
    binary = os.path.abspath(sys.argv[1])
    base = tempfile.mkdtemp(prefix="gh-redirect-wrapper-")
    try:
        cert, key = os.path.join(base, "c.pem"), os.path.join(base, "k.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=DNS:localhost"], capture_output=True, check=True, timeout=60)
        got = {}
        for who in ("gatehouse", "caddy"):
            http_port, https_port = harness.free_port(), harness.free_port()
            got[who] = answers(who, binary, caddyfile(http_port, https_port, cert, key), https_port)
        (g, g_tls, g_curl), (c, c_tls, c_curl) = got["gatehouse"], got["caddy"]
        for req, ga, ca in zip(REQUESTS, g, c):
            check(ga == ca, "%r: gatehouse %r, caddy %r" % (req[:50], ga, ca))
        check(c[0] == (b"HTTP/1.0 308 Permanent Redirect\r\nLocation: https://localhost/p\r\nContent-Length: 0\r\n\r\n",
                       True), "caddy's redirect is as expected: %r" % (c[0],))
        check(g_tls == c_tls == "secure HTTP/2.0", "TLS still served: gatehouse %r, caddy %r" % (g_tls, c_tls))
        # curl's Host carries the HTTPS port, so the Location does too.
        check(g_curl == c_curl and "Location: https://127.0.0.1:PORT/x?a=b" in c_curl,
              "curl http:// to the HTTPS port: %r vs %r" % (g_curl, c_curl))

        http_port, https_port = harness.free_port(), harness.free_port()
        rc, err = refused(binary, caddyfile(http_port, https_port, cert, key, "tls\n\t\t\thttp_redirect"), base)
        check(rc != 0 and "unnecessary to specify the TLS listener wrapper in the first position" in err,
              "tls first refused as caddy does: " + err.strip()[-200:])
        rc, err = refused(binary, caddyfile(http_port, https_port, cert, key, "proxy_protocol"), base)
        check(rc != 0 and "module not registered: caddy.listeners.proxy_protocol" in err,
              "proxy_protocol (not in 2.6.2) refused as caddy does: " + err.strip()[-200:])
        rc, err = refused(binary, caddyfile(http_port, https_port, cert, key, "http_redirect"), base)
        check(rc != 0 and "http_redirect after TLS" in err and "not supported yet" in err,
              "http_redirect behind TLS refused: " + err.strip()[-200:])
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
