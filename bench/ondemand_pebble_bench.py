#!/usr/bin/env python3
"""On-demand TLS latency: seconds from the first handshake for a name that has no
certificate to a verified response (ask endpoint consulted, certificate ordered from a local
pebble with PEBBLE_VA_NOSLEEP=1 through TLS-ALPN-01), and for a denied name to its alert.
Gatehouse vs Debian's caddy with the same Caddyfile and the same pebble; one run each.

Usage: bench/ondemand_pebble_bench.py <gatehouse> [caddy=/usr/bin/caddy]
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import acme_pebble  # noqa: E402
import ondemand_pebble_test as od  # noqa: E402


def measure(label, cmd, tmp, pebble, ask, roots):
    cfg = od.write_caddyfile(tmp, pebble, os.path.join(tmp, "storage-" + label),
                             "\ton_demand_tls {\n\t\task http://127.0.0.1:%d/check\n\t}\n" % ask.port,
                             name="Caddyfile." + label)
    env = dict(os.environ, HOME=tmp, XDG_DATA_HOME=tmp, XDG_CONFIG_HOME=tmp)
    with open(os.path.join(tmp, label + ".log"), "w") as log:
        proc = subprocess.Popen(cmd + ["run", "--adapter", "caddyfile", "--config", cfg], stdout=log,
                                stderr=log, env=env)
        try:
            time.sleep(3)  # started and listening (both start in well under a second)
            for name in ("a.test", "c.test", "b.test"):
                rc, out, _, took = od.curl_https(name, pebble.tls_port, roots, timeout=60)
                print("%-9s %-7s rc=%-3d %-12r %.2f s" % (label, name, rc, out, took), flush=True)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)


def main():
    gatehouse = sys.argv[1]
    caddy = sys.argv[2] if len(sys.argv) > 2 else "/usr/bin/caddy"
    acme_pebble.require_pebble()
    with tempfile.TemporaryDirectory() as tmp:
        ask = od.AskServer()
        pebble = acme_pebble.Pebble(tmp)
        try:
            roots = od.roots_file(tmp, pebble)
            measure("gatehouse", [gatehouse], tmp, pebble, ask, roots)
            measure("caddy", [caddy], tmp, pebble, ask, roots)
        finally:
            pebble.stop()
            ask.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
