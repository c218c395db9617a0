#!/usr/bin/env python3
"""Adapter warnings match Caddy's: every Caddyfile of Caddy's adapt corpus, plus header_up
lint cases, is adapted by Debian's caddy and by gatehouse; the warnings each prints on stderr
(JSON log lines) must be the same messages at the same lines. Caddy's fmt hint names its own
command, so only the part before ';' of the formatting warning is compared.
Each case costs two short-lived processes (about 40 ms idle, far more on a loaded machine, as
each waits for a core), so the cases run WORKERS at a time, each in a directory of its own.

Usage: adapt_warnings_vs_caddy_test.py <path-to-gatehouse>   (exit 77 without caddy)
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.environ.get("GATEHOUSE_CORPUS", os.path.join(HERE, "..", "..", "..", "shared", "corpus"))

WORKERS = 4  # cases adapted at once: enough to overlap process start-up on two cores

HEADER_UP_CASES = [
    "X-Forwarded-For {remote_host}", "x-forwarded-for {http.request.remote.host}", "X-Forwarded-For 1.2.3.4",
    "+X-Forwarded-For {remote_host}", "-X-Forwarded-Proto", "X-Forwarded-Proto {scheme}",
    "X-Forwarded-Proto https", "X-Forwarded-Host {host}", "X-Forwarded-Host foo", "Host {hostport}",
    "Host {upstream_hostport}", "Host {host}", "X-Real-IP {remote_host}",
]


def warnings(argv, cwd):
    p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        return None
    out = []
    for line in p.stderr.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("level") != "warn":
            continue
        out.append((entry.get("msg", "").split(";")[0], entry.get("line")))
    return out


def compare(gh, folder, text, expects_error):
    """(caddy's warnings, gatehouse's) for one Caddyfile adapted in `folder`; None when the
    case is not compared (caddy rejects it, or both reject it as the corpus expects)."""
    os.mkdir(folder)
    with open(os.path.join(folder, "Caddyfile"), "w") as f:
        f.write(text)
    want = warnings(["caddy", "adapt", "--config", "Caddyfile"], folder)
    if want is None:
        return None  # caddy rejects it: errors are compared by the corpus runner
    got = warnings([gh, "adapt", "--config", "Caddyfile"], folder)
    if got is None and expects_error:
        return None
    return want, got


def main():
    gh = os.path.abspath(sys.argv[1])
    if not shutil.which("caddy"):
        print("caddy not installed: skipped")
        return 77
    inputs = []
    for path in sorted(glob.glob(os.path.join(CORPUS, "caddyfile_adapt", "*.caddyfiletest"))):
        with open(path) as f:
            parts = f.read().split("----------")
        # Newer Caddy (the corpus) rejects some inputs 2.6.2 accepts; gatehouse follows the corpus.
        expects_error = len(parts) > 1 and not parts[1].strip().startswith("{")
        inputs.append((os.path.basename(path), parts[0], expects_error))
    for case in HEADER_UP_CASES:
        text = ":8080 {\n\treverse_proxy 127.0.0.1:1 {\n\t\theader_up %s\n\t}\n}\n" % case
        inputs.append(("header_up " + case, text, False))
    failures = compared = 0
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(gh, os.path.join(tmp, str(i)), text, expects_error)
                for i, (_, text, expects_error) in enumerate(inputs)]
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            results = list(pool.map(lambda job: compare(*job), jobs))
    for (name, _, _), result in zip(inputs, results):
        if result is None:
            continue
        compared += 1
        want, got = result
        if got != want:
            failures += 1
            print("FAIL %s:\n  caddy:     %s\n  gatehouse: %s" % (name, want, got))
    print("%d inputs compared, %d differ" % (compared, failures))
    return 1 if failures or compared < 100 else 0


if __name__ == "__main__":
    sys.exit(main())
