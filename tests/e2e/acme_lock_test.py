#!/usr/bin/env python3
"""End-to-end: two `gatehouse certs` processes on one storage order a certificate once.

Both start together; the storage lock (certmagic's locks/issue_cert_<name>.lock) lets one
order while the other waits, then finds the certificate in storage and only writes it out.
Usage: acme_lock_test.py <path-to-gatehouse>
"""
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402

from harness import check  # noqa: E402


def main():
    return acme_pebble.run_with_pebble(run)


def run(binary, tmp, pebble):
    storage = os.path.join(tmp, "storage")
    procs = []
    for i in range(2):
        config = os.path.join(tmp, f"certs{i}.Caddyfile")
        acme_pebble.write_certs_config(config, pebble, storage, f"""certificates l.test {{
\tfullchain {tmp}/out{i}/fullchain.pem
\tprivkey {tmp}/out{i}/privkey.pem
}}
""")
        procs.append(subprocess.Popen([binary, "certs", "--config", config], stderr=subprocess.PIPE, text=True))
    results = []
    deadline = time.time() + 120
    for p in procs:
        try:
            _, err = p.communicate(timeout=max(1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate(timeout=10)
        results.append((p.returncode, acme_pebble.messages(acme_pebble.parse_log(err)), err))
    for i, (code, _, err) in enumerate(results):
        check(code == 0, f"process {i} exits 0:\n{err[-2000:]}")
    orders = open(pebble.log.name).read().count("Added order")
    check(orders == 1, f"exactly one order for two processes (got {orders})")
    waited = [m for _, m, _ in results if "certificate already obtained by another process" in m]
    check(len(waited) == 1, "one process found the other's certificate after waiting for the lock")
    a = open(os.path.join(tmp, "out0", "fullchain.pem")).read()
    b = open(os.path.join(tmp, "out1", "fullchain.pem")).read()
    check(a == b, "both wrote the same certificate")
    check(not os.listdir(os.path.join(storage, "locks")), "no lock left behind")


if __name__ == "__main__":
    sys.exit(main())
