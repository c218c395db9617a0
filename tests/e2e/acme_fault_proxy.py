"""A misbehaving front for pebble, for the tests of bad CA answers: an HTTPS proxy on a free
loopback port (pebble's own certificate and key, so `acme_ca_root` is pebble's) that passes
every request on to pebble with its Host header, so pebble writes the proxy's address into
every URL it hands out, and answers some requests itself by rule instead.

A rule matches the path's resource kind (pebble 2.4's first path segment: "dir",
"nonce-plz", "sign-me-up", NEW_ORDER = "order-plz", "my-order", "authZ", "chalZ",
"finalize-order", "certZ") and, for new orders, the identifier in the JWS payload;
authorizations and finalize URLs are tied to the identifier of the order that listed them.
Each rule fires `times` times, then the request goes through. Actions:
  ("status", code, headers, body)   answer with that status, headers and body
  ("reset",)                        close the connection without an answer
  ("delay", seconds)                wait (bounded), then pass the request on
Every request is recorded (method, kind, identifier, what was done) for the test to assert.
Stopped by stop(); every thread is a daemon and every wait bounded.
"""
import base64
import http.client
import http.server
import json
import socket
import ssl
import threading
import time

import acme_pebble

NEW_ORDER = "order-plz"


def problem(kind, detail, status):
    body = json.dumps({"type": "urn:ietf:params:acme:error:" + kind, "detail": detail, "status": status})
    return ("status", status, [("Content-Type", "application/problem+json")], body)


class FaultProxy:
    def __init__(self, pebble, key_file):
        self.pebble = pebble
        self.port = acme_pebble.free_port()
        self.rules = []
        self.log = []
        self.lock = threading.Lock()
        self.owner = {}  # authz / finalize / order URL path -> identifier
        self.seen = threading.Event()  # set when a "delay" rule starts waiting
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                proxy._handle(self)

            def do_HEAD(self):
                proxy._handle(self)

            def do_POST(self):
                proxy._handle(self)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pebble.cert, key_file)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def directory(self):
        return "https://127.0.0.1:%d/dir" % self.port

    def add(self, kind, action, identifier=None, times=1):
        with self.lock:
            self.rules.append({"kind": kind, "identifier": identifier, "action": action, "left": times})

    def records(self, kind=None, identifier=None):
        with self.lock:
            return [r for r in self.log if (kind is None or r["kind"] == kind)
                    and (identifier is None or r["identifier"] == identifier)]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def _kind(path):
        parts = [p for p in path.split("?")[0].split("/") if p]
        return parts[0] if parts else ""

    @staticmethod
    def _payload_identifiers(body):
        try:
            jws = json.loads(body)
            payload = jws.get("payload", "")
            payload += "=" * (-len(payload) % 4)
            ids = json.loads(base64.urlsafe_b64decode(payload)).get("identifiers", [])
            return [i.get("value") for i in ids]
        except (ValueError, AttributeError, TypeError):
            return []

    def _identifier(self, kind, path, body):
        if kind == NEW_ORDER:
            ids = self._payload_identifiers(body)
            return ids[0] if ids else None
        with self.lock:
            return self.owner.get(path.split("?")[0])

    def _take_rule(self, kind, identifier):
        with self.lock:
            for rule in self.rules:
                if rule["left"] > 0 and rule["kind"] == kind and rule["identifier"] in (None, identifier):
                    rule["left"] -= 1
                    return rule["action"]
        return None

    def _handle(self, h):
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        kind = self._kind(h.path)
        identifier = self._identifier(kind, h.path, body)
        action = self._take_rule(kind, identifier)
        with self.lock:
            self.log.append({"method": h.command, "kind": kind, "identifier": identifier,
                             "action": action[0] if action else "pass", "time": time.time()})
        if action and action[0] == "reset":
            h.close_connection = True
            try:
                h.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if action and action[0] == "status":
            _, status, headers, text = action
            data = text.encode()
            h.send_response(status)
            for k, v in headers:
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
            return
        if action and action[0] == "delay":
            self.seen.set()
            time.sleep(min(action[1], 120))
        self._forward(h, kind, identifier, body)

    def _forward(self, h, kind, identifier, body):
        conn = http.client.HTTPSConnection("127.0.0.1", self.pebble.port, context=self.pebble.ctx, timeout=30)
        headers = {k: v for k, v in h.headers.items() if k.lower() not in ("connection", "content-length")}
        try:
            conn.request(h.command, h.path, body=body if body else None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except OSError:
            h.close_connection = True
            return
        finally:
            conn.close()
        with self.lock:
            for r in reversed(self.log):
                if r["kind"] == kind and r["identifier"] == identifier and "status" not in r:
                    r["status"] = resp.status
                    break
        if kind == NEW_ORDER and identifier and resp.status < 300:
            self._remember(identifier, resp, data)
        h.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data)

    def _remember(self, identifier, resp, data):
        try:
            order = json.loads(data)
        except ValueError:
            return
        urls = list(order.get("authorizations", [])) + [order.get("finalize", ""), resp.getheader("Location") or ""]
        with self.lock:
            for url in urls:
                if url:
                    path = "/" + url.split("/", 3)[3] if url.count("/") >= 3 else url
                    self.owner[path] = identifier
