#!/usr/bin/env python3
"""End-to-end: `gatehouse certs --daemon` outlives its CA's memory of the account.

Pebble issues 30 s certificates (renewal due 20 s after issuance, renew_interval 5s). After
the first certificate pebble is restarted (same ports and directory URL, no accounts), so
the daemon's renewal is refused with accountDoesNotExist. The daemon forgets the account
URL it kept: its retry, after the 60 s backoff, looks the stored key up again, registers it
anew and renews; before, every attempt failed the same way (19 in 110 s) until the daemon
was restarted. The backoff holds although renew_interval (5 s) wakes the daemon sooner:
before, each wake-up asked the CA again, ignoring the backoff and any Retry-After.
Usage: acme_ca_restart_daemon_test.py <path-to-gatehouse>
"""
import os
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import harness  # noqa: E402
from harness import check  # noqa: E402


def serial(path):
    return subprocess.run(["openssl", "x509", "-in", path, "-noout", "-serial"], capture_output=True,
                          text=True, timeout=30).stdout.strip()


def verifies(chain, roots):
    r = subprocess.run(["openssl", "verify", "-CAfile", roots, "-untrusted", chain, chain],
                       capture_output=True, text=True, timeout=30)
    return r.returncode == 0


def run(binary, tmp, pebble):
    storage = os.path.join(tmp, "storage")
    out = os.path.join(tmp, "out")
    config = os.path.join(tmp, "certs.Caddyfile")
    acme_pebble.write_certs_config(config, pebble, storage, f"""certificates d.test {{
\tfullchain {out}/fullchain.pem
\tprivkey {out}/privkey.pem
}}
""", extra="\trenew_interval 5s\n")
    proc = subprocess.Popen([binary, "certs", "--config", config, "--daemon"], stderr=subprocess.PIPE, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    fullchain = os.path.join(out, "fullchain.pem")
    roots = os.path.join(tmp, "roots1.pem")
    serials = []
    deadline = time.time() + 30
    while time.time() < deadline and not os.path.exists(fullchain):
        time.sleep(0.2)
    try:
        check(os.path.exists(fullchain), "first certificate written")
        serials.append(serial(fullchain))
        pebble.restart_ca()
        with open(roots, "w") as f:
            f.write(pebble.management("/roots/0"))
        deadline = time.time() + 140  # due 20 s after issuance, refused, retried 60 s later
        while time.time() < deadline and proc.poll() is None:
            s = serial(fullchain)
            if s and s != serials[-1]:
                serials.append(s)
                break
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait(timeout=10)
        reader.join(5)
    check(code == 0, "daemon exits 0 on SIGTERM (got %s)" % code)
    check(len(serials) == 2, "renewed after the CA restart: serials %s" % serials)
    check(len(serials) == 2 and verifies(fullchain, roots), "the new chain is the restarted pebble's")
    log = acme_pebble.parse_log("".join(lines))
    msgs = acme_pebble.messages(log)
    refused = [e for e in log if e.get("msg") == "could not get certificate from issuer"
               and "accountDoesNotExist" in str(e.get("error"))]
    check(len(refused) == 1, "one attempt refused with accountDoesNotExist (%d)" % len(refused))
    check(msgs.count("stored ACME account unknown to the CA; registering") == 1, "the stored key registered anew")
    renewed = [e for e in log if e.get("msg") == "certificate obtained successfully"]
    gap = renewed[-1]["ts"] - refused[0]["ts"] if refused and len(renewed) >= 2 else -1
    check(55 <= gap <= 90, "the retry waited for the backoff (60 s): %.1f s after the refusal" % gap)
    check(msgs.count("new ACME account registered") == 2, "two registrations in all")
    if harness.FAILURES:
        print("".join(lines)[-3000:])


if __name__ == "__main__":
    sys.exit(acme_pebble.run_with_pebble(run, validity=30))
