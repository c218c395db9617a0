#!/usr/bin/env python3
"""Runs the whole ctest suite of build/ against the instrumented binaries that
`scripts/sanitizer_acme_build.sh --all` (or `--tsan --all`) linked into OUT, each test under
tests/sanitizer_check.py, so a sanitizer report from any process a test started fails it.

    scripts/sanitizer_suite.py build-asan-all [-j 2] [-R REGEX] [-E REGEX] [--no-unit]

The unit tests run as one process (all Catch2 cases; ctest would start one instrumented
process per case, about 3,000), every other ctest entry (e2e_*, compat_caddy, adapt_corpus)
as ctest would run it, with the instrumented binaries in place of build/'s. Timeouts are
twice ctest's (instrumented code runs 2-3 times slower). Each test's output goes to
OUT/suite-logs/NAME.log; the summary lists passed, failed and skipped tests.
"""
import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECK = os.path.join(ROOT, "tests", "sanitizer_check.py")


def ctest_tests(build):
    out = subprocess.run(["ctest", "--test-dir", build, "--show-only=json-v1"], check=True,
                         capture_output=True, text=True).stdout
    tests = []
    for t in json.loads(out)["tests"]:
        props = {p["name"]: p["value"] for p in t.get("properties", [])}
        tests.append({"name": t["name"], "command": t.get("command", []), "labels": props.get("LABELS", []),
                      "timeout": float(props.get("TIMEOUT", 300)), "skip": props.get("SKIP_RETURN_CODE"),
                      "cwd": props.get("WORKING_DIRECTORY")})
    return tests


def swap_binaries(command, build, out):
    """build/gatehouse -> OUT/gatehouse (and the other binaries OUT has)."""
    swapped = []
    for arg in command:
        rel = os.path.relpath(arg, build) if os.path.isabs(arg) else None
        name = os.path.basename(arg)
        if rel and not rel.startswith("..") and os.path.exists(os.path.join(out, name)):
            arg = os.path.join(out, name)
        swapped.append(arg)
    return swapped


def run_one(name, command, timeout, skip, cwd, logs):
    log = os.path.join(logs, re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".log")
    start = time.time()
    with open(log, "w") as f:
        f.write("$ " + " ".join(command) + "\n")
        f.flush()
        try:
            rc = subprocess.call(command, stdout=f, stderr=subprocess.STDOUT, cwd=cwd, timeout=timeout,
                                 stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            rc = "timeout"
    took = time.time() - start
    if skip is not None and rc == int(skip):
        verdict = "SKIP"
    else:
        verdict = "PASS" if rc == 0 else "FAIL"
    return name, verdict, rc, took, log


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("-R", default=None, help="only tests whose name matches")
    ap.add_argument("-E", default=None, help="leave out tests whose name matches")
    ap.add_argument("--no-unit", action="store_true")
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    build = os.path.abspath(args.build)
    logs = os.path.join(out, "suite-logs")
    os.makedirs(logs, exist_ok=True)
    jobs = []
    if not args.no_unit and (args.R is None or re.search(args.R, "unit_tests")):
        jobs.append(("unit_tests", [sys.executable, CHECK, os.path.join(out, "unit_tests")], 1800, None, None))
    for t in ctest_tests(build):
        if not t["command"] or "unit" in t["labels"] or (args.R and not re.search(args.R, t["name"])):
            continue
        if args.E and re.search(args.E, t["name"]):
            continue
        command = [sys.executable, CHECK] + swap_binaries(t["command"], build, out)
        jobs.append((t["name"], command, 2 * t["timeout"], t["skip"], t["cwd"]))
    # The longest first (the unit tests, compat_caddy, the 2 GiB stream), so no long test
    # starts last and runs alone while the other slot idles.
    jobs.sort(key=lambda j: -j[2])
    results = []
    with concurrent.futures.ThreadPoolExecutor(args.j) as pool:
        for fut in concurrent.futures.as_completed([pool.submit(run_one, *j, logs) for j in jobs]):
            name, verdict, rc, took, log = fut.result()
            results.append((name, verdict, rc, log))
            print("%-4s %-50s rc=%s %.1fs" % (verdict, name, rc, took), flush=True)
    counts = {v: sum(1 for r in results if r[1] == v) for v in ("PASS", "FAIL", "SKIP")}
    print("\n%d tests: %d passed, %d failed, %d skipped" % (len(results), counts["PASS"], counts["FAIL"],
                                                           counts["SKIP"]))
    for name, verdict, rc, log in sorted(results):
        if verdict == "FAIL":
            print("FAIL %s (rc=%s): %s" % (name, rc, log))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
