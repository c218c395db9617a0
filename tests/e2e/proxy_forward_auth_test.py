#!/usr/bin/env python3
"""End-to-end: handle_response routes, copy_response, copy_response_headers and forward_auth
against real upstreams (a verifier at /auth and an echo app), from a Caddyfile.

- forward_auth: a 2xx from the verifier lets the request go on to the app with the copied
  fields (a client's own Remote-User replaced), the verifier sees GET, the original URI in
  X-Forwarded-Uri and no body; a 401 is the client's answer (status, WWW-Authenticate, body);
  the app gets the original method and body.
- handle_response routes see {rp.status_code}/{rp.header.*}; copy_response_headers
  include/exclude; copy_response with a status; routes that answer nothing let the chain
  go on to the next handler; keep-alive to the upstream survives an uncopied body.
Usage: proxy_forward_auth_test.py <path-to-gatehouse>
"""
import hashlib
import http.client
import json
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import proxy_upstreams as pu  # noqa: E402

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


CADDYFILE = """
{
	admin off
	auto_https off
	servers {
		protocols h1 h2c
	}
}
http://127.0.0.1:0 {
	handle /echo/fa/* {
		forward_auth AUTH {
			uri /auth?from=gatehouse
			copy_headers Remote-User Remote-Groups>X-Groups
		}
		reverse_proxy APP
	}
	handle /hr/* {
		route {
			reverse_proxy APP {
				rewrite /status?code={query.code}
				@ok status 2xx
				handle_response @ok {
					header X-Seen "{rp.status_code}"
				}
				@nf status 404
				handle_response @nf {
					copy_response_headers {
						exclude X-Upstream
					}
					respond "not found upstream ({rp.status_text})" 410
				}
				@err status 5xx
				handle_response @err {
					copy_response 502
				}
			}
			respond "after the proxy" 200
		}
	}
	handle /echo* {
		reverse_proxy APP {
			handle_response {
				copy_response_headers {
					include x-upstream
				}
				respond "echo said {rp.status_code} from {rp.header.X-Upstream}"
			}
		}
	}
}
"""


def request(addr, method, path, headers=None, body=None):
    c = http.client.HTTPConnection(addr[0], addr[1], timeout=10)
    h = {"Host": "127.0.0.1"}
    h.update(headers or {})
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def adapt(binary, text):
    out = subprocess.run([binary, "adapt", "--config", "/dev/stdin", "--adapter", "caddyfile"], input=text,
                         capture_output=True, text=True, timeout=20)
    if out.returncode != 0:
        raise SystemExit("adapt failed: " + out.stderr)
    return json.loads(out.stdout)


def main():
    binary = sys.argv[1]
    auth = pu.Upstream("auth")
    app = pu.Upstream("app")
    cfg = adapt(binary, CADDYFILE.replace("AUTH", auth.dial).replace("APP", app.dial))
    proc, servers, drain = pu.start_gatehouse(binary, cfg)
    try:
        addr = pu.addr_of(servers)
        # forward_auth: allowed
        st, h, body = request(addr, "POST", "/echo/fa/x?x=1", {"Authorization": "Bearer good", "Remote-User": "mallory"},
                              b"payload")
        check(st == 200 and h.get("x-upstream") == "app", "allowed: the app answers: %d %r" % (st, h))
        seen = json.loads(body) if st == 200 else {}
        fields = {}
        for k, v in seen.get("headers", []):
            fields.setdefault(k.lower(), []).append(v)
        check(fields.get("remote-user") == ["alice"], "Remote-User copied, the client's replaced: %r" % fields)
        check(fields.get("x-groups") == ["admins"], "Remote-Groups copied as X-Groups: %r" % fields)
        check(seen.get("method") == "POST" and seen.get("length") == 7 and
              seen.get("sha256") == hashlib.sha256(b"payload").hexdigest(),
              "the app gets the original method and body: %r" % seen)
        check("x-auth-saw" not in h, "the verifier's own fields are not copied to the client: %r" % h)
        # forward_auth: denied
        st, h, body = request(addr, "GET", "/echo/fa/y", {"Authorization": "Bearer bad"})
        check(st == 401 and body == b"denied" and h.get("www-authenticate") == 'Bearer realm="test"',
              "denied: the verifier's 401 is the answer: %d %r %r" % (st, h, body))
        check(len(app.sse_sent) == 0, "sanity")
        # handle_response routes without a response: the chain goes on
        st, h, body = request(addr, "GET", "/hr/x?code=204")
        check(st == 200 and body == b"after the proxy" and h.get("x-seen") == "204",
              "routes that answer nothing fall through to the next handler: %d %r %r" % (st, h, body))
        st, h, body = request(addr, "GET", "/hr/x?code=404")
        check(st == 410 and body == b"not found upstream (404 X)", "a route answers: %d %r" % (st, body))
        check("x-upstream" not in h and h.get("content-length") == str(len(body)),
              "copy_response_headers exclude; framing is ours: %r" % h)
        st, h, body = request(addr, "GET", "/hr/x?code=503")
        check(st == 502 and h.get("content-length") == "0", "copy_response with a status: %d %r" % (st, h))
        st, h, body = request(addr, "GET", "/echo/1")
        check(st == 200 and body == b"echo said 200 from app" and h.get("x-upstream") == "app"
              and h.get("content-type", "").startswith("text/plain"),
              "copy_response_headers include + placeholders: %d %r %r" % (st, h, body))
        # HTTP/2 (h2c): the routes run from the loop, not inside the upstream's callback
        if shutil.which("nghttp"):
            for path, auth_value, want in (("/echo/fa/h2", "Bearer good", ":status: 200"),
                                           ("/echo/fa/h2", "Bearer bad", ":status: 401"),
                                           ("/hr/x?code=204", "", ":status: 200"),
                                           ("/echo/3", "", ":status: 200")):
                args = ["nghttp", "-v", "http://127.0.0.1:%d%s" % (addr[1], path)]
                if auth_value:
                    args += ["-H", "authorization: " + auth_value]
                out = subprocess.run(args, capture_output=True, text=True, timeout=20).stdout
                check(want in out, "HTTP/2 %s (%s): %s: %r" % (path, auth_value, want, out[-600:]))
            out = subprocess.run(["nghttp", "http://127.0.0.1:%d/echo/fa/h2" % addr[1], "-H", "authorization: Bearer good"],
                                 capture_output=True, text=True, timeout=20).stdout
            check('"Remote-User", "alice"' in out, "HTTP/2: the app sees the copied field: %r" % out[:300])
        # the same keep-alive connection to the app serves later requests
        before = app.connections
        for _ in range(3):
            request(addr, "GET", "/echo/2")
        check(app.connections - before <= 1, "upstream keep-alive after uncopied bodies: %d new connections"
              % (app.connections - before))
    finally:
        pu.stop_gatehouse(proc, drain, FAILURES)
        auth.close()
        app.close()
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
