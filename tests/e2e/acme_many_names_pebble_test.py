#!/usr/bin/env python3
"""End-to-end: many names to obtain at once, against Debian's pebble (PEBBLE_VA_NOSLEEP=1).

Caddy 2.6.2 (certmagic 0.17) does not fire every order at start: new orders per ACME
account (CA + email) go through a sliding-window limiter, 10 per 10 seconds, and its HTTP
client keeps its connections to the CA few. Gatehouse paces orders the same way, queues
obtain/renew jobs, and caps its connections per CA host in curl.

 1. N sites (40 by default; ACME_MANY_NAMES=200 to measure more), no certificate: every
    certificate is obtained and served (verified handshakes), while the simultaneous TCP
    connections to pebble, sampled with `ss` during issuance, stay within the cap; the log's
    "done waiting on internal rate limiter" times never hold more than 10 in 10 s.
 2. Stop mid-queue: a fresh storage and 30 more names, SIGTERM after 2 s (most orders still
    paced or queued): a prompt clean exit, no sanitizer report, no lock or temporary file
    left, and every certificate directory either complete (.crt, .key, .json) or absent.
Loopback only; every loop is bounded. Usage: acme_many_names_pebble_test.py <path-to-gatehouse>
"""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import harness  # noqa: E402
import tls_pki  # noqa: E402

check = harness.check
MAX_CA_CONNECTIONS = 6  # the HTTP client's per-host cap (acme/http/http_client.cpp)
EVENTS, WINDOW = 10, 10.0  # certmagic 0.17's RateLimitEvents / RateLimitEventsWindow


def write_caddyfile(tmp, pebble, storage, names, name):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("{\n\temail many@b.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n\thttps_port %d\n"
                "\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n\tadmin off\n}\n\n"
                % (pebble.directory, pebble.cert, pebble.http_port, pebble.tls_port, storage))
        for n in names:
            f.write('%s {\n\trespond "%s"\n}\n' % (n, n))
    return path


def ca_connections(port):
    """TCP connections open (or opening) to the CA's port, from any local process."""
    out = subprocess.run(["ss", "-Htn", "state", "established", "state", "syn-sent", "( dport = :%d )" % port],
                         capture_output=True, text=True, timeout=5).stdout
    return len([line for line in out.splitlines() if line.strip()])


def log_times(text, msg):
    times = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("msg") == msg:
            ts = entry.get("ts")
            times.append(float(ts) if isinstance(ts, (int, float)) else datetime.fromisoformat(ts).timestamp())
    return sorted(times)


def many_names(binary, tmp, pebble, roots, count):
    names = ["n%03d.test" % i for i in range(count)]
    storage = os.path.join(tmp, "storage-many")
    cfg = write_caddyfile(tmp, pebble, storage, names, "Caddyfile.many")
    started = time.time()
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    samples, obtained = [], 0
    try:
        deadline = started + max(90, count * 1.5)
        while time.time() < deadline and proc.poll() is None:
            samples.append(ca_connections(pebble.port))
            obtained = drain.text().count('"certificate obtained successfully"')
            if obtained >= count:
                break
            time.sleep(0.05)
        took = time.time() - started
        served = sum(1 for n in names if acme_pebble.handshake_verifies(n, pebble.tls_port, roots))
    finally:
        harness.stop(proc, drain)
    text = drain.text()
    peak = max(samples) if samples else 0
    print("figures: %d names obtained in %.1fs; peak %d simultaneous connections to the CA (%d samples)"
          % (obtained, took, peak, len(samples)), flush=True)
    check(obtained == count, "all %d certificates obtained (%d)" % (count, obtained))
    check(served == count, "all %d names served with a certificate that verifies (%d)" % (count, served))
    check(0 < peak <= MAX_CA_CONNECTIONS, "connections to pebble stayed within %d (peak %d)"
          % (MAX_CA_CONNECTIONS, peak))
    waited = log_times(text, "waiting on internal rate limiter")
    done = log_times(text, "done waiting on internal rate limiter")
    check(len(waited) >= count and len(done) >= count, "log: every order waited on the internal rate limiter "
          "(%d waits, %d done)" % (len(waited), len(done)))
    # The pacer books start times on a steady clock (exactly checked by the unit tests); a
    # log line is written when the loop gets to the timer, late when it is busy (1.2 s seen
    # with 200 names at load 14): without pacing, 11 orders start within a second.
    spreads = [done[i + EVENTS] - done[i] for i in range(len(done) - EVENTS)]
    shortest = min(spreads) if spreads else WINDOW
    check(shortest >= WINDOW - 2.5, "never more than %d new orders in %gs (shortest span of %d+1: %.2fs)"
          % (EVENTS, WINDOW, EVENTS, shortest))
    if count > EVENTS:
        least = (count - 1) // EVENTS * WINDOW
        check(took >= least - 0.5, "pacing took its time: %.1fs for %d names (at least %.0fs)" % (took, count, least))


def stop_mid_queue(binary, tmp, pebble):
    names = ["q%03d.test" % i for i in range(30)]
    storage = os.path.join(tmp, "storage-stop")
    cfg = write_caddyfile(tmp, pebble, storage, names, "Caddyfile.stop")
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    time.sleep(2)
    stopped = time.time()
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
        rc = None
    took = time.time() - stopped
    report = drain.finish()
    check(rc == 0, "stopped mid-queue: clean exit (rc=%s)" % rc)
    check(took < 5, "stopped promptly (%.1fs)" % took)
    check(report == "", "no sanitizer report:\n" + report)
    text = drain.text()
    obtained = text.count('"certificate obtained successfully"')
    check(obtained < len(names), "the stop came mid-queue (%d of %d obtained)" % (obtained, len(names)))
    left = [p for p in glob.glob(os.path.join(storage, "**", "*"), recursive=True)
            if os.path.isfile(p) and (p.endswith(".lock") or ".tmp" in os.path.basename(p)
                                      or os.path.basename(p).startswith("."))]
    check(not left, "no lock or temporary file left in storage: %s" % left[:5])
    partial = []
    for d in glob.glob(os.path.join(storage, "certificates", "*", "*")):
        n = os.path.basename(d)
        have = {ext for ext in ("crt", "key", "json") if os.path.exists(os.path.join(d, "%s.%s" % (n, ext)))}
        if have and have != {"crt", "key", "json"}:
            partial.append((n, sorted(have)))
    check(not partial, "no half-written certificate (%d complete): %s"
          % (len(glob.glob(os.path.join(storage, "certificates", "*", "*"))), partial[:5]))


def scenario(binary, tmp, pebble):
    if shutil.which("ss") is None:
        print("SKIP: ss not installed")
        sys.exit(77)
    roots = os.path.join(tmp, "pebble-roots.pem")
    with open(roots, "w") as f:
        f.write(pebble.management("/roots/0"))
    many_names(binary, tmp, pebble, roots, int(os.environ.get("ACME_MANY_NAMES", "40")))
    if os.environ.get("ACME_MANY_NAMES_ONLY") is None:
        stop_mid_queue(binary, tmp, pebble)


if __name__ == "__main__":
    sys.exit(acme_pebble.run_with_pebble(scenario))
