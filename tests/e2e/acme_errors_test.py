#!/usr/bin/env python3
"""End-to-end: `gatehouse certs` under hostile conditions.

* pebble rejecting 50% of nonces (PEBBLE_WFE_NONCEREJECT=50): issuance still succeeds.
* a "CA" that answers garbage (HTML, malformed JSON, HTTP 500 without a problem document):
  a clear error naming what was wrong, exit status 1, no crash, no hang.
Usage: acme_errors_test.py <path-to-gatehouse>
"""
import http.server
import json
import os
import sys
import tempfile
import threading

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


class GarbageCA(http.server.BaseHTTPRequestHandler):
    """/html/dir: HTML page. /json/dir: a directory whose nonce endpoint fails and whose
    newAccount returns broken JSON. Plain HTTP on loopback."""

    def log_message(self, *args):
        pass

    def _send(self, status, ctype, body, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        base = f"http://127.0.0.1:{self.server.server_port}"
        if self.path == "/html/dir":
            self._send(200, "text/html", b"<html><body>Welcome to nginx!</body></html>")
        elif self.path == "/json/dir":
            d = {"newNonce": base + "/json/nonce", "newAccount": base + "/json/acct", "newOrder": base + "/json/order"}
            self._send(200, "application/json", json.dumps(d).encode())
        elif self.path == "/nonce500/dir":
            d = {"newNonce": base + "/nonce500/nonce", "newAccount": base + "/x", "newOrder": base + "/y"}
            self._send(200, "application/json", json.dumps(d).encode())
        else:
            self._send(404, "text/plain", b"not found")

    def do_HEAD(self):
        if self.path == "/json/nonce":
            self._send(200, "text/plain", b"", [("Replay-Nonce", "abc")])
        else:
            self._send(500, "text/html", b"<h1>Internal Server Error</h1>")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        self._send(201, "application/json", b'{"status": "valid", oops', [("Replay-Nonce", "def")])


def main():
    binary = sys.argv[1]
    acme_pebble.require_pebble()
    with tempfile.TemporaryDirectory() as tmp:
        pebble = acme_pebble.Pebble(tmp, nonce_reject=50)
        try:
            nonce_storm(binary, tmp, pebble)
        finally:
            pebble.stop()
        garbage(binary, tmp)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("acme_errors: all checks passed")
    return 0


def nonce_storm(binary, tmp, pebble):
    out = os.path.join(tmp, "out")
    config = os.path.join(tmp, "certs.Caddyfile")
    acme_pebble.write_certs_config(config, pebble, os.path.join(tmp, "storage"), f"""certificates n.test {{
\tfullchain {out}/fullchain.pem
\tprivkey {out}/privkey.pem
}}
""")
    code, log, raw, elapsed = acme_pebble.run_certs(binary, config)
    print(f"50% nonce rejection: exit {code} in {elapsed:.2f}s")
    check(code == 0, f"issuance succeeds with 50% of nonces rejected:\n{raw[-3000:]}")
    check(os.path.exists(os.path.join(out, "fullchain.pem")), "certificate written")


def garbage(binary, tmp):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), GarbageCA)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_port
    try:
        cases = [
            ("html", "fetching the ACME directory", "did not return a JSON object"),
            ("json", "registering an ACME account", "did not return a JSON object"),
            ("nonce500", "getting a nonce", "HTTP 500"),
        ]
        for name, context, detail in cases:
            config = os.path.join(tmp, f"garbage-{name}.Caddyfile")
            with open(config, "w") as f:
                f.write("{\n\temail admin@g.test\n")
                f.write(f"\tacme_ca http://127.0.0.1:{port}/{name}/dir\n")
                f.write(f"\thttp_port {acme_pebble.free_port()}\n\tdefault_bind 127.0.0.1\n")
                f.write(f"\tstorage file_system {tmp}/gstorage-{name}\n}}\n\n")
                f.write(f"certificates g.test {{\n\tfullchain {tmp}/g/{name}.pem\n\tprivkey {tmp}/g/{name}.key\n}}\n")
            code, log, raw, elapsed = acme_pebble.run_certs(binary, config, timeout=60)
            errors = [l for l in log if l.get("level") == "error"]
            text = json.dumps(errors)
            print(f"garbage CA '{name}': exit {code} in {elapsed:.2f}s: {errors[0].get('error') if errors else raw[-500:]}")
            check(code == 1, f"{name}: exit status 1 (got {code})")
            check(context in text and detail in text, f"{name}: error names '{context}' and '{detail}': {text}")
            check(elapsed < 30, f"{name}: fails fast ({elapsed:.1f}s)")
            check("Sanitizer" not in raw and "terminate called" not in raw, f"{name}: no crash")
            check("PRIVATE KEY" not in raw, f"{name}: no key material in the log")
    finally:
        server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
