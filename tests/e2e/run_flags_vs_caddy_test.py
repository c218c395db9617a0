"""`run`'s service flags against caddy 2.6.2 (Debian's caddy.service runs `caddy run
--environ --config /etc/caddy/Caddyfile`, so a drop-in replacement must take them):
--envfile (caddy's KEY=VALUE dialect: export prefix, comments, quoted values that span
lines, file values over the environment, its error texts), --environ (the environment
printed before start), --pidfile (the pid, 0600, removed at exit), --watch (a changed file
is reloaded, a broken one reported and watched on). Each step runs on both servers."""
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.dont_write_bytecode = True
from harness import check, finish, interrupt  # noqa: E402
from ports import free_port  # noqa: E402

SITE = """{
	admin off
}
http://127.0.0.1:%(port)d {
	respond "%(body)s"
}
"""

ENVFILE = """# a comment
FOO=fromfile
export BAR=exported
  LEAD=1
SINGLE='single q'
MULTI="multi
line"
EMPTY=
QUOTED="has # hash"
TRAIL=val # comment
KEEP=x=y
"""
ENV_BODY = ("FOO[{env.FOO}] BAR[{env.BAR}] LEAD[{env.LEAD}] SINGLE[{env.SINGLE}] MULTI[{env.MULTI}] "
            "EMPTY[{env.EMPTY}] QUOTED[{env.QUOTED}] TRAIL[{env.TRAIL}] KEEP[{env.KEEP}]")
BAD_ENVFILES = {
    "NOEQ\n": "can't parse line 1; line should be in KEY=VALUE format",
    "OK=1\n=v\n": "missing or empty key on line 2",
    "A B=v\n": "invalid key on line 1: contains whitespace: A B",
    "V= x\n": "invalid value on line 1: whitespace before value: ' x'",
}


def get(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=3) as r:
            return r.status, r.read().decode()
    except OSError:
        return None, None


def wait_for(pred, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


class Run:
    def __init__(self, kind, binary, home, args, env=None):
        self.log_path = os.path.join(home, "log-%d" % time.monotonic_ns())
        self.log = open(self.log_path, "w")
        extra = ["--workers", "1"] if kind == "gatehouse" else []
        base = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, "cfg"),
                    XDG_DATA_HOME=os.path.join(home, "data"))
        base.update(env or {})
        self.proc = subprocess.Popen([binary, "run", *args, *extra], cwd=home, env=base, stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        interrupt(self.proc)
        self.log.close()


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def scenario(kind, binary, port):
    """Returns what the two servers must agree on."""
    home = tempfile.mkdtemp(prefix="gh-runflags-%s-" % kind)
    label = kind + ": "
    seen = {}
    try:
        cf = os.path.join(home, "Caddyfile")
        envfile = os.path.join(home, "env")
        pidfile = os.path.join(home, "run", "pid")
        os.makedirs(os.path.dirname(pidfile))
        write(cf, SITE % {"port": port, "body": ENV_BODY})
        write(envfile, ENVFILE)
        r = Run(kind, binary, home, ["--config", cf, "--adapter", "caddyfile", "--envfile", envfile, "--environ",
                                     "--pidfile", pidfile], env={"FOO": "fromenv", "MARKER": "m-%s" % kind})
        check(wait_for(lambda: get(port)[0] == 200), label + "serves with --envfile --environ --pidfile")
        seen["envfile"] = get(port)[1]
        check("FOO[fromfile]" in (seen["envfile"] or ""), label + "the file's value wins over the environment")
        check("MARKER=m-%s\n" % kind in r.text() and "FOO=fromfile\n" in r.text(),
              label + "--environ prints the environment (with the file's values)")
        check(wait_for(lambda: os.path.exists(pidfile)), label + "pid file written")
        with open(pidfile) as f:
            check(f.read().strip() == str(r.proc.pid), label + "pid file holds the pid")
        check(stat.S_IMODE(os.stat(pidfile).st_mode) == 0o600, label + "pid file 0600")
        r.stop()
        check(not os.path.exists(pidfile), label + "pid file removed at exit")

        for text, message in BAD_ENVFILES.items():
            write(envfile, text)
            r = Run(kind, binary, home, ["--config", cf, "--adapter", "caddyfile", "--envfile", envfile])
            try:
                rc = r.proc.wait(10)
            except subprocess.TimeoutExpired:
                rc = None
            r.stop()
            want = "loading additional environment variables: parsing environment file: " + message
            check(rc == 1 and want in r.text(), label + "bad envfile %r: exit 1, %r (%s)" % (text, message, rc))

        write(cf, SITE % {"port": port, "body": "one"})
        r = Run(kind, binary, home, ["--config", cf, "--adapter", "caddyfile", "--watch"])
        check(wait_for(lambda: get(port) == (200, "one")), label + "--watch: serves")
        check(wait_for(lambda: '"watching config file for changes"' in r.text()), label + "--watch: watching")
        write(cf, SITE % {"port": port, "body": "two"})
        check(wait_for(lambda: get(port) == (200, "two")), label + "--watch: a change is reloaded")
        write(cf, "garbage {\n")
        check(wait_for(lambda: '"unable to load latest config"' in r.text()), label + "--watch: a broken file is reported")
        check(get(port) == (200, "two"), label + "--watch: the running config stays")
        write(cf, SITE % {"port": port, "body": "three"})
        check(wait_for(lambda: get(port) == (200, "three")), label + "--watch: watched on after the error")
        check('"logger":"watcher"' in r.text(), label + "--watch: lines from the 'watcher' logger")
        r.stop()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return seen


def main():
    binary = os.path.abspath(sys.argv[1])
    port = free_port()
    ours = scenario("gatehouse", binary, port)
    if shutil.which("caddy"):
        theirs = scenario("caddy", shutil.which("caddy"), port)
        check(ours == theirs, "the same env values on both:\n  gatehouse %s\n  caddy     %s" % (ours, theirs))
    return finish()


if __name__ == "__main__":
    sys.exit(main())
