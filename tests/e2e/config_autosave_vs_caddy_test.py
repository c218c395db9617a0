"""Config autosave and `run --resume`, against caddy 2.6.2: every config that starts running
(at start-up, through the admin API, from a config loader) is written to
$XDG_CONFIG_HOME/caddy/autosave.json as Go's json.Marshal prints it (0600 in a 0700
directory); a refused change leaves it alone; `persist: false` writes nothing;
`run --resume` serves the saved config (ignoring --config with a warning) and falls back to
the config file when nothing is saved. Both servers run the same steps with the same ports
one after the other, and their files must be byte-for-byte equal."""
import http.server
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.dont_write_bytecode = True
from harness import check, finish, interrupt  # noqa: E402
from ports import free_port  # noqa: E402

SITE = """{
	admin 127.0.0.1:%(admin)d
	skip_install_trust
	%(extra)s
}
http://127.0.0.1:%(port)d {
	respond "<hi> & {path}"
}
"""


class Server:
    def __init__(self, kind, binary, home, args, port):
        self.kind = kind
        self.env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, "cfg"),
                        XDG_DATA_HOME=os.path.join(home, "data"))
        self.log_path = os.path.join(home, "%s-%d.log" % (kind, time.monotonic_ns()))
        self.log = open(self.log_path, "w")
        extra = ["--workers", "1"] if kind == "gatehouse" else []
        if kind == "caddy" and args[-2:] == ["--adapter", "json"]:
            args = args[:-2]  # caddy reads JSON with no adapter (it has no "json" one)
        self.proc = subprocess.Popen([binary, "run", *args, *extra], stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=self.env, cwd=home)
        deadline = time.time() + 20
        while time.time() < deadline and self.proc.poll() is None:
            if get(port)[0] is not None:
                break
            time.sleep(0.05)

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def lines(self, msg):
        out = []
        for line in self.text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("msg") == msg:
                out.append(entry)
        return out

    def stop(self):
        interrupt(self.proc)
        self.log.close()


def get(port, path="/x"):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=3) as r:
            return r.status, r.read().decode()
    except OSError:
        return None, None


def admin_call(admin, method, path, body):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (admin, path), data=json.dumps(body).encode(),
                                 method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def saved(home):
    path = os.path.join(home, "cfg", "caddy", "autosave.json")
    try:
        with open(path, "rb") as f:
            return f.read(), stat.S_IMODE(os.stat(path).st_mode), stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode)
    except OSError:
        return None, None, None


def wait_saved(home, want, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        data = saved(home)[0]
        if data is not None and want in data:
            return data
        time.sleep(0.05)
    return saved(home)[0]


class Loader(http.server.BaseHTTPRequestHandler):
    config = b"{}"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.config)))
        self.end_headers()
        self.wfile.write(self.config)

    def log_message(self, *args):
        pass


def scenario(kind, binary, port, admin, loader_port):
    """Runs every step for one server; returns the files it saved, by step."""
    home = tempfile.mkdtemp(prefix="gh-autosave-%s-" % kind)
    files = {}
    label = kind + ": "
    try:
        caddyfile = os.path.join(home, "Caddyfile")
        with open(caddyfile, "w") as f:
            f.write(SITE % {"admin": admin, "port": port, "extra": ""})
        s = Server(kind, binary, home, ["--config", caddyfile, "--adapter", "caddyfile"], port)
        check(get(port) == (200, "<hi> & /x"), label + "serves the Caddyfile")
        data, mode, dmode = saved(home)
        files["start"] = data
        check(data is not None and mode == 0o600 and dmode == 0o700,
              label + "autosave.json written at start-up, 0600 in a 0700 folder (%s, %s)" %
              (oct(mode or 0), oct(dmode or 0)))
        check(len(s.lines("autosaved config (load with --resume flag)")) == 1, label + "'autosaved config' logged once")
        body = "/config/apps/http/servers/srv0/routes/0/handle/0/routes/0/handle/0/body"
        check(admin_call(admin, "PATCH", body, "changed") == 200, label + "PATCH through the admin API")
        files["patched"] = wait_saved(home, b'"changed"')
        check(files["patched"] is not None and b'"changed"' in files["patched"], label + "the change is autosaved")
        bad = admin_call(admin, "POST", "/config/apps/http/servers/srv0/routes/0/handle/0/zz", {"a": 1})
        check(bad >= 400, label + "a change that cannot load is refused (%d)" % bad)
        time.sleep(0.3)
        check(saved(home)[0] == files["patched"], label + "a refused change leaves the autosave alone")
        s.stop()

        s = Server(kind, binary, home, ["--resume"], port)
        check(get(port) == (200, "changed"), label + "--resume serves the autosaved config")
        check(len(s.lines("resuming from last configuration")) == 1, label + "'resuming from last configuration'")
        s.stop()

        s = Server(kind, binary, home, ["--resume", "--config", caddyfile, "--adapter", "caddyfile"], port)
        check(get(port) == (200, "changed"), label + "--resume with --config still resumes")
        warned = [e for e in s.lines("--config and --resume flags were used together; ignoring --config and "
                                     "resuming from last configuration") if e.get("level") == "warn"]
        check(len(warned) == 1, label + "a warning says --config is ignored")
        s.stop()

        os.unlink(os.path.join(home, "cfg", "caddy", "autosave.json"))
        s = Server(kind, binary, home, ["--resume", "--config", caddyfile, "--adapter", "caddyfile"], port)
        check(get(port) == (200, "<hi> & /x"), label + "--resume without an autosave serves --config")
        check(len(s.lines("no autosave file exists")) == 1, label + "'no autosave file exists'")
        s.stop()

        # persist false (JSON: caddy 2.6.2's Caddyfile lacks `persist_config`, which
        # gatehouse takes as newer Caddy does)
        os.unlink(os.path.join(home, "cfg", "caddy", "autosave.json"))
        unsaved = json.loads(files["start"])
        unsaved["admin"]["config"] = {"persist": False}
        with open(os.path.join(home, "unsaved.json"), "w") as f:
            json.dump(unsaved, f)
        s = Server(kind, binary, home, ["--config", os.path.join(home, "unsaved.json"), "--adapter", "json"], port)
        check(get(port) == (200, "<hi> & /x"), label + "persist false: serves")
        check(admin_call(admin, "PATCH", body, "again") == 200, label + "persist false: PATCH")
        time.sleep(0.3)
        check(get(port) == (200, "again"), label + "persist false: the change runs")
        check(saved(home)[0] is None and not s.lines("autosaved config (load with --resume flag)"),
              label + "persist false: nothing saved")
        s.stop()

        # a config loader: the fetched config is autosaved too (it runs through the same change)
        fetched = json.loads(files["patched"])
        fetched["apps"]["http"]["servers"]["srv0"]["routes"][0]["handle"][0]["routes"][0]["handle"][0]["body"] = \
            "fetched"
        Loader.config = json.dumps(fetched).encode()
        with open(caddyfile, "w") as f:
            f.write(SITE % {"admin": admin, "port": port, "extra": ""})
        with open(os.path.join(home, "loader.json"), "w") as f:
            initial = json.loads(files["start"])
            initial["admin"]["config"] = {"load": {"module": "http", "url": "http://127.0.0.1:%d/" % loader_port}}
            json.dump(initial, f)
        s = Server(kind, binary, home, ["--config", os.path.join(home, "loader.json"), "--adapter", "json"], port)
        deadline = time.time() + 10
        while time.time() < deadline and get(port) != (200, "fetched"):
            time.sleep(0.1)
        check(get(port) == (200, "fetched"), label + "loader: the fetched config serves")
        files["loaded"] = wait_saved(home, b'"fetched"')
        check(files["loaded"] is not None and b'"fetched"' in files["loaded"], label + "loader: fetched config autosaved")
        s.stop()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return files


def main():
    binary = os.path.abspath(sys.argv[1])
    caddy = shutil.which("caddy")
    port, admin, loader_port = free_port(), free_port(), free_port()
    loader = http.server.ThreadingHTTPServer(("127.0.0.1", loader_port), Loader)
    threading.Thread(target=loader.serve_forever, daemon=True).start()
    try:
        ours = scenario("gatehouse", binary, port, admin, loader_port)
        if caddy:
            theirs = scenario("caddy", caddy, port, admin, loader_port)
            for step in ("start", "patched", "loaded"):
                check(ours.get(step) == theirs.get(step),
                      "%s: the same bytes saved:\n  gatehouse %s\n  caddy     %s" % (step, ours.get(step),
                                                                                    theirs.get(step)))
        else:
            print("note: no caddy binary: compared with nothing")
    finally:
        loader.shutdown()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
