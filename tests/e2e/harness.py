"""Shared by the e2e scripts: failure bookkeeping, starting the real gatehouse binary and
waiting until it serves, addresses from its startup log, and a checked stop.

A script records failed checks with check(), returns finish() from main() (exit 1 when
anything failed), and starts servers with start(), which reads the startup log until
"serving initial configuration" and keeps draining stderr afterwards (server_stderr).
"""
import json
import signal
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
import server_stderr  # noqa: E402
import ports  # noqa: E402

FAILURES = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def finish():
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("OK")
    return 0


def start(binary, cfg_path, adapter="json", workers=2, env=None, stdout=subprocess.DEVNULL):
    """Starts `gatehouse run`; returns (proc, {server: [addresses]}, drain, startup lines)."""
    proc = subprocess.Popen([binary, "run", "--config", cfg_path, "--adapter", adapter, "--workers", str(workers)],
                            stderr=subprocess.PIPE, stdout=stdout, stdin=subprocess.DEVNULL, text=True, env=env)
    deadline = time.time() + 20
    servers = {}
    seen = []
    while time.time() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("msg") == "server running":
            servers[entry["name"]] = entry["addresses"]
        if entry.get("msg") == "serving initial configuration":
            return proc, servers, server_stderr.Drain(proc, seen), seen
    proc.kill()
    proc.wait(5)
    raise RuntimeError("gatehouse did not start: " + "".join(seen))


def addr_of(text):
    """("host", port) of an address from the startup log ("127.0.0.1:1234", "[::1]:1234")."""
    host, port = text.rsplit(":", 1)
    return host.strip("[]"), int(port)


def wait_port(port, proc, timeout=20):
    """True once 127.0.0.1:port accepts a connection; False if `proc` exits or time runs out."""
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


free_port = ports.free_port


def interrupt(proc, timeout=10):
    """SIGINT (caddy's and gatehouse's graceful stop), killed if it outlasts `timeout`; the
    exit code, None when killed."""
    if proc.poll() is not None:
        return proc.returncode
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        return None


def stop(proc, drain, expect_clean=True):
    """SIGTERM, then checks a clean exit (when asked) and that stderr holds no sanitizer report."""
    rc = proc.poll()
    if rc is None:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
            rc = None
    report = drain.finish()
    if expect_clean:
        check(rc == 0, "clean exit (rc=%s)" % rc)
        if rc != 0:
            # A server that died early says why in its last lines (a port taken, a config error).
            print("server stderr, last lines:\n" + "\n".join(drain.text().splitlines()[-30:]), flush=True)
    check(report == "", "no sanitizer report:\n" + report)
    return rc
