#!/usr/bin/env python3
"""End-to-end: renewal inside `gatehouse run` against Debian's pebble issuing 24-second
certificates (certificateValidityPeriod; PEBBLE_VA_NOSLEEP=1, default 5% nonce rejection).

With `renewal_window_ratio 0.5` and `renew_interval 2s`, each certificate is renewed about
12 s after it was issued. While that happens twice (at least three serials), a client keeps
ONE TLS connection open and sends keep-alive requests on it, which must all be answered on
the same socket; new handshakes every half second must always succeed (the old certificate
is served until the new one is stored and installed) and see the serial change. The log
must name each renewal with its CA.
Loopback only; every wait is bounded. Usage: autohttps_renewal_test.py <path-to-gatehouse>
"""
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import tls_pki  # noqa: E402

FAILURES = []
VALIDITY = 24


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def handshake_serial(port, name, roots):
    ctx = ssl.create_default_context(cafile=roots)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        with ctx.wrap_socket(sock, server_hostname=name) as tls:
            return tls.getpeercert()["serialNumber"]


class KeepAlive:
    """One verified TLS connection; HTTP/1.1 requests sent one after another on it."""

    def __init__(self, port, name, roots):
        ctx = ssl.create_default_context(cafile=roots)
        ctx.set_alpn_protocols(["http/1.1"])
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock = ctx.wrap_socket(raw, server_hostname=name)
        self.name = name
        self.serial = self.sock.getpeercert()["serialNumber"]
        self.buf = b""

    def request(self):
        self.sock.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % self.name.encode())
        deadline = time.time() + 5
        while b"\r\n\r\n" not in self.buf:
            if time.time() > deadline:
                raise TimeoutError("no response head")
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("server closed the kept-alive connection")
            self.buf += chunk
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        while len(rest) < length:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("short body")
            rest += chunk
        self.buf = rest[length:]
        return head.split(b"\r\n")[0].decode(), rest[:length].decode()

    def close(self):
        self.sock.close()


def main():
    binary = sys.argv[1]
    acme_pebble.require_pebble()
    with tempfile.TemporaryDirectory() as tmp:
        pebble = acme_pebble.Pebble(tmp, validity=VALIDITY)
        storage = os.path.join(tmp, "storage")
        cfg = os.path.join(tmp, "Caddyfile")
        with open(cfg, "w") as f:
            f.write("{\n\temail a@b.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n\thttps_port %d\n"
                    "\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n\tadmin off\n"
                    "\trenewal_window_ratio 0.5\n\trenew_interval 2s\n}\n\n"
                    "r.test {\n\trespond \"still here\"\n}\n"
                    % (pebble.directory, pebble.cert, pebble.http_port, pebble.tls_port, storage))
        try:
            roots = os.path.join(tmp, "roots.pem")
            with open(roots, "w") as f:
                f.write(pebble.management("/roots/0"))
            proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
            try:
                run(pebble, roots)
            finally:
                proc.send_signal(signal.SIGTERM)
                try:
                    rc = proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
                    rc = None
                check(rc == 0, "clean exit (rc=%s)" % rc)
                check(drain.finish() == "", "no sanitizer report")
            lines = acme_pebble.parse_log(drain.text())
            renewed = [e for e in lines if e.get("msg") == "certificate renewed successfully"]
            check(len(renewed) >= 2 and all(e.get("ca") == pebble.directory for e in renewed),
                  "log: %d renewals, each naming the CA" % len(renewed))
            due = [e for e in lines if e.get("msg") == "certificate is due for renewal"]
            check(len(due) >= 2 and all(e.get("window") == "renewal_window_ratio" for e in due),
                  "log: due by renewal_window_ratio (pebble offers no ARI): %d" % len(due))
            check(any(e.get("renew_at") for e in renewed), "log: the next renewal time is given")
        finally:
            pebble.stop()
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        return 1
    print("all checks passed")
    return 0


def run(pebble, roots):
    port = pebble.tls_port
    deadline = time.time() + 60
    first = None
    while time.time() < deadline and first is None:
        try:
            first = handshake_serial(port, "r.test", roots)
        except (OSError, ssl.SSLError):
            time.sleep(0.1)
    check(first is not None, "r.test served with a pebble certificate")
    if first is None:
        return
    conn = KeepAlive(port, "r.test", roots)
    serials = [conn.serial]
    requests = failed_requests = failed_handshakes = 0
    # Two renewals take about 2 * VALIDITY / 2 s; allow three times that.
    deadline = time.time() + 3 * VALIDITY + 20
    last_request = 0.0
    try:
        while time.time() < deadline and len(serials) < 3:
            try:
                s = handshake_serial(port, "r.test", roots)
                if s != serials[-1]:
                    serials.append(s)
                    print("new serial %s after %d keep-alive requests" % (s, requests), flush=True)
            except (OSError, ssl.SSLError) as e:
                failed_handshakes += 1
                print("handshake failed: %s" % e, flush=True)
            if time.time() - last_request >= 1.0:
                last_request = time.time()
                try:
                    status, body = conn.request()
                    requests += 1
                    if status != "HTTP/1.1 200 OK" or body != "still here":
                        failed_requests += 1
                except (OSError, ssl.SSLError, TimeoutError, ConnectionError) as e:
                    failed_requests += 1
                    print("keep-alive request failed: %s" % e, flush=True)
                    break
            time.sleep(0.5)
        # And the connection still works after the last renewal.
        status, body = conn.request()
        requests += 1
        check(status == "HTTP/1.1 200 OK" and body == "still here", "the kept connection answers after the renewals")
    finally:
        conn.close()
    check(len(serials) >= 3, "two renewals while serving: serials %s" % serials)
    check(failed_requests == 0 and requests >= 10,
          "%d keep-alive requests on one TLS connection across the renewals, %d failed" % (requests, failed_requests))
    check(failed_handshakes == 0, "every new handshake succeeded (%d failed)" % failed_handshakes)


if __name__ == "__main__":
    sys.exit(main())
