"""Local fakes of the Cloudflare API v4 and the Alibaba Cloud DNS RPC API, the only fakes
the DNS-01 tests use (the real services are out of reach). Each checks method, path,
headers, authentication (Alibaba's signature recomputed here from Alibaba's documented
algorithm) and body as the providers' API documentation states, answers with the documented
response shapes, and writes the TXT record into a real BIND through nsupdate so pebble
validates for real. Every deviation is recorded in `violations`.
"""
import base64
import datetime
import hashlib
import hmac
import json
import re
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIGEST = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url(SHA-256), as RFC 8555 section 8.4


class _Server:
    def __init__(self, handler_cls):
        self.violations = []
        self.calls = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_cls)
        self.httpd.fake = self
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""


# ---------------------------------------------------------------- Cloudflare API v4

class _CloudflareHandler(_Handler):
    def fail(self, status, code, message):
        self.server.fake.violations.append(f"{self.command} {self.path}: {message}")
        self.reply(status, {"success": False, "errors": [{"code": code, "message": message}], "messages": [],
                            "result": None})

    def ok(self, result, extra=None):
        out = {"success": True, "errors": [], "messages": [], "result": result}
        out.update(extra or {})
        self.reply(200, out)

    def authorized(self):
        fake = self.server.fake
        if self.headers.get("Authorization") != "Bearer " + fake.token:
            self.fail(403, 10000, "Authentication error (Authorization: Bearer <token> expected)")
            return False
        return True

    def do_GET(self):
        fake = self.server.fake
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        fake.calls.append(("GET", url.path, query))
        if not self.authorized():
            return
        if url.path == "/client/v4/zones":
            if query.get("name") != [fake.zone]:
                return self.fail(400, 1001, f"zone name query {query.get('name')} != {fake.zone}")
            return self.ok([{"id": fake.zone_id, "name": fake.zone, "status": "active", "paused": False,
                             "type": "full", "name_servers": ["ns1." + fake.zone]}],
                           {"result_info": {"page": 1, "per_page": 20, "count": 1, "total_count": 1}})
        self.fail(404, 7003, "no route for " + url.path)

    def do_POST(self):
        fake = self.server.fake
        url = urllib.parse.urlsplit(self.path)
        raw = self.body()
        fake.calls.append(("POST", url.path, raw))
        if not self.authorized():
            return
        if url.path != f"/client/v4/zones/{fake.zone_id}/dns_records":
            return self.fail(404, 7003, "no route for " + url.path)
        if self.headers.get("Content-Type") != "application/json":
            return self.fail(400, 6003, "Content-Type must be application/json")
        try:
            rec = json.loads(raw)
        except ValueError:
            return self.fail(400, 6007, "body is not JSON")
        if set(rec) != {"type", "name", "content", "ttl"} or rec["type"] != "TXT" \
                or not re.match(r"^_acme-challenge\.([a-z0-9-]+\.)*" + re.escape(fake.zone) + "$", str(rec["name"])) \
                or not DIGEST.match(str(rec["content"])) \
                or not isinstance(rec["ttl"], int) or not (rec["ttl"] == 1 or 60 <= rec["ttl"] <= 86400):
            return self.fail(400, 9000, f"bad DNS record body {rec}")
        rid = uuid.uuid4().hex
        fake.bind.nsupdate(f'update add {rec["name"]}. 60 IN TXT "{rec["content"]}"')
        fake.records[rid] = rec
        self.ok({"id": rid, "zone_id": fake.zone_id, "zone_name": fake.zone, "name": rec["name"], "type": "TXT",
                 "content": rec["content"], "proxiable": False, "proxied": False, "ttl": rec["ttl"],
                 "created_on": "2026-01-01T00:00:00Z", "modified_on": "2026-01-01T00:00:00Z"})

    def do_DELETE(self):
        fake = self.server.fake
        url = urllib.parse.urlsplit(self.path)
        fake.calls.append(("DELETE", url.path, None))
        if not self.authorized():
            return
        prefix = f"/client/v4/zones/{fake.zone_id}/dns_records/"
        rid = url.path[len(prefix):] if url.path.startswith(prefix) else None
        if rid not in fake.records:
            return self.fail(404, 81044, "Record does not exist.")
        rec = fake.records.pop(rid)
        fake.bind.nsupdate(f'update delete {rec["name"]}. TXT "{rec["content"]}"')
        self.ok({"id": rid})


class Cloudflare(_Server):
    def __init__(self, bind, token):
        self.bind = bind
        self.token = token
        self.zone = bind.zone
        self.zone_id = "023e105f4ecef8ad9ca31a8372d0c353"
        self.records = {}
        super().__init__(_CloudflareHandler)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}/client/v4"


# ---------------------------------------------------------------- Alibaba Cloud DNS

def alibaba_encode(text):
    """Alibaba's rules: RFC 3986 unreserved kept, the rest %XY upper case, space as %20."""
    return urllib.parse.quote(text, safe="-_.~")


def alibaba_signature(method, params, secret):
    canonical = "&".join(alibaba_encode(k) + "=" + alibaba_encode(v) for k, v in sorted(params.items()))
    to_sign = method + "&" + alibaba_encode("/") + "&" + alibaba_encode(canonical)
    return base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


COMMON = {"Format": "JSON", "Version": "2015-01-09", "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0"}


class _AlidnsHandler(_Handler):
    def fail(self, status, code, message):
        self.server.fake.violations.append(f"{self.path[:80]}: {code}: {message}")
        self.reply(status, {"RequestId": str(uuid.uuid4()).upper(), "HostId": "alidns.aliyuncs.com",
                            "Code": code, "Message": message})

    def do_GET(self):
        fake = self.server.fake
        url = urllib.parse.urlsplit(self.path)
        pairs = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        params = dict(pairs)
        fake.calls.append(params)
        if url.path != "/" or len(params) != len(pairs):
            return self.fail(400, "InvalidParameter", "path must be / with each parameter once")
        for k, v in COMMON.items():
            if params.get(k) != v:
                return self.fail(400, "MissingParameter", f"{k} must be {v}, got {params.get(k)}")
        if params.get("AccessKeyId") != fake.key_id:
            return self.fail(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        nonce = params.get("SignatureNonce", "")
        if not nonce or nonce in fake.nonces:
            return self.fail(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        fake.nonces.add(nonce)
        try:
            ts = datetime.datetime.strptime(params.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ")
            skew = abs((datetime.datetime.utcnow() - ts).total_seconds())
        except ValueError:
            skew = None
        if skew is None or skew > 900:
            return self.fail(400, "InvalidTimeStamp.Format", "Timestamp must be UTC yyyy-MM-ddTHH:mm:ssZ, now")
        # The raw query must carry the signature encoded as Alibaba's rules say.
        signature = params.pop("Signature", "")
        expected = alibaba_signature("GET", params, fake.secret)
        if signature != expected or ("Signature=" + alibaba_encode(expected)) not in url.query:
            return self.fail(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
        action = params.get("Action")
        if action == "AddDomainRecord":
            if params.get("DomainName") != fake.zone or params.get("RR") != "_acme-challenge" \
                    or params.get("Type") != "TXT" or not DIGEST.match(params.get("Value", "")) \
                    or not params.get("TTL", "").isdigit():
                return self.fail(400, "InvalidParameter", f"bad AddDomainRecord {params}")
            rid = str(len(fake.records) + 9000000000000000)
            fake.records[rid] = params["Value"]
            fake.bind.nsupdate(f'update add _acme-challenge.{fake.zone}. 60 IN TXT "{params["Value"]}"')
            return self.reply(200, {"RequestId": str(uuid.uuid4()).upper(), "RecordId": rid})
        if action == "DeleteDomainRecord":
            rid = params.get("RecordId")
            if rid not in fake.records:
                return self.fail(400, "DomainRecordNotBelongToUser", "The DNS record does not exist.")
            value = fake.records.pop(rid)
            fake.bind.nsupdate(f'update delete _acme-challenge.{fake.zone}. TXT "{value}"')
            return self.reply(200, {"RequestId": str(uuid.uuid4()).upper(), "RecordId": rid})
        self.fail(400, "InvalidAction.NotFound", f"unexpected action {action}")


class Alidns(_Server):
    def __init__(self, bind, key_id, secret):
        self.bind = bind
        self.zone = bind.zone
        self.key_id = key_id
        self.secret = secret
        self.nonces = set()
        self.records = {}
        super().__init__(_AlidnsHandler)

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}/"
