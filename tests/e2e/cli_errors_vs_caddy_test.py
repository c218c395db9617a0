#!/usr/bin/env python3
"""The command line against caddy 2.6.2's, run side by side in an empty directory with their
own HOME/XDG directories: help with no arguments, `help`, `--help`, `help CMD` (stdout, exit
0), an unknown help topic (stderr, exit 0), and the refusals caddy's cobra/pflag prints on
stderr with exit 1: unknown flags and shorthands, a flag without its value, a bad boolean or
integer, unknown commands with "Did you mean this?", and each command's errors for a missing
file (adapt, validate, reload, run, start, stop, fmt, --envfile, untrust --cert), nothing to
reach at the admin address (stop, trust/untrust --address), wrong arguments (completion,
manpage, hash-password, untrust's conflicting flags). stderr must equal caddy's with "caddy"
read as "gatehouse", but for the differences listed in DIFFERENT (with the reason).
Usage: cli_errors_vs_caddy_test.py <path-to-gatehouse>
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
from harness import check, finish  # noqa: E402

HINT = " (is gatehouse running with its admin endpoint there?)"

# Exact: (args, exit status). stdout must be empty on both unless `out` is set.
ERRORS = [
    ["nosuch"], ["rn"], ["strat"], ["--nosuch"], ["-x"], ["help", "-x"], ["help", "--nosuch"],
    ["run", "--nosuch"], ["run", "-config", "x"], ["adapt", "--config"], ["version", "--foo"],
    ["build-info", "--x"], ["environ", "--x"], ["list-modules", "--bad"], ["adapt", "--pretty=xyz"],
    ["respond", "--status", "abc"], ["completion"], ["completion", "nosuch"], ["completion", "bash", "zsh"],
    ["completion", "bash", "--x"], ["run", "--help", "--nosuch"], ["adapt", "-h", "--pretty=x"], ["adapt", "--adapter", "nosuch", "--config", "/etc/hostname"],
    ["adapt"], ["adapt", "--config", "/nonexist"], ["validate", "--config", "/nonexist"], ["reload"],
    ["reload", "--config", "/nonexist"], ["run", "--config", "/nonexist"], ["stop", "--config", "/nonexist"],
    ["run", "--envfile", "/nonexist"], ["fmt"], ["fmt", "/nonexist"], ["manpage"],
    ["untrust", "--cert", "/nonexist"], ["untrust", "--cert", "/x", "--ca", "local"],
    ["untrust", "--cert", "/x", "--address", "a:1"], ["trust", "--config", "/nonexist"],
    ["untrust", "--config", "/nonexist"], ["hash-password", "--algorithm", "foo", "--plaintext", "x"],
    ["upgrade"], ["add-package", "x"], ["remove-package"], ["storage", "export"],
    ["hash-password", "--algorithm", "foo"],  # stdin is empty: the password is read first, "EOF"
]
# Nothing listens on port 1: caddy's "performing request" error, plus Gatehouse's hint.
UNREACHABLE = [["stop", "--address", "localhost:1"], ["trust", "--address", "127.0.0.1:1"],
               ["untrust", "--address", "localhost:1"], ["trust", "--ca", "foo", "--address", "localhost:1"]]
# (args, reason): Gatehouse's stderr differs from caddy's on purpose.
DIFFERENT = {
    ("upgrade",): "a line on why (one C++ binary, no build server) before 'Run ... for usage'",
    ("add-package", "x"): "the same line",
    ("remove-package",): "the same line",
    ("storage", "export"): "a line saying caddy 2.6.2 has no storage command and where the files are",
    ("trust", "--config", "/nonexist"): "no \"couldn't determine admin API address: \": Gatehouse reads the "
                                        "root from the config's storage, not from the admin API",
    ("untrust", "--config", "/nonexist"): "the same",
}
HELP = [[], ["help"], ["--help"], ["-h"], ["help", "run"], ["help", "help"], ["version", "-h"],
        ["adapt", "--help"], ["help", "run", "extra"], ["run", "--help", "--config", "x", "--watch"],
        ["respond", "--header", "A: b", "-h"]]


def run(binary, args, cwd, env):
    r = subprocess.run([binary, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=30,
                       stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout, r.stderr


def without_logs(text):
    """stderr without JSON log lines (the ts differs)."""
    return "".join(line for line in text.splitlines(True) if not line.startswith("{"))


def environ(binary, caddy, cwd, env):
    """caddy's lines, gatehouse.* for caddy.*; the environment itself the same but for $_."""
    _, cout, _ = run(caddy, ["environ"], cwd, env)
    _, gout, _ = run(binary, ["environ"], cwd, env)
    chead, cvars = cout.split("\n\n", 1)
    ghead, gvars = gout.split("\n\n", 1)
    cdirs = {k.replace("caddy.", "gatehouse."): v for k, v in (line.split("=", 1) for line in chead.splitlines())}
    gdirs = dict(line.split("=", 1) for line in ghead.splitlines())
    for key in ("gatehouse.HomeDir", "gatehouse.AppDataDir", "gatehouse.AppConfigDir",
                "gatehouse.ConfigAutosavePath", "runtime.GOOS", "runtime.GOARCH", "runtime.NumCPU", "os.Getwd"):
        check(gdirs.get(key) == cdirs.get(key), "environ %s=%s (caddy %s)" % (key, gdirs.get(key), cdirs.get(key)))
    strip = lambda text: [line for line in text.splitlines() if not line.startswith("_=")]  # noqa: E731
    check(strip(gvars) == strip(cvars), "environ: the same environment")


def fmt(binary, caddy, cwd, env):
    """2.6.2 exits 0 for a file not formatted yet (later Caddy exits 1), --diff and --overwrite too."""
    for args in (["fmt", "ugly"], ["fmt", "--diff", "ugly"], ["fmt", "--overwrite", "ugly"]):
        results = []
        for b in (caddy, binary):
            with open(os.path.join(cwd, "ugly"), "w") as f:
                f.write(":8080 {\nrespond   hi\n}\n")
            rc, out, err = run(b, args, cwd, env)
            results.append((rc, out, err, open(os.path.join(cwd, "ugly")).read()))
        check(results[0] == results[1] and results[0][0] == 0, "%s as caddy's: %r" % (args, results[1]))


def main():
    binary = os.path.abspath(sys.argv[1])
    caddy = shutil.which("caddy")
    if not caddy:
        print("FAIL: caddy 2.6.2 is needed (scripts/install-deps.sh)")
        return 1
    work = tempfile.mkdtemp(prefix="gh-cli-errors-")
    env = dict(os.environ, HOME=work, XDG_DATA_HOME=work + "/data", XDG_CONFIG_HOME=work + "/config")
    cwd = os.path.join(work, "cwd")
    os.makedirs(cwd)
    try:
        for args in ERRORS + UNREACHABLE:
            crc, cout, cerr = run(caddy, args, cwd, env)
            grc, gout, gerr = run(binary, args, cwd, env)
            want = without_logs(cerr).replace("caddy", "gatehouse")
            got = without_logs(gerr)
            if args in UNREACHABLE:
                got = got.replace(HINT, "")
            if args[0] in ("trust", "untrust") and "--config" in args:
                want = want.replace("couldn't determine admin API address: ", "")
            if args[0] in ("upgrade", "add-package", "remove-package", "storage"):
                lines = got.splitlines()  # caddy's two lines around Gatehouse's explanation
                same = len(lines) == 3 and "\n".join([lines[0], lines[2]]) + "\n" == want
            else:
                same = got == want
            check(crc == grc == 1 and cout == gout == "" and same,
                  "%s: exit %d/%d, stderr %r (caddy %r)" % (args, grc, crc, got, want))
        # caddy stop logs its failure as a warn line first; so does Gatehouse
        _, _, gerr = run(binary, ["stop", "--address", "localhost:1"], cwd, env)
        check('"msg":"failed using API to stop instance"' in gerr, "stop logs caddy's warning: %r" % gerr)
        for args in HELP:
            crc, cout, cerr = run(caddy, args, cwd, env)
            grc, gout, gerr = run(binary, args, cwd, env)
            check(crc == grc == 0 and cout and gout and cerr == gerr == "",
                  "%s: help on stdout, exit 0 (gatehouse %d, caddy %d)" % (args, grc, crc))
        crc, cout, cerr = run(caddy, ["help", "nosuch"], cwd, env)
        grc, gout, gerr = run(binary, ["help", "nosuch"], cwd, env)
        check(crc == grc == 0 and cout == gout == "" and gerr.startswith("Unknown help topic [`nosuch`]\n")
              and cerr.startswith("Unknown help topic [`nosuch`]\n"), "help nosuch: %r" % gerr[:60])
        # arguments caddy ignores, Gatehouse ignores too
        for args in (["version", "extra"], ["environ", "x"], ["build-info", "x"]):
            crc, cout, _ = run(caddy, args, cwd, env)
            grc, gout, _ = run(binary, args, cwd, env)
            check(crc == grc == 0 and cout and gout, "%s accepted (exit %d, caddy %d)" % (args, grc, crc))
        # a flag's value may start with a dash, as pflag takes it; "--" ends the flags
        open(os.path.join(cwd, "Caddyfile"), "w").write(":8080 {\n\trespond hi\n}\n")
        for args in (["adapt", "--config=Caddyfile", "--pretty=true"], ["adapt", "--adapter", "caddyfile", "--", "x"]):
            crc, cout, _ = run(caddy, args, cwd, env)
            grc, gout, _ = run(binary, args, cwd, env)
            check(crc == grc == 0 and gout.strip() == cout.strip(), "%s: the same JSON" % args)
        for args in (["hash-password", "--plaintext", "x", "--algorithm", "scrypt", "--salt", "somesalt"],
                     ["hash-password", "--plaintext", "pw", "--algorithm", "scrypt"]):
            crc, cout, _ = run(caddy, args, cwd, env)
            grc, gout, _ = run(binary, args, cwd, env)
            check(crc == grc == 0 and gout == cout, "%s: caddy's scrypt hash %r (caddy %r)" % (args, gout, cout))
        environ(binary, caddy, cwd, env)
        fmt(binary, caddy, cwd, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
