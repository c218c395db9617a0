#!/usr/bin/env python3
"""End-to-end: named routes (`&(name) { ... }` + `invoke`), provisioned once per server and
run as a subroute; the allow_h2c server option; refusals of what cannot run (invoke cycles,
unknown names, subroute error routes around reverse_proxy inside error routes). caddy 2.6.2 knows neither
named routes nor allow_h2c, so this is not a differential test (subroute error routes are:
tests/compat/cases/subroute_errors).
Usage: handlers_invoke_test.py <path-to-gatehouse>
"""
import json
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
from handlers_support import Server, adapt, check, finish  # noqa: E402

# (As Caddy 2.7+, a named route made of one unmatched route keeps only its first handler,
# so multi-handler routes below are wrapped in `route`.)
CADDYFILE = """\
&(app) {
	route {
		header X-Named app
		respond "app {path} who={vars.who}"
	}
}

&(chain) {
	route {
		vars who chain
		invoke app
	}
}

&(middle) {
	header X-Middle yes
}

&(gate) {
	@secret path /gate/secret
	respond @secret "no" 403
}

:80 {
	@a path /a/*
	invoke @a app

	handle /b/* {
		invoke chain
	}
	handle /m {
		invoke middle
		respond "after middle"
	}
	handle /gate/* {
		invoke gate
		respond "gate passed"
	}
	respond "fallthrough {path}"
}
"""


def check_named_routes(binary, tmp):
    cfg_path = adapt(binary, CADDYFILE, tmp)
    with open(cfg_path) as f:
        cfg = json.load(f)
    named = cfg["apps"]["http"]["servers"]["srv0"].get("named_routes", {})
    check(sorted(named) == ["app", "chain", "gate", "middle"], "adapter emits the named routes: %r" % sorted(named))
    srv = Server(binary, cfg_path, workers=2)
    try:
        st, hd, body = srv.request("/a/x")
        check(st == 200 and body == b"app /a/x who=" and hd.get("x-named") == "app",
              "invoke runs the named route: %r %r %r" % (st, hd, body))
        st, hd, body = srv.request("/b/y")
        check(st == 200 and body == b"app /b/y who=chain" and hd.get("x-named") == "app",
              "a named route invokes another, with vars set before: %r %r" % (st, body))
        st, hd, body = srv.request("/m")
        check(st == 200 and body == b"after middle" and hd.get("x-middle") == "yes",
              "a named route that does not answer lets the chain go on: %r %r %r" % (st, hd, body))
        st, _, body = srv.request("/gate/secret")
        check(st == 403 and body == b"no", "matchers inside a named route apply: %r %r" % (st, body))
        st, _, body = srv.request("/gate/open")
        check(st == 200 and body == b"gate passed", "an unmatched named route continues: %r %r" % (st, body))
        st, hd, body = srv.request("/z")
        check(st == 200 and body == b"fallthrough /z" and "x-named" not in hd,
              "invoke with a matcher skips other paths: %r %r" % (st, body))
        for _ in range(3):  # the same compiled route serves every request, on both workers
            st, _, body = srv.request("/a/again")
            check(st == 200 and body == b"app /a/again who=", "repeated invoke: %r %r" % (st, body))
    finally:
        srv.stop()


def run_refused(binary, tmp, name, cfg):
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    out = subprocess.run([binary, "run", "--adapter", "json", "--config", path], capture_output=True, text=True,
                         timeout=30)
    return out.returncode, out.stderr


def server_config(srv):
    srv.setdefault("listen", ["127.0.0.1:0"])
    return {"admin": {"disabled": True}, "apps": {"http": {"servers": {"srv0": srv}}}}


def check_refusals(binary, tmp):
    invoke = lambda n: {"handler": "invoke", "name": n}  # noqa: E731
    rc, err = run_refused(binary, tmp, "cycle", server_config({
        "routes": [{"handle": [invoke("a")]}],
        "named_routes": {"a": {"handle": [invoke("b")]}, "b": {"handle": [invoke("a")]}}}))
    check(rc != 0 and "named_routes.a" in err and "cycle (a -> b -> a)" in err, "invoke cycle refused: %r" % err)
    rc, err = run_refused(binary, tmp, "unknown", server_config({"routes": [{"handle": [invoke("nope")]}]}))
    check(rc != 0 and "routes[0].handle[0].name" in err and "'nope'" in err, "unknown named route refused: %r" % err)
    # Around a proxy they run (tests/compat/cases/proxy_subroute_errors), but not yet when the
    # subroute itself sits in error routes.
    rc, err = run_refused(binary, tmp, "proxy_errors", server_config({
        "routes": [{"handle": [{"handler": "static_response", "status_code": 200}]}],
        "errors": {"routes": [{"handle": [{"handler": "subroute", "routes": [{"handle": [invoke("p")]}],
                                           "errors": {"routes": [{"handle": [{"handler": "static_response"}]}]}}]}]},
        "named_routes": {"p": {"handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": "127.0.0.1:9"}]}]}}}))
    check(rc != 0 and "errors.routes[0].handle[0].errors" in err and "not supported yet" in err,
          "subroute error routes around a (named) reverse_proxy inside error routes refused: %r" % err)


def check_directive_refusals(binary, tmp):
    """Directives the adapter knows but the runtime lacks stop start-up naming the directive."""
    for directive, line in (("log_append", "log_append k v"),
                            ("fs", "fs myfs"), ("log_name", "log_name other")):
        path = os.path.join(tmp, "Caddyfile-" + directive)
        with open(path, "w") as f:
            f.write("{\n\tadmin off\n}\n\n127.0.0.1:0 {\n\t%s\n\trespond ok\n}\n" % line)
        out = subprocess.run([binary, "run", "--config", path, "--adapter", "caddyfile"], capture_output=True,
                             text=True, timeout=30)
        check(out.returncode != 0 and "Caddyfile directive `%s`" % directive in out.stderr
              and "not supported yet" in out.stderr, "%s refused naming the directive: %r" % (directive, out.stderr))


def check_allow_h2c(binary, tmp):
    path = os.path.join(tmp, "h2c.json")
    with open(path, "w") as f:
        json.dump(server_config({"allow_h2c": True, "routes": [
            {"handle": [{"handler": "static_response", "body": "proto={http.request.proto}"}]}]}), f)
    srv = Server(binary, path)
    try:
        base = "http://%s:%d/" % srv.addr
        h2 = subprocess.run(["curl", "-s", "--max-time", "10", "--http2-prior-knowledge", base],
                            capture_output=True, text=True, timeout=20)
        check(h2.stdout == "proto=HTTP/2.0", "allow_h2c serves h2c with prior knowledge: %r" % h2.stdout)
        st, _, body = srv.request("/")
        check(st == 200 and body == b"proto=HTTP/1.1", "allow_h2c keeps HTTP/1.1: %r %r" % (st, body))
    finally:
        srv.stop()


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        check_named_routes(binary, tmp)
        check_refusals(binary, tmp)
        check_directive_refusals(binary, tmp)
        check_allow_h2c(binary, tmp)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
