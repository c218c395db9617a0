"""`gatehouse start` / `gatehouse stop` against caddy 2.6.2's: start launches `run --pingback`
in the background and returns once the child confirms it serves:
- exit 0 and "Successfully started <Name> (pid=N) - <Name> is running in the background",
  the pid the one --pidfile holds and alive after start returned, --envfile's variable in
  the served body, --watch reloading the changed file, then `stop --address` ends it;
- a config that fails (unknown directive, a port already taken) ends start with exit 1 and
  "Error: <name> process exited with error: exit status 1"; `run --pingback` to a closed
  port serves, then exits 1 with caddy's "dialing confirmation address" error.
Each server gets its own HOME/XDG directories and an admin endpoint on a free loopback
port; a started process left running by a failed check is stopped by its pid."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.dont_write_bytecode = True
from harness import check, finish  # noqa: E402
from ports import free_port  # noqa: E402


def alive(pid):
    """True while `pid` runs (a zombie, waiting for its new parent to reap it, does not)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def get(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=5) as r:
            return r.status, r.read().decode()
    except OSError as e:
        return None, str(e)


class Home:
    def __init__(self, kind, binary):
        self.kind, self.binary = kind, binary
        self.dir = tempfile.mkdtemp(prefix="gh-start-%s-" % kind)
        self.env = dict(os.environ, HOME=self.dir, XDG_CONFIG_HOME=os.path.join(self.dir, "cfg"),
                        XDG_DATA_HOME=os.path.join(self.dir, "data"))
        self.started = []

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)

    def run(self, *args):
        """(exit code, stdout, stderr) of `<binary> args`; output on files, as the started
        child keeps them open after the command returns."""
        out, err = self.path("out"), self.path("err")
        with open(out, "w") as o, open(err, "w") as e:
            try:
                code = subprocess.run([self.binary, *args], cwd=self.dir, env=self.env, stdout=o, stderr=e,
                                      stdin=subprocess.DEVNULL, timeout=30).returncode
            except subprocess.TimeoutExpired:
                code = None
        with open(out) as o, open(err, errors="replace") as e:
            return code, o.read(), e.read()

    def cleanup(self):
        for pid in self.started:
            if alive(pid):
                os.kill(pid, signal.SIGTERM)
        shutil.rmtree(self.dir, ignore_errors=True)


def caddyfile(admin, port, body):
    # skip_install_trust: a config that ever makes a certificate must not put the local CA
    # in the machine's trust store (no site here names a host, this is a safeguard)
    return "{\n\tadmin 127.0.0.1:%d\n\tskip_install_trust\n}\n:%d {\n\trespond \"%s\"\n}\n" % (admin, port, body)


def scenario(kind, binary):
    name = "Gatehouse" if kind == "gatehouse" else "Caddy"
    h = Home(kind, binary)
    got = {}
    try:
        admin, port = free_port(), free_port()
        h.write("Caddyfile", caddyfile(admin, port, "{$GREETING} one"))
        h.write("env", "GREETING=hello\n")
        extra = ["--workers", "1"] if kind == "gatehouse" else []
        code, out, err = h.run("start", "--config", "Caddyfile", "--adapter", "caddyfile", "--envfile", "env",
                               "--pidfile", "pid", "--watch", *extra)
        m = re.match(r"Successfully started %s \(pid=(\d+)\) - %s is running in the background\n$" % (name, name),
                     out)
        check(code == 0 and m is not None, kind + ": start exits 0 with the started line (%s, %r, %s)"
              % (code, out, "" if m else err[-300:]))
        pid = int(m.group(1)) if m else 0
        if pid:
            h.started.append(pid)
        with open(h.path("pid")) if os.path.exists(h.path("pid")) else open(os.devnull) as f:
            check(f.read().strip() == str(pid), kind + ": --pidfile holds the started pid")
        check(alive(pid), kind + ": the started process runs after start returned")
        got["served"] = get(port)
        check(got["served"] == (200, "hello one"), kind + ": serves with --envfile's variable: %s" % (got["served"],))

        h.write("Caddyfile", caddyfile(admin, port, "{$GREETING} two"))
        deadline = time.time() + 15
        while time.time() < deadline and get(port)[1] != "hello two":
            time.sleep(0.2)
        got["watched"] = get(port)
        check(got["watched"] == (200, "hello two"), kind + ": --watch reloads the changed file: %s" % (got["watched"],))

        code, out, err = h.run("stop", "--address", "127.0.0.1:%d" % admin)
        got["stop"] = code
        deadline = time.time() + 15
        while time.time() < deadline and alive(pid):
            time.sleep(0.1)
        check(code == 0 and not alive(pid), kind + ": stop ends the started process (%s)" % code)

        # failures: the child exits, start reports it
        h.write("Bad", caddyfile(free_port(), free_port(), "x").replace("respond", "bogus"))
        code, out, err = h.run("start", "--config", "Bad", "--adapter", "caddyfile", *extra)
        got["bad config"] = (code, out, err.strip().splitlines()[-1] if err.strip() else "")
        taken = socket.socket()
        taken.bind(("", 0))  # the wildcard a :PORT site binds
        taken.listen(1)
        h.write("Busy", caddyfile(free_port(), taken.getsockname()[1], "x"))
        code, out, err = h.run("start", "--config", "Busy", "--adapter", "caddyfile", *extra)
        taken.close()
        got["busy port"] = (code, out, err.strip().splitlines()[-1] if err.strip() else "")
        # run --pingback to an address nobody listens on: serving, then exit 1
        h.write("Alone", caddyfile(free_port(), free_port(), "x"))
        nobody = free_port()
        code, out, err = h.run("run", "--config", "Alone", "--adapter", "caddyfile", "--pingback",
                               "127.0.0.1:%d" % nobody, *extra)
        got["pingback refused"] = (code, err.strip().splitlines()[-1] if err.strip() else "")
        check(got["pingback refused"] == (1, "Error: dialing confirmation address: dial tcp 127.0.0.1:%d: connect: "
                                             "connection refused" % nobody),
              kind + ": run --pingback to a closed port: exit 1 (%s)" % (got["pingback refused"],))
        got["pingback refused"] = got["pingback refused"][0]
        for key in ("bad config", "busy port"):
            check(got[key] == (1, "", "Error: %s process exited with error: exit status 1" % kind),
                  kind + ": %s: exit 1 and the child's failure (%s)" % (key, got[key]))
            got[key] = got[key][0]
    finally:
        h.cleanup()
    return got


TRUST_STORE = "/usr/local/share/ca-certificates"


def trusted():
    return sorted(os.listdir(TRUST_STORE)) if os.path.isdir(TRUST_STORE) else []


def main():
    binary = os.path.abspath(sys.argv[1])
    before = trusted()
    ours = scenario("gatehouse", binary)
    check(trusted() == before, "gatehouse put nothing in the trust store: %s" % trusted())
    caddy = shutil.which("caddy")
    if caddy:
        theirs = scenario("caddy", caddy)
        check(trusted() == before, "caddy put nothing in the trust store: %s" % trusted())
        check(ours == theirs, "same answers: gatehouse %s, caddy %s" % (ours, theirs))
    return finish()


if __name__ == "__main__":
    sys.exit(main())
