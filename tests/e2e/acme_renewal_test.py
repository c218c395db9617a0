#!/usr/bin/env python3
"""End-to-end: `gatehouse certs --daemon` renews a short-lived certificate from pebble.

Pebble issues 30-second certificates (certificateValidityPeriod), so the renewal window
(last third of the lifetime) opens 20 s after issuance: the daemon must obtain, then renew
on its own, write the new files, run the deploy hook again, and stop cleanly on SIGTERM.
Usage: acme_renewal_test.py <path-to-gatehouse>
"""
import os
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402

from harness import FAILURES, check  # noqa: E402


def serial(path):
    return subprocess.run(["openssl", "x509", "-in", path, "-noout", "-serial"], capture_output=True,
                          text=True, timeout=30).stdout.strip()


def main():
    return acme_pebble.run_with_pebble(run, validity=30)


def run(binary, tmp, pebble):
    storage = os.path.join(tmp, "storage")
    out = os.path.join(tmp, "out")
    marker = os.path.join(tmp, "deploys")
    config = os.path.join(tmp, "certs.Caddyfile")
    acme_pebble.write_certs_config(config, pebble, storage, f"""certificates r.test {{
\tfullchain {out}/fullchain.pem
\tprivkey {out}/privkey.pem
\tdeploy "echo deployed >> {marker}"
}}
""", extra="\trenew_interval 5s\n")
    proc = subprocess.Popen([binary, "certs", "--config", config, "--daemon"], stderr=subprocess.PIPE, text=True)
    lines = []

    def drain():
        for line in proc.stderr:
            lines.append(line)

    t = threading.Thread(target=drain, daemon=True)
    t.start()
    fullchain = os.path.join(out, "fullchain.pem")
    deadline = time.time() + 90
    serials = []
    while time.time() < deadline:
        if os.path.exists(fullchain):
            s = serial(fullchain)
            if s and (not serials or serials[-1] != s):
                serials.append(s)
                print(f"{time.time():.1f}: certificate {s}", flush=True)
        if len(serials) >= 2 or proc.poll() is not None:
            break
        time.sleep(0.5)
    check(len(serials) >= 2, f"the daemon renewed the certificate (serials seen: {serials})")
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait(timeout=10)
    t.join(5)
    log = acme_pebble.parse_log("".join(lines))
    msgs = acme_pebble.messages(log)
    check(code == 0, f"daemon exits 0 on SIGTERM (got {code})")
    check("certificate is due for renewal" in msgs, "log says the certificate was due")
    check(msgs.count("certificate obtained successfully") >= 2, "obtained twice")
    check(os.path.exists(marker) and open(marker).read().count("deployed") >= 2, "deploy hook ran per renewal")
    if FAILURES:
        print("".join(lines)[-4000:])


if __name__ == "__main__":
    sys.exit(main())
