"""`gatehouse respond` against `caddy respond` (2.6.2), the same flags on loopback ports:
- a port range starts one server per port, each body's template ({{.N}} {{.Port}}
  {{.Address}}, trim markers) evaluated for its server and placeholders for the request;
  --header fields (canonical names, a later one replacing, a comma kept in the value); a
  "Server address:" line per
  listener on stdout;
- the unflagged argument as status (404) or body (--status 200 404), a JSON body's type,
  --body, a body piped on stdin, HEAD, the default --listen :0 (a free port, printed),
  --access-log, the "port 0 listener" log line;
- caddy's refusals, exit 1 with the same "Error:" line: too many arguments, an argument
  overridden by flags, a bad header, an unknown template field, an unclosed action, a
  reversed port range, a bad --status (which is read as Go's ParseInt base 0: 0x1F5 is 501)."""
import os
import re
import shutil
import sys

sys.dont_write_bytecode = True
from harness import check, finish  # noqa: E402
from ports import free_port, free_port_run  # noqa: E402
from quick_command import Quick, fetch, trusted  # noqa: E402


def serve(kind, binary, args, port=None, stdin_data=None):
    q = Quick(kind, binary, "respond", args, stdin_data=stdin_data, wait_port=port)
    q.wait_stdout("Server address:")
    return q


def normalized(answer, ports):
    """The answer with its server's port numbers as PORT+i (the two runs use other ports)."""
    status, headers, body = answer
    for i, port in enumerate(ports):
        body = body.replace(str(port).encode(), b"PORT+%d" % i)
    return status, headers, body


def served(kind, binary):
    got = {}
    first = free_port_run(3)
    ports = [first, first + 1, first + 2]
    q = serve(kind, binary, ["--listen", "127.0.0.1:%d-%d" % (first, first + 2), "--header", "x-a: 1",
                             "--header", "X-B:two ", "--header", "x-a: 3", "--header", "X-C: 1,Y: 2",
                             "n={{.N}} port={{ .Port }} at {{.Address}}  {{- /* c */ -}}  uri={http.request.uri}"],
              port=first + 2)
    try:
        for i, p in enumerate(ports):
            got["range %d" % i] = normalized(fetch(p, "/p?q=%d" % i), ports)
        got["range head"] = fetch(first + 1, "/", method="HEAD")
        got["printed"] = sorted(q.stdout().splitlines())
        check(got["printed"] == ["Server address: 127.0.0.1:%d" % p for p in ports],
              kind + ": one address line per server: %s" % got["printed"])
        want = "n=1 port=PORT+1 at 127.0.0.1:PORT+1uri=/p?q=1"
        check(got["range 1"][2] == want.encode(), kind + ": template per server: %s" % got["range 1"][2])
    finally:
        q.stop()
    for name, args in [("status arg", ["404"]), ("status flag, number body", ["--status", "200", "404"]),
                       ("json", ['{"a": [1, 2]}']), ("body flag", ["--body", "b", "--status", "201"]),
                       ("access log", ["--access-log", "logged"]),
                       ("hex status", ["--status", "0x1F5", "hex"])]:
        port = free_port()
        q = serve(kind, binary, ["--listen", "127.0.0.1:%d" % port, *args], port=port)
        try:
            got[name] = fetch(port, "/")
            if name == "access log":
                check(q.wait_stderr('"logger":"http.log.access","msg":"handled request"'),
                      kind + ": --access-log logs the request")
        finally:
            q.stop()
    port = free_port()
    q = serve(kind, binary, ["--listen", "127.0.0.1:%d" % port], port=port, stdin_data="piped {{.Port}}\n")
    try:
        got["stdin"] = normalized(fetch(port, "/"), [port])
        check(got["stdin"][2] == b"piped PORT+0\n", kind + ": the body piped on stdin")
    finally:
        q.stop()
    q = serve(kind, binary, [])
    try:
        m = re.search(r"Server address: \[::\]:(\d+)", q.stdout())
        check(m is not None, kind + ": --listen :0 prints the wildcard address and its port: %r" % q.stdout())
        got["any port"] = fetch(int(m.group(1)), "/") if m else None
        check(q.wait_stderr('"msg":"port 0 listener","input_address":":0","actual_address":"[::]:%s"'
                            % (m.group(1) if m else "")), kind + ": logs the port the kernel gave")
    finally:
        q.stop()
    return got


def refusals(kind, binary):
    got = {}
    port = "127.0.0.1:%d" % free_port()
    for args in [["a", "b"], ["--body", "b", "--status", "201", "c"], ["--header", "bad", "x"],
                 ["--header", "A:", "x"], ["{{.Foo}}"], ["x\n{{.N"], ["--status", "abc"], ["--status", "12_"]]:
        q = Quick(kind, binary, "respond", ["--listen", port, *args])
        got[" ".join(args).replace("\n", "\\n")] = (q.exit_code(), q.error_line())
        q.stop()
    q = Quick(kind, binary, "respond", ["--listen", "127.0.0.1:9002-9000", "x"])
    got["reversed range"] = (q.exit_code(), q.error_line())
    q.stop()
    for key, (code, line) in got.items():
        check(code == 1 and line, kind + ": %r: exit 1 with an error (%s, %s)" % (key, code, line))
    return got


def main():
    binary = os.path.abspath(sys.argv[1])
    before = trusted()
    ours = {"served": served("gatehouse", binary), "refused": refusals("gatehouse", binary)}
    caddy = shutil.which("caddy")
    if caddy:
        theirs = {"served": served("caddy", caddy), "refused": refusals("caddy", caddy)}
        for group in ours:
            for key in ours[group]:
                a, b = ours[group][key], theirs[group].get(key)
                if key == "printed":
                    continue  # the ports differ
                check(a == b, "same %s/%s: gatehouse %s, caddy %s" % (group, key, a, b))
    check(trusted() == before, "nothing was added to the trust store: %s" % trusted())
    return finish()


if __name__ == "__main__":
    sys.exit(main())
