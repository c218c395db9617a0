#!/usr/bin/env python3
"""Runs one test command with the sanitizer runtimes writing their reports to files, and fails
the test when any report was written.

Why files: most e2e scripts start gatehouse with stderr to a pipe they stop reading, to a
file or to /dev/null, and a report printed at exit by LeakSanitizer (or from a server the
script killed) would go unseen. With log_path every instrumented process the test starts,
however it was started, leaves its report in this test's own directory, which is checked
after the test ended whatever its exit status.

Usage (tests/CMakeLists.txt prefixes the e2e and compat commands with it when configured
with GATEHOUSE_SANITIZER_CHECK=ON): sanitizer_check.py COMMAND [ARGS...]
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def options(env_name, ours, env):
    """Our options first: a caller's own settings in the environment come after, and win."""
    extra = env.get(env_name, "")
    return ":".join(ours + ([extra] if extra else []))


def main(argv):
    if not argv:
        print("usage: sanitizer_check.py COMMAND [ARGS...]", file=sys.stderr)
        return 2
    logs = tempfile.mkdtemp(prefix="gatehouse-san-")
    env = dict(os.environ)
    env["GATEHOUSE_SANITIZER_CHECK"] = "1"  # tests/e2e/sanitized.py: RSS bounds are not enforced
    common = ["log_exe_name=1", "print_stacktrace=1"]
    env["ASAN_OPTIONS"] = options("ASAN_OPTIONS", common + [
        "log_path=" + logs + "/asan", "halt_on_error=1", "detect_leaks=1", "abort_on_error=0",
        "detect_stack_use_after_return=0", "strict_string_checks=0"], os.environ)
    env["UBSAN_OPTIONS"] = options("UBSAN_OPTIONS", common + [
        "log_path=" + logs + "/ubsan", "halt_on_error=1"], os.environ)
    env["LSAN_OPTIONS"] = options("LSAN_OPTIONS", ["log_path=" + logs + "/lsan"], os.environ)
    # TSan goes on after a report (one run shows every race), the check below fails the test.
    # tsan.supp: known false positives of third-party code, each with its reason.
    env["TSAN_OPTIONS"] = options("TSAN_OPTIONS", common + [
        "log_path=" + logs + "/tsan", "halt_on_error=0", "second_deadlock_stack=1",
        "suppressions=" + os.path.join(os.path.dirname(os.path.abspath(__file__)), "tsan.supp")], os.environ)
    try:
        rc = subprocess.call(argv, env=env)
        reports = sorted(p for p in glob.glob(logs + "/*") if os.path.getsize(p) > 0)
        for path in reports:
            with open(path, errors="replace") as f:
                print("==== sanitizer report %s ====\n%s" % (os.path.basename(path), f.read()), flush=True)
    finally:
        shutil.rmtree(logs, ignore_errors=True)
    if reports:
        print("FAIL: %d sanitizer report(s) (test exit status %d)" % (len(reports), rc), flush=True)
        return rc if rc not in (0, SKIP) else 1
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
