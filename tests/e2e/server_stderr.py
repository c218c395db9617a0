"""Shared by the e2e scripts: keeps reading a started gatehouse's stderr until it exits.

Why: the scripts read stderr only up to the startup line. Anything after that (a sanitizer
report from a worker thread, LeakSanitizer's report at exit) would sit unread in the pipe,
and a large report could even fill the pipe and stall the server. Draining it on a thread
keeps the server unblocked and lets the script fail, and print the report, when one shows up.
"""
import threading

# Markers the ASan/UBSan/LSan/TSan runtimes put in their reports.
MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer",
           "ERROR: ThreadSanitizer", "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer")


class Drain:
    def __init__(self, proc, seen=()):
        self.lines = list(seen)
        self._thread = threading.Thread(target=self._run, args=(proc.stderr,), daemon=True)
        self._thread.start()

    def _run(self, stream):
        for line in stream:
            self.lines.append(line)

    def finish(self, timeout=10):
        """Call after the process exited; returns the sanitizer report ('' if none)."""
        self._thread.join(timeout)
        text = "".join(self.lines)
        if any(m in text for m in MARKERS):
            return text
        return ""

    def text(self):
        return "".join(self.lines)
