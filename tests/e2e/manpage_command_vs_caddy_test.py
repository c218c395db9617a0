"""`gatehouse manpage --directory DIR` against caddy 2.6.2's: section 8 pages, one per command
(gatehouse-<command>.8 where caddy writes caddy-<command>.8) and an index page naming them
all; the directory created when missing; no --directory: exit 1 with caddy's error. Every
page formats without a groff warning, and shows its command's usage text."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
from harness import check, finish  # noqa: E402


def pages(binary, prefix, out, env):
    r = subprocess.run([binary, "manpage", "--directory", out], capture_output=True, text=True, env=env, timeout=60)
    check(r.returncode == 0, "%s manpage exits 0 (%s)" % (prefix, r.stderr[-200:]))
    names = set()
    for name in os.listdir(out) if os.path.isdir(out) else []:
        m = re.fullmatch(re.escape(prefix) + r"(?:-(.+))?\.8", name)
        check(m is not None, "%s: page name %s" % (prefix, name))
        if m:
            names.add(m.group(1) or "")
    r = subprocess.run([binary, "manpage"], capture_output=True, text=True, env=env, timeout=60)
    missing = (r.returncode, r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "")
    return names, missing


def main():
    binary = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="gh-manpage-")
    env = dict(os.environ, HOME=work)
    try:
        out = os.path.join(work, "gh", "deeper")  # not there yet: created
        ours, missing = pages(binary, "gatehouse", out, env)
        check(missing == (1, "Error: designated output directory and specified section are required"),
              "no --directory: exit 1 with caddy's error (%s)" % (missing,))
        commands = [line.split()[0] for line in subprocess.run(
            [binary, "help"], capture_output=True, text=True, timeout=60).stdout.split("commands:\n")[1].splitlines()
            if line.startswith("  ") and line.split()[0] != "help"]
        check(ours == set(commands) | {""}, "one page per command and the index: %s" % sorted(ours))
        with open(os.path.join(out, "gatehouse.8")) as f:
            index = f.read()
        check(all("\\fBgatehouse-%s(8)\\fP" % c in index for c in commands), "the index names every page")
        with open(os.path.join(out, "gatehouse-respond.8")) as f:
            check("usage: gatehouse respond" in f.read(), "a page shows its command's usage")
        if shutil.which("groff"):
            for name in sorted(os.listdir(out)):
                r = subprocess.run(["groff", "-man", "-z", "-ww", os.path.join(out, name)], capture_output=True,
                                   text=True, timeout=60)
                check(r.returncode == 0 and r.stderr == "", "%s formats cleanly: %r" % (name, r.stderr[:200]))
        caddy = shutil.which("caddy")
        if caddy:
            theirs, their_missing = pages(caddy, "caddy", os.path.join(work, "caddy"), env)
            check(their_missing == missing, "the same refusal as caddy: %s" % (their_missing,))
            # `certs` is Gatehouse's own
            check(theirs - ours == set() and ours - theirs == {"certs"},
                  "the same pages as caddy's and certs: caddy-only %s, gatehouse-only %s"
                  % (sorted(theirs - ours), sorted(ours - theirs)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
