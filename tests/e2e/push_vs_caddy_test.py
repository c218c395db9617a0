"""`push` (HTTP/2 server push) against Debian's caddy 2.6.2: the same Caddyfile served by
both over h2c, driven by `nghttp -v` (which accepts pushes). The PUSH_PROMISE frames must
carry the same pushed requests (method, scheme, path, fields; :authority is each server's
own address), in the same order, and each pushed stream must be answered with the same
status. Also: no PUSH_PROMISE when the client disables push (SETTINGS_ENABLE_PUSH=0), for a
request that carries Caddy-Push, for a pushed request itself, and HTTP/1.1 (curl) answers
unchanged."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
from harness import check, finish, free_port, start, stop  # noqa: E402
from caddy_peer import CaddyPeer  # noqa: E402

CADDYFILE = """{
	admin off
	auto_https off
	servers {
		protocols h1 h2 h2c
	}
}

http://127.0.0.1:%(port)d {
	root * %(root)s
	push /index.html {
		GET /style.css
		HEAD /app.js?v=1
		"/img/a b.png"
		headers {
			+X-Extra yes
			X-Set set-{http.request.uri.path}
			-Accept-Language
		}
	}
	header /page.html Link "</style.css>; rel=preload; as=style, </skip.js>; rel=preload; nopush, <https://example.com/x.js>; rel=preload"
	header /page.html +Link "</app.js>"
	push /page.html
	push /bad.html {
		relative.css
		/never.css
	}
	push /headless.html /style.css
	file_server
}
"""

FILES = {
    "index.html": "<h1>index</h1>\n",
    "page.html": "<h1>page</h1>\n",
    "bad.html": "bad\n",
    "headless.html": "headless\n",
    "style.css": "body { color: red }\n",
    "app.js": "console.log(1)\n",
    "img/a b.png": "png\n",
}


def nghttp(url, *extra):
    out = subprocess.run(["nghttp", "-v", "-n", "--timeout=10", *extra, url], capture_output=True, text=True,
                         timeout=30)
    return out.stdout


def parse(output, authority):
    """nghttp -v prints a header block's fields ("recv (stream_id=N) name: value") before
    the frame line that carried it. Returns ([(parent, promised, fields)] of every
    PUSH_PROMISE, {stream: fields} of every response head)."""
    pending, pushes, heads = {}, [], {}
    lines = output.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"\[\s*[\d.]+\] recv \(stream_id=(\d+)\) (.+?): (.*)$", line)
        if m:
            name, value = m.group(2), m.group(3)
            if name == ":authority" and value == authority:
                value = "AUTHORITY"
            pending.setdefault(int(m.group(1)), []).append((name, value))
            continue
        m = re.search(r"recv PUSH_PROMISE frame <.*stream_id=(\d+)>", line)
        if m:
            parent = int(m.group(1))
            promised = None
            for nxt in lines[i + 1:i + 4]:
                mm = re.search(r"promised_stream_id=(\d+)", nxt)
                if mm:
                    promised = int(mm.group(1))
                    break
            pushes.append((parent, promised, pending.pop(parent, [])))
            continue
        m = re.search(r"recv HEADERS frame <.*stream_id=(\d+)>", line)
        if m:
            sid = int(m.group(1))
            heads.setdefault(sid, pending.pop(sid, []))
    return pushes, heads


def promises(output, authority=""):
    return parse(output, authority)[0]


def statuses(output):
    """{stream id: :status} of the response heads received."""
    return {sid: dict(fields).get(":status") for sid, fields in parse(output, "")[1].items()}


def request_stream(output):
    m = re.search(r"send HEADERS frame <.*stream_id=(\d+)>", output)
    return int(m.group(1)) if m else None


def summary(output, authority):
    """The pushes as the client saw them: request fields and the pushed stream's status."""
    pushes, heads = parse(output, authority)
    return [(fields, dict(heads.get(promised, [])).get(":status")) for _, promised, fields in pushes]


def main():
    binary = os.path.abspath(sys.argv[1])
    if not shutil.which("caddy") or not shutil.which("nghttp"):
        print("SKIP: needs caddy and nghttp")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "site")
        for name, body in FILES.items():
            path = os.path.join(root, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(body)
        gport, cport = free_port(), free_port()
        cfg = os.path.join(tmp, "Caddyfile")
        with open(cfg, "w") as f:
            f.write(CADDYFILE % {"port": gport, "root": root})
        proc, _, drain, _ = start(binary, cfg, adapter="caddyfile", workers=1)
        caddy = CaddyPeer(CADDYFILE % {"port": cport, "root": root}, [cport], name="push")
        try:
            run_checks(gport, cport)
        finally:
            caddy.stop()
            stop(proc, drain)
    return finish()


def run_checks(gport, cport):
    def both(path, *extra):
        ours = nghttp("http://127.0.0.1:%d%s" % (gport, path), *extra)
        theirs = nghttp("http://127.0.0.1:%d%s" % (cport, path), *extra)
        return ours, theirs

    lang = ("-H", "accept-language: de", "-H", "cache-control: no-cache", "-H", "x-other: no")
    ours, theirs = both("/index.html", *lang)
    got, want = summary(ours, "127.0.0.1:%d" % gport), summary(theirs, "127.0.0.1:%d" % cport)
    print("gatehouse pushes:", got)
    print("caddy pushes:    ", want)
    check(len(want) == 3, "caddy pushed the three resources of /index.html")
    check(got == want, "explicit resources: same PUSH_PROMISE fields and pushed statuses as caddy")
    parents = {p[0] for p in promises(ours, "")}
    check(parents == {request_stream(ours)}, "promised on the request's stream: %s" % parents)

    ours, theirs = both("/page.html")
    got, want = summary(ours, "127.0.0.1:%d" % gport), summary(theirs, "127.0.0.1:%d" % cport)
    print("gatehouse link pushes:", got)
    print("caddy link pushes:    ", want)
    check(len(want) == 2, "caddy pushed the two local, non-nopush Link resources")
    check(got == want, "Link fields: same pushes as caddy")

    ours, theirs = both("/bad.html")
    check(promises(ours, "") == [] and promises(theirs, "") == [],
          "a relative target ends the pushing (nothing pushed by either)")

    ours, theirs = both("/headless.html")
    got, want = summary(ours, "127.0.0.1:%d" % gport), summary(theirs, "127.0.0.1:%d" % cport)
    check(got == want and len(want) == 1, "the one-line form pushes like caddy: %s" % got)

    for label, extra in (("SETTINGS_ENABLE_PUSH=0", ("--no-push",)), ("Caddy-Push: 1", ("-H", "caddy-push: 1"))):
        ours, theirs = both("/index.html", *extra)
        check(promises(theirs, "") == [], "caddy pushes nothing with %s" % label)
        check(promises(ours, "") == [], "gatehouse pushes nothing with %s" % label)
        check(statuses(ours).get(request_stream(ours)) == "200", "the page itself is still served with %s" % label)

    # The pushed request itself (it carries Caddy-Push) pushes nothing: /index.html pushed
    # from a page would not push again; here /style.css is pushed from /headless.html only.
    ours = nghttp("http://127.0.0.1:%d/headless.html" % gport)
    check(len(promises(ours, "")) == 1, "exactly one push, none from the pushed stream")

    for port, who in ((gport, "gatehouse"), (cport, "caddy")):
        out = subprocess.run(["curl", "-s", "-i", "--http1.1", "http://127.0.0.1:%d/index.html" % port],
                             capture_output=True, text=True, timeout=20).stdout
        check(out.startswith("HTTP/1.1 200") and out.endswith("<h1>index</h1>\n"),
              "%s: HTTP/1.1 answers the page as before" % who)
    h1 = subprocess.run(["curl", "-s", "--http1.1", "-o", "/dev/null", "-w", "%{http_code}",
                         "http://127.0.0.1:%d/page.html" % gport], capture_output=True, text=True, timeout=20).stdout
    check(h1 == "200", "HTTP/1.1 with Link fields answers 200")


if __name__ == "__main__":
    sys.exit(main())
