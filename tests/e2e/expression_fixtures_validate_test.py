#!/usr/bin/env python3
"""The `expression` matchers of Caddy's adapter corpus provision as in Caddy 2.6.2: every
fixture that uses one (in its Caddyfile or its expected JSON) is validated by gatehouse and by
caddy, as a Caddyfile and as that JSON; both must accept it, or both refuse it with the same
CEL error (same <input>:LINE:COL and message). Configs gatehouse refuses for an unrelated
feature it lacks, or caddy 2.6.2 for newer syntax, are listed, not failed.

Usage: expression_fixtures_validate_test.py <path-to-gatehouse>   (exit 77 without caddy)
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
from harness import check, finish  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.environ.get("GATEHOUSE_CORPUS", os.path.join(HERE, "..", "..", "..", "shared", "corpus"))
CEL_ERROR = re.compile(r"ERROR: <input>:\d+:\d+: [^\n]*")


def validate(argv, cwd):
    env = dict(os.environ, XDG_DATA_HOME=os.path.join(cwd, "data"), XDG_CONFIG_HOME=os.path.join(cwd, "cfg"))
    p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60, env=env)
    return p.returncode == 0, p.stdout + p.stderr


def compare(name, ours, theirs):
    """Both accept, or both refuse with the same CEL error; True when compared."""
    ours_ok, ours_out = ours
    theirs_ok, theirs_out = theirs
    if not ours_ok and "not supported yet" in ours_out and ".expression" not in ours_out.split("not supported yet")[0]:
        print("listed: %s is refused for another feature: %s" % (name, ours_out.strip().splitlines()[-1][:160]))
        return False
    if not theirs_ok and "CEL" not in theirs_out:
        print("listed: caddy 2.6.2 refuses %s for another reason: %s" % (name, theirs_out.strip().splitlines()[-1][:200]))
        return False
    check(ours_ok == theirs_ok, "%s: gatehouse valid=%s, caddy valid=%s\n%s" % (name, ours_ok, theirs_ok, ours_out))
    if not ours_ok and not theirs_ok:
        mine = CEL_ERROR.search(ours_out)
        caddys = CEL_ERROR.search(theirs_out)
        check(mine is not None and caddys is not None and mine.group(0) == caddys.group(0),
              "%s: same CEL error: %s | %s" % (name, mine and mine.group(0), caddys and caddys.group(0)))
    return True


def main():
    binary = os.path.abspath(sys.argv[1])
    caddy = shutil.which("caddy")
    if not caddy or not os.path.isdir(CORPUS):
        print("skipped: caddy or the corpus is missing")
        return 77
    fixtures = sorted(glob.glob(os.path.join(CORPUS, "caddyfile_adapt", "*")))
    seen = 0
    with tempfile.TemporaryDirectory() as tmp:
        for fixture in fixtures:
            with open(fixture, encoding="utf-8") as f:
                parts = f.read().split("----------")
            if "expression" not in parts[0] and (len(parts) < 2 or '"expression"' not in parts[1]):
                continue
            name = os.path.basename(fixture)
            # The Caddyfile, adapted by each server itself.
            path = os.path.join(tmp, "Caddyfile")
            with open(path, "w") as f:
                f.write(parts[0])
            seen += compare(name, validate([binary, "validate", "--config", path], tmp),
                            validate([caddy, "validate", "--adapter", "caddyfile", "--config", path], tmp))
            # The fixture's JSON (what newer Caddy adapts it to), which caddy 2.6.2 may still load.
            if len(parts) > 1 and '"expression"' in parts[1]:
                path = os.path.join(tmp, "config.json")
                with open(path, "w") as f:
                    f.write(parts[1])
                seen += compare(name + " (JSON)",
                                validate([binary, "validate", "--adapter", "json", "--config", path], tmp),
                                validate([caddy, "validate", "--config", path], tmp))
    check(seen >= 8, "at least 8 configs with expressions compared (%d)" % seen)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
