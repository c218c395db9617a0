#!/usr/bin/env python3
"""The default log (the server's own messages) and log sampling, against Debian's caddy 2.6.2:
- global `log { output file F; format console }`: both say "redirected default logger"
  (from stderr to F's absolute path) on stderr, then write their start-up and shutdown
  messages to F in the console layout (wall time, coloured level) and not on stderr;
- `level WARN` keeps the info messages out; a named log with `include http` gets the HTTP
  app's "server running" and nothing from other loggers;
- the process's own messages (loggers "" and admin*) go to the default log only, whatever
  its include/exclude say, while http* loggers follow every log's lists;
- JSON `sampling` (first 2, thereafter 3) on an access log keeps entries 1, 2, 5, 8 of 10,
  as zap's sampler;
then gatehouse only: a SIGUSR1 reload to another file says "redirected default logger" in
the old one, and the file writer's `mode` (Caddy 2.9+) sets the file's permissions; newer
writer options are refused naming the Caddy version.
Usage: default_log_vs_caddy_test.py <path-to-gatehouse>   (exit 77 when caddy is missing)
"""
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.dont_write_bytecode = True
from harness import check, finish, free_port, wait_port  # noqa: E402

def get(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=10) as r:
        return r.read()


def run(argv, cfg, adapter, port, home, requests=1, between=None):
    """Serves `cfg`, makes `requests` requests, stops; returns (served, stderr text)."""
    env = dict(os.environ, HOME=home, XDG_DATA_HOME=home, XDG_CONFIG_HOME=home)
    with open(os.path.join(home, "err.txt"), "w+") as err:
        # caddy knows no "json" adapter: a .json file is read as JSON by both.
        flags = ["--adapter", adapter] if adapter != "json" else []
        proc = subprocess.Popen(argv + ["run", "--config", cfg] + flags, stdout=subprocess.DEVNULL,
                                stderr=err, stdin=subprocess.DEVNULL, env=env)
        served = False
        try:
            served = wait_port(port, proc)
            if served:
                for _ in range(requests):
                    get(port)
                if between:
                    between(proc)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        err.seek(0)
        return served, err.read()


def json_lines(text):
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return ""


def console_line(text, msg):
    for line in text.splitlines():
        parts = line.split("\t")
        if msg in parts:
            return parts
    return None


def redirect_console(name, argv, tmp):
    home = os.path.join(tmp, name + "-console")
    os.makedirs(home)
    port = free_port()
    own = os.path.join(home, "logs", "own.log")
    cfg = os.path.join(home, "Caddyfile")
    with open(cfg, "w") as f:
        f.write("{\n\tadmin off\n\tlog {\n\t\toutput file %s\n\t\tformat console\n\t}\n}\n"
                ":%d {\n\tbind 127.0.0.1\n\trespond \"hi\"\n}\n" % (own, port))
    served, err = run(argv, cfg, "caddyfile", port, home)
    check(served, "%s serves with the default log redirected" % name)
    redirected = [e for e in json_lines(err) if e.get("msg") == "redirected default logger"]
    check(len(redirected) == 1 and redirected[0].get("from") == "stderr" and redirected[0].get("to") == own,
          "%s says on stderr: redirected default logger from stderr to %s (%s)" % (name, own, redirected))
    check("serving initial configuration" not in err, "%s keeps its start-up message off stderr" % name)
    text = read(own)
    return {"start": console_line(text, "serving initial configuration"),
            "stop": console_line(text, "shutdown complete"), "text": text}


def norm(s):
    return re.sub(r"\d+", "9", s)


def level_and_include(name, argv, tmp):
    home = os.path.join(tmp, name + "-level")
    os.makedirs(home)
    port = free_port()
    own = os.path.join(home, "own.log")
    http_log = os.path.join(home, "http.log")
    cfg = os.path.join(home, "Caddyfile")
    with open(cfg, "w") as f:
        f.write("{\n\tadmin off\n\tlog {\n\t\toutput file %s\n\t\tlevel WARN\n\t}\n"
                "\tlog httponly {\n\t\toutput file %s\n\t\tformat json\n\t\tinclude http\n\t}\n}\n"
                ":%d {\n\tbind 127.0.0.1\n\trespond \"hi\"\n}\n" % (own, http_log, port))
    served, _ = run(argv, cfg, "caddyfile", port, home)
    check(served, "%s serves with level WARN and a named log" % name)
    own_lines = json_lines(read(own))
    http_lines = json_lines(read(http_log))
    return {"own_info": [e for e in own_lines if e.get("level") == "info"],
            "running": [e for e in http_lines if e.get("msg") == "server running"],
            "loggers": sorted({e.get("logger", "").split(".")[0] for e in http_lines})}


SHARED_MESSAGES = ("serving initial configuration", "server running", "handled request",
                   "shutting down apps, then terminating", "exiting; byeee!! \U0001F44B", "shutdown complete")


def routing(name, argv, tmp):
    """Where each message goes: caddy 2.6.2 writes the process's own messages (loggers ""
    and admin*) to the default log only, even one whose `include` leaves them out; module
    loggers (http*) follow every log's lists. Returns {file: sorted (logger, msg)}."""
    home = os.path.join(tmp, name + "-routing")
    os.makedirs(home)
    port = free_port()
    files = {n: os.path.join(home, n + ".log") for n in ("default", "extra", "noadmin")}
    cfg = os.path.join(home, "Caddyfile")
    with open(cfg, "w") as f:
        f.write("{\n\tadmin off\n\tlog {\n\t\toutput file %s\n\t\tinclude http.log.access\n\t}\n"
                "\tlog extra {\n\t\toutput file %s\n\t}\n"
                "\tlog noadmin {\n\t\toutput file %s\n\t\texclude admin\n\t}\n}\n"
                ":%d {\n\tbind 127.0.0.1\n\tlog {\n\t\toutput discard\n\t}\n\trespond \"hi\"\n}\n"
                % (files["default"], files["extra"], files["noadmin"], port))
    served, _ = run(argv, cfg, "caddyfile", port, home)
    check(served, "%s serves with three logs" % name)
    return {n: sorted({(e.get("logger", ""), e["msg"]) for e in json_lines(read(p))
                       if e.get("msg") in SHARED_MESSAGES}) for n, p in files.items()}


def sampling(name, argv, tmp):
    home = os.path.join(tmp, name + "-sampling")
    os.makedirs(home)
    port = free_port()
    access = os.path.join(home, "access.log")
    cfg = os.path.join(home, "config.json")
    config = {
        "admin": {"disabled": True},
        "logging": {"logs": {
            "default": {"writer": {"output": "file", "filename": os.path.join(home, "own.log")},
                        "exclude": ["http.log.access.log0"]},
            "log0": {"writer": {"output": "file", "filename": access}, "encoder": {"format": "json"},
                     "include": ["http.log.access.log0"],
                     "sampling": {"interval": 300000000000, "first": 2, "thereafter": 3}}}},
        "apps": {"http": {"servers": {"srv0": {
            "listen": ["127.0.0.1:%d" % port],
            "routes": [{"handle": [{"handler": "static_response", "body": "hi"}]}],
            "logs": {"default_logger_name": "log0"}}}}}}
    with open(cfg, "w") as f:
        json.dump(config, f)
    served, _ = run(argv, cfg, "json", port, home, requests=10)
    check(served, "%s serves with a sampled access log" % name)
    return len(json_lines(read(access)))


def gatehouse_only(gh, tmp):
    home = os.path.join(tmp, "gh-reload")
    os.makedirs(home)
    port = free_port()
    first, second = os.path.join(home, "first.log"), os.path.join(home, "second.log")
    cfg = os.path.join(home, "Caddyfile")

    def write(own, extra=""):
        with open(cfg, "w") as f:
            f.write("{\n\tadmin off\n\tlog {\n\t\toutput file %s%s\n\t\tformat json\n\t}\n}\n"
                    ":%d {\n\tbind 127.0.0.1\n\trespond \"hi\"\n}\n" % (own, extra, port))

    def reload(proc):
        write(second)
        proc.send_signal(signal.SIGUSR1)
        deadline = time.time() + 15
        while time.time() < deadline and "serving reloaded configuration" not in read(second):
            time.sleep(0.05)

    write(first, " {\n\t\t\tmode 0640\n\t\t}")
    served, _ = run([gh], cfg, "caddyfile", port, home, between=reload)
    check(served, "gatehouse serves before the reload")
    mode = stat.S_IMODE(os.stat(first).st_mode) if os.path.exists(first) else None
    check(mode == 0o640, "output file { mode 0640 } gives the file mode 0640 (got %s)" % (oct(mode) if mode else mode))
    moved = [e for e in json_lines(read(first)) if e.get("msg") == "redirected default logger"]
    check(len(moved) == 1 and moved[0].get("from") == first and moved[0].get("to") == second,
          "the reload says redirected default logger from %s to %s in the old file (%s)" % (first, second, moved))
    msgs = [e.get("msg") for e in json_lines(read(second))]
    check("serving reloaded configuration" in msgs and "shutdown complete" in msgs,
          "the new file gets the reload and shutdown messages (%s)" % msgs)

    write(os.path.join(home, "x.log"), " {\n\t\t\troll_interval 12h\n\t\t}")
    out = subprocess.run([gh, "validate", "--config", cfg], capture_output=True, text=True, timeout=30)
    check(out.returncode == 1 and "roll_interval" in out.stderr and "Caddy 2.11" in out.stderr,
          "roll_interval is refused naming Caddy 2.11: %s" % out.stderr.strip()[-200:])


def main():
    gh = os.path.abspath(sys.argv[1])
    caddy = shutil.which("caddy")
    if not caddy:
        print("caddy not installed: skipping")
        return 77
    tmp = tempfile.mkdtemp(prefix="gh-default-log-")
    try:
        c, g = redirect_console("caddy", [caddy], tmp), redirect_console("gatehouse", [gh], tmp)
        for key, what in (("start", "serving initial configuration"), ("stop", "shutdown complete")):
            check(c[key] is not None and g[key] is not None, "both write '%s' to the file\n%s\n%s"
                  % (what, c["text"], g["text"]))
            if c[key] and g[key]:
                check(norm(g[key][0]) == norm(c[key][0]), "console time %r shaped as caddy's %r" % (g[key][0], c[key][0]))
                check(g[key][1] == c[key][1], "console level %r == caddy's %r" % (g[key][1], c[key][1]))

        c, g = level_and_include("caddy", [caddy], tmp), level_and_include("gatehouse", [gh], tmp)
        check(not c["own_info"] and not g["own_info"], "level WARN keeps info messages out (gatehouse: %s)"
              % g["own_info"])
        check(len(c["running"]) == 1 and len(g["running"]) == 1,
              "the log including 'http' gets 'server running' (caddy %d, gatehouse %d)"
              % (len(c["running"]), len(g["running"])))
        check([e.get("logger") for e in g["running"]] == [e.get("logger") for e in c["running"]],
              "'server running' comes from caddy's logger name (caddy %s, gatehouse %s)"
              % ([e.get("logger") for e in c["running"]], [e.get("logger") for e in g["running"]]))
        check(c["loggers"] == ["http"] and g["loggers"] == ["http"],
              "and only http loggers (caddy %s, gatehouse %s)" % (c["loggers"], g["loggers"]))

        c, g = routing("caddy", [caddy], tmp), routing("gatehouse", [gh], tmp)
        check(("", "serving initial configuration") in c["default"] and
              ("", "serving initial configuration") not in c["extra"],
              "caddy 2.6.2 writes its own messages to the default log only: %s" % c)
        for n in c:
            check(g[n] == c[n], "log %s takes the messages caddy's takes\n  gatehouse %s\n  caddy     %s" % (n, g[n], c[n]))

        c, g = sampling("caddy", [caddy], tmp), sampling("gatehouse", [gh], tmp)
        check(c == 4 and g == c, "sampling first 2 thereafter 3 keeps 4 of 10 entries (caddy %d, gatehouse %d)" % (c, g))

        gatehouse_only(gh, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
