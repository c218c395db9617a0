#!/usr/bin/env python3
"""Differential adapter fuzzer: generated Caddyfiles adapted by Debian's caddy 2.6.2 and by
gatehouse must give the same JSON (compared parsed), or both fail, gatehouse's error naming
the FILE:LINE caddy names. Optionally `fmt` output (--fmt) and `validate` exit codes
(--validate) are compared too. Cases come from adapt_gen.py; case i of seed S uses the
generator seed S*1000003+i, so `--seed S --only i` reproduces one case.

Usage: adapt_fuzz.py <gatehouse> [--cases N] [--seed S] [--time-limit SEC] [--fmt] [--validate]
                     [--keep DIR] [--only I] [--verbose]
Exit 0 when no unexplained difference was found, 1 otherwise, 77 when caddy is missing.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adapt_gen  # noqa: E402

# The same environment for both programs ({$VAR} placeholders, no writes to the real home).
ENV_VARS = {"SITE_ADDR": "env.example.com", "ACME_EMAIL": "env@example.com", "LOGDIR": "/tmp/logs"}

# Differences explained by Gatehouse following newer Caddy on purpose (see the README's Status):
# (kind, regex on the case's text or the messages, reason).
KNOWN = [
    ("any", re.compile(r"<<[A-Z]"), "heredocs are Caddy 2.7 syntax (2.6.2 reads '<<EOF' as a word)"),
]


def run(argv, cwd, env, timeout=30):
    try:
        p = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return -1, "", "timeout"


def error_text(stderr):
    """The error message of a failed run, without JSON log lines (warnings)."""
    lines = []
    for line in stderr.splitlines():
        if line.startswith("{") and '"level"' in line:
            continue
        lines.append(line)
    return "\n".join(lines).strip()


def locations(msg, names):
    """Every FILE:LINE that a message names, for the files of the case."""
    found = []
    for name in names:
        for m in re.finditer(r"(?<![\w/.])(?:\./)?" + re.escape(name) + r":(\d+)", msg):
            found.append((name, int(m.group(1))))
    return found


def normalize(msg):
    """A message reduced to its shape, to group differences by cause."""
    msg = msg.replace("Error: ", "")
    msg = re.sub(r"(Caddyfile|snip\.caddy):\d+", "F:N", msg)
    msg = re.sub(r"'[^']*'", "'_'", msg)
    msg = re.sub(r'"[^"]*"', '"_"', msg)
    msg = re.sub(r"\d+", "N", msg)
    return msg[:160]


def short_path(path):
    """A JSON difference path reduced to its cause: no server names, nesting collapsed."""
    path = re.sub(r"\.servers\.[^.]+", ".servers.*", path)
    path = re.sub(r"(\.routes\[\]\.handle\[\])+", ".routes[].handle[]", path)
    path = re.sub(r"\.(logger_names|skip_hosts)\..*", r".\1", path)
    return path


def innermost(msg):
    """The innermost cause of a nested Caddy error ('parsing ... tokens for X: ... Error during
    parsing: cause')."""
    msg = msg.split("\n")[0]
    return msg.rsplit("Error during parsing: ", 1)[-1].rsplit("): ", 1)[-1]


def json_diff_path(a, b, path=""):
    """The first path where two JSON values differ, array indices as []."""
    if type(a) is not type(b):
        return path + " (type)"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return path + "." + k + (" (only caddy)" if k in a else " (only gatehouse)")
            if a[k] != b[k]:
                return json_diff_path(a[k], b[k], path + "." + k)
        return path
    if isinstance(a, list):
        if len(a) != len(b):
            return path + "[] (length)"
        for x, y in zip(a, b):
            if x != y:
                return json_diff_path(x, y, path + "[]")
        return path
    return path + " (value)"


def json_diffs(a, b, path=""):
    """Every smallest differing part of two JSON values: (path, caddy's, gatehouse's)."""
    if a == b:
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in json_diffs(a.get(k), b.get(k), path + "." + k)]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in json_diffs(x, y, "%s[%d]" % (path, i))]
    return [(path, a, b)]


def compare_case(gh, seed, idx, args, work):
    files, mutation = adapt_gen.generate(seed * 1000003 + idx)
    d = os.path.join(work, "case%d" % idx)
    os.makedirs(d, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    env = dict(os.environ, HOME=d, XDG_DATA_HOME=os.path.join(d, "data"),
               XDG_CONFIG_HOME=os.path.join(d, "config"), **ENV_VARS)
    env.pop("UPSTREAM", None)
    env.pop("ROOT", None)
    env.pop("USER", None)
    env.pop("EMAIL", None)
    res = {"idx": idx, "mutation": mutation, "files": files, "diffs": []}
    crc, cout, cerr = run(["caddy", "adapt", "--config", "Caddyfile", "--adapter", "caddyfile"], d, env)
    grc, gout, gerr = run([gh, "adapt", "--config", "Caddyfile"], d, env)
    cmsg, gmsg = error_text(cerr), error_text(gerr)
    res["caddy"], res["gatehouse"] = (crc, cout if crc == 0 else cmsg), (grc, gout if grc == 0 else gmsg)
    text = "\n".join(files.values())
    known = next((reason for kind, rx, reason in KNOWN if rx.search(text)), None)

    def diff(kind, sig, detail):
        res["diffs"].append({"kind": kind, "sig": sig, "detail": detail, "known": known})

    both_ok = False
    if crc == 0 and grc == 0:
        try:
            cj, gj = json.loads(cout), json.loads(gout)
        except ValueError as e:
            diff("bad_json", str(e)[:80], "")
            return res
        if cj != gj:
            diff("json", short_path(json_diff_path(cj, gj)), "")
        both_ok = True
    elif crc == 0:
        diff("gh_rejects", normalize(innermost(gmsg)), gmsg)
    elif grc == 0:
        diff("gh_accepts", normalize(innermost(cmsg)), cmsg)
    else:
        want = [loc for loc in locations(cmsg, list(files)) if loc[1] > 0]
        got = locations(gmsg, list(files))
        # Caddy names no line for errors found after parsing (addresses, listeners): then
        # any answer is accepted.
        if want and not set(want) & set(got):
            diff("err_line", normalize(innermost(cmsg)), "caddy: %s\ngatehouse: %s" % (cmsg, gmsg))
    if args.fmt and "<<" not in text:
        _, cf, _ = run(["caddy", "fmt", "Caddyfile"], d, env)
        _, gf, _ = run([gh, "fmt", "Caddyfile"], d, env)
        if cf != gf:
            diff("fmt", "fmt output differs", "")
    if args.validate and both_ok:
        vc, _, vce = run(["caddy", "validate", "--config", "Caddyfile", "--adapter", "caddyfile"], d, env, 60)
        vg, _, vge = run([gh, "validate", "--config", "Caddyfile"], d, env, 60)
        if (vc == 0) != (vg == 0):
            kind = "validate_gh_rejects" if vc == 0 else "validate_gh_accepts"
            msg = error_text(vge if vc == 0 else vce)
            diff(kind, normalize(msg), msg)
    if not res["diffs"]:
        shutil.rmtree(d, ignore_errors=True)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gatehouse")
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=50.0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--fmt", action="store_true")
    ap.add_argument("--validate", action="store_true")
    ap.add_argument("--keep", help="write each differing case to this folder")
    ap.add_argument("--only", type=int, help="run only case I (prints its files and outputs)")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    if not shutil.which("caddy"):
        print("caddy not installed: skipped")
        return 77
    gh = os.path.abspath(args.gatehouse)
    indices = [args.only] if args.only is not None else list(range(args.cases))
    start = time.monotonic()
    results = []
    with tempfile.TemporaryDirectory(prefix="adapt-fuzz-") as work:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            futures = [pool.submit(compare_case, gh, args.seed, i, args, work) for i in indices]
            for fut in futures:
                if time.monotonic() - start > args.time_limit:
                    for f in futures:
                        f.cancel()
                res = None if fut.cancelled() else fut.result()
                if res is not None:
                    results.append(res)
    groups = {}
    for res in results:
        for d in res["diffs"]:
            key = (d["kind"], d["sig"], d["known"])
            groups.setdefault(key, []).append((res, d))
    unexplained = 0
    for (kind, sig, known), items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        tag = "KNOWN (%s)" % known if known else "DIFF"
        if not known:
            unexplained += len(items)
        print("%s %s x%d: %s   e.g. --seed %d --only %s" % (tag, kind, len(items), sig, args.seed,
                                                           " ".join(str(r["idx"]) for r, _ in items[:5])))
        if args.verbose or args.only is not None:
            res, d = items[0]
            print("  mutation: %s\n  detail: %s" % (res["mutation"], d["detail"][:600]))
    if args.only is not None and results:
        res = results[0]
        for name, text in res["files"].items():
            print("---- %s\n%s" % (name, text))
        (crc, cout), (grc, gout) = res["caddy"], res["gatehouse"]
        if crc == 0 and grc == 0:
            for path, x, y in json_diffs(json.loads(cout), json.loads(gout))[:12]:
                print("---- %s\n  caddy:     %s\n  gatehouse: %s" % (path, json.dumps(x)[:500], json.dumps(y)[:500]))
        else:
            print("---- caddy rc=%d\n%s\n---- gatehouse rc=%d\n%s" % (crc, cout[:2000], grc, gout[:2000]))
    if args.keep:
        for res in results:
            if res["diffs"]:
                d = os.path.join(args.keep, "seed%d_case%d" % (args.seed, res["idx"]))
                os.makedirs(d, exist_ok=True)
                for name, text in res["files"].items():
                    with open(os.path.join(d, name), "w") as f:
                        f.write(text)
                with open(os.path.join(d, "diff.json"), "w") as f:
                    json.dump({"diffs": res["diffs"], "caddy": res["caddy"], "gatehouse": res["gatehouse"]}, f, indent=1)
    ok_cases = sum(1 for r in results if not r["diffs"])
    both_fail = sum(1 for r in results if r["caddy"][0] != 0 and r["gatehouse"][0] != 0)
    print("%d cases run (seed %d) in %.1f s: %d same, %d both rejected, %d unexplained differences, %d known"
          % (len(results), args.seed, time.monotonic() - start, ok_cases, both_fail, unexplained,
             sum(len(v) for (k, s, kn), v in groups.items() if kn)))
    if args.only is None and len(results) < min(args.cases, 50):
        print("too few cases ran within the time limit")
        return 1
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
