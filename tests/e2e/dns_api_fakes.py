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
import time
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


# ---------------------------------------------------------------- Amazon Route 53

def aws_encode(text):
    """SigV4's URI encoding: RFC 3986 unreserved kept, the rest %XY upper case."""
    return urllib.parse.quote(text, safe="-_.~")


def aws_sigv4(secret, method, path, query_pairs, headers, signed, body, amz_date, region, service):
    """AWS Signature Version 4 as AWS's "Create a signed AWS API request" guide states it;
    returns the hex signature."""
    query = "&".join(k + "=" + v for k, v in sorted((aws_encode(k), aws_encode(v)) for k, v in query_pairs))
    canon_headers = "".join(f"{h}:{' '.join(headers[h].strip().split())}\n" for h in signed)
    canonical = "\n".join([method, path, query, canon_headers, ";".join(signed), hashlib.sha256(body).hexdigest()])
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (amz_date[:8], region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


R53_NS = "https://route53.amazonaws.com/doc/2013-04-01/"
AUTH = re.compile(r"^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                  r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$")


class _Route53Handler(_Handler):
    def xml(self, status, body):
        data = ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def fail(self, status, code, message):
        self.server.fake.violations.append(f"{self.command} {self.path}: {code}: {message}")
        self.xml(status, f'<ErrorResponse xmlns="{R53_NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
                         f'<Message>{message}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>')

    def authorized(self, raw_body):
        """Recomputes the SigV4 signature from the request as received."""
        fake = self.server.fake
        m = AUTH.match(self.headers.get("Authorization", ""))
        if not m:
            self.fail(403, "MissingAuthenticationToken", "Authorization is not a SigV4 header")
            return False
        key_id, date, region, service, signed, signature = m.groups()
        signed = signed.split(";")
        amz_date = self.headers.get("X-Amz-Date", "")
        if key_id != fake.key_id:
            self.fail(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
            return False
        if region != "us-east-1" or service != "route53" or not amz_date.startswith(date) \
                or "host" not in signed or "x-amz-date" not in signed or signed != sorted(signed):
            self.fail(403, "IncompleteSignature", f"scope {date}/{region}/{service}, signed {signed}")
            return False
        if fake.session_token and (self.headers.get("X-Amz-Security-Token") != fake.session_token
                                   or "x-amz-security-token" not in signed):
            self.fail(403, "InvalidClientTokenId", "session token missing or unsigned")
            return False
        try:
            ts = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
            skew = abs((datetime.datetime.utcnow() - ts).total_seconds())
        except ValueError:
            skew = 1e9
        if skew > 300:
            self.fail(403, "RequestExpired", "X-Amz-Date is not now")
            return False
        url = urllib.parse.urlsplit(self.path)
        headers = {h: self.headers.get(h, "") for h in signed}
        pairs = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        expected = aws_sigv4(fake.secret, self.command, url.path, pairs, headers, signed, raw_body, amz_date,
                             region, service)
        if signature != expected:
            self.fail(403, "SignatureDoesNotMatch", "The request signature we calculated does not match")
            return False
        return True

    def record_set_xml(self, name):
        values = self.server.fake.rrsets.get(name)
        if values is None:
            return ""
        ttl, vals = values
        rr = "".join(f"<ResourceRecord><Value>{v}</Value></ResourceRecord>" for v in vals)
        return (f"<ResourceRecordSet><Name>{name}</Name><Type>TXT</Type><TTL>{ttl}</TTL>"
                f"<ResourceRecords>{rr}</ResourceRecords></ResourceRecordSet>")

    def do_GET(self):
        fake = self.server.fake
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        fake.calls.append(("GET", url.path, query))
        if not self.authorized(b""):
            return
        if url.path == "/2013-04-01/hostedzonesbyname":
            if query.get("dnsname", "").rstrip(".") != fake.zone:
                return self.fail(400, "InvalidDomainName", f"dnsname {query.get('dnsname')}")
            return self.xml(200, f'<ListHostedZonesByNameResponse xmlns="{R53_NS}"><HostedZones><HostedZone>'
                                 f"<Id>/hostedzone/{fake.zone_id}</Id><Name>{fake.zone}.</Name>"
                                 f"<CallerReference>gh</CallerReference><Config><PrivateZone>false</PrivateZone>"
                                 f"</Config><ResourceRecordSetCount>3</ResourceRecordSetCount></HostedZone>"
                                 f"</HostedZones><DNSName>{query['dnsname']}</DNSName><IsTruncated>false"
                                 f"</IsTruncated><MaxItems>{query.get('maxitems', '100')}</MaxItems>"
                                 f"</ListHostedZonesByNameResponse>")
        if url.path.startswith("/2013-04-01/change/"):  # GetChange: PENDING once, then INSYNC
            cid = url.path[len("/2013-04-01/change/"):]
            if cid not in fake.changes:
                return self.fail(404, "NoSuchChange", f"no change {cid}")
            fake.changes[cid] += 1
            status = "INSYNC" if fake.changes[cid] > 1 else "PENDING"
            fake.change_polls.append((cid, status))
            return self.xml(200, f'<GetChangeResponse xmlns="{R53_NS}"><ChangeInfo><Id>/change/{cid}</Id>'
                                 f"<Status>{status}</Status><SubmittedAt>2026-01-01T00:00:00.000Z</SubmittedAt>"
                                 f"</ChangeInfo></GetChangeResponse>")
        if url.path == f"/2013-04-01/hostedzone/{fake.zone_id}/rrset":
            name = query.get("name", "")
            if not name.endswith("." + fake.zone + ".") or query.get("type") != "TXT":
                return self.fail(400, "InvalidInput", f"name/type {query}")
            return self.xml(200, f'<ListResourceRecordSetsResponse xmlns="{R53_NS}"><ResourceRecordSets>'
                                 f"{self.record_set_xml(name)}</ResourceRecordSets><IsTruncated>false</IsTruncated>"
                                 f"<MaxItems>{query.get('maxitems', '100')}</MaxItems></ListResourceRecordSetsResponse>")
        self.fail(404, "NoSuchHostedZone", "no route for " + url.path)

    def do_POST(self):
        import xml.etree.ElementTree as ET
        fake = self.server.fake
        url = urllib.parse.urlsplit(self.path)
        raw = self.body()
        if not self.authorized(raw):
            return
        if fake.throttle > 0:  # Route 53's rate limit answer, which callers retry with backoff
            fake.throttle -= 1
            fake.throttled.append(time.time())
            return self.xml(400, f'<ErrorResponse xmlns="{R53_NS}"><Error><Type>Sender</Type><Code>Throttling'
                                 f'</Code><Message>Rate exceeded</Message></Error><RequestId>{uuid.uuid4()}'
                                 f'</RequestId></ErrorResponse>')
        if url.path != f"/2013-04-01/hostedzone/{fake.zone_id}/rrset/":
            return self.fail(404, "NoSuchHostedZone", "no route for " + url.path)
        ns = {"r": R53_NS}
        try:
            root = ET.fromstring(raw)
            change = root.find("r:ChangeBatch/r:Changes/r:Change", ns)
            action = change.find("r:Action", ns).text
            rrset = change.find("r:ResourceRecordSet", ns)
            name = rrset.find("r:Name", ns).text
            rtype = rrset.find("r:Type", ns).text
            ttl = int(rrset.find("r:TTL", ns).text)
            values = [v.text for v in rrset.findall("r:ResourceRecords/r:ResourceRecord/r:Value", ns)]
        except (ET.ParseError, AttributeError, ValueError, TypeError) as e:
            return self.fail(400, "InvalidInput", f"bad ChangeResourceRecordSetsRequest: {e}")
        fake.calls.append(("POST", action, name, values))
        if root.tag != "{%s}ChangeResourceRecordSetsRequest" % R53_NS or len(root.findall(".//r:Change", ns)) != 1:
            return self.fail(400, "InvalidInput", "root element or change count")
        if action not in ("CREATE", "UPSERT", "DELETE") or rtype != "TXT" or not values \
                or not name.endswith("." + fake.zone + ".") or not 0 <= ttl <= 2147483647 \
                or not all(len(v) == 45 and v[0] == v[-1] == '"' and DIGEST.match(v[1:-1]) for v in values):
            return self.fail(400, "InvalidInput", f"bad change {action} {name} {rtype} {ttl} {values}")
        current = fake.rrsets.get(name)
        if action == "CREATE" and current is not None:
            return self.fail(400, "InvalidChangeBatch", "record set already exists")
        if action == "DELETE" and current != (ttl, values):
            return self.fail(400, "InvalidChangeBatch", "Tried to delete resource record set but the values "
                                                        "provided do not match the current values")
        fqdn = name.rstrip(".")
        commands = [f"update delete {fqdn}. TXT"]
        if action == "DELETE":
            del fake.rrsets[name]
        else:
            fake.rrsets[name] = (ttl, values)
            commands += [f"update add {fqdn}. 60 IN TXT {v}" for v in values]
        fake.bind.nsupdate("\n".join(commands))
        fake.max_values = max(fake.max_values, len(values))
        cid = "C" + uuid.uuid4().hex[:12].upper()
        fake.changes[cid] = 0
        self.xml(200, f'<ChangeResourceRecordSetsResponse xmlns="{R53_NS}"><ChangeInfo><Id>/change/{cid}'
                      f"</Id><Status>PENDING</Status><SubmittedAt>2026-01-01T00:00:00.000Z</SubmittedAt></ChangeInfo>"
                      f"</ChangeResourceRecordSetsResponse>")


class Route53(_Server):
    def __init__(self, bind, key_id, secret, session_token=""):
        self.bind = bind
        self.zone = bind.zone
        self.zone_id = "Z0123456789ABCDEFGHIJ"
        self.key_id = key_id
        self.secret = secret
        self.session_token = session_token
        self.rrsets = {}  # absolute name -> (ttl, [quoted values])
        self.max_values = 0
        self.throttle = 0  # how many ChangeResourceRecordSets calls to answer with Throttling
        self.throttled = []  # when they came
        self.changes = {}  # change id -> GetChange polls so far
        self.change_polls = []  # (change id, status answered)
        super().__init__(_Route53Handler)

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"


# ---------------------------------------------------------------- Duck DNS

class _DuckdnsHandler(_Handler):
    def answer(self, text):
        data = text.encode()
        self.send_response(200)  # Duck DNS answers 200 with OK or KO
        self.send_header("Content-Type", "text/plain; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        fake = self.server.fake
        url = urllib.parse.urlsplit(self.path)
        pairs = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        params = dict(pairs)
        fake.calls.append({k: v for k, v in params.items() if k != "token"})
        problem = None
        if url.path != "/update" or len(params) != len(pairs):
            problem = "path must be /update with each parameter once"
        elif params.get("token") != fake.token:
            problem = "wrong token"
        elif params.get("domains") not in (fake.subdomain, fake.subdomain + ".duckdns.org"):
            problem = f"domains {params.get('domains')} is not this account's"
        elif not set(params) <= {"domains", "token", "txt", "verbose", "clear"} or "txt" not in params:
            problem = f"unexpected parameters {sorted(params)}"
        elif params.get("clear", "false") not in ("true", "false") or params.get("verbose", "false") not in ("true", "false"):
            problem = "clear/verbose must be true or false"
        elif params.get("clear") != "true" and not DIGEST.match(params["txt"]):
            problem = "txt is not an ACME digest"
        if problem:
            fake.violations.append(problem)
            return self.answer("KO")
        name = f"_acme-challenge.{fake.bind.zone}."
        if params.get("clear") == "true":
            fake.txt = ""
            fake.bind.nsupdate(f"update delete {name} TXT")
        else:
            fake.txt = params["txt"]
            fake.bind.nsupdate(f'update delete {name} TXT\nupdate add {name} 60 IN TXT "{fake.txt}"')
        verbose = params.get("verbose") == "true"
        self.answer("OK" + ("\n\n\n" + ("CLEARED" if params.get("clear") == "true" else "UPDATED") if verbose else ""))


class Duckdns(_Server):
    """One Duck DNS domain, `subdomain`.duckdns.org; its TXT value is written into BIND at
    _acme-challenge.<zone> (the name a CNAME would point there)."""

    def __init__(self, bind, token, subdomain):
        self.bind = bind
        self.token = token
        self.subdomain = subdomain
        self.txt = ""
        super().__init__(_DuckdnsHandler)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"


# ---------------------------------------------------------------- DigitalOcean API v2

class _BearerJsonHandler(_Handler):
    """A JSON REST API: subclasses define routes(); errors as the API shapes them."""

    def fail(self, status, message):
        self.server.fake.violations.append(f"{self.command} {self.path}: {message}")
        self.reply(status, self.error_body(status, message))

    def dispatch(self):
        fake = self.server.fake
        url = urllib.parse.urlsplit(self.path)
        raw = self.body()
        fake.calls.append((self.command, url.path, urllib.parse.parse_qs(url.query), raw))
        if not self.authorized():
            return
        body = None
        if self.command in ("POST", "PUT", "PATCH"):
            if self.headers.get("Content-Type", "").split(";")[0] != "application/json":
                return self.fail(415, "Content-Type must be application/json")
            try:
                body = json.loads(raw)
            except ValueError:
                return self.fail(400, "body is not JSON")
        self.route(url.path, urllib.parse.parse_qs(url.query), body)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = dispatch


class _DigitaloceanHandler(_BearerJsonHandler):
    def error_body(self, status, message):
        return {"id": {401: "unauthorized", 404: "not_found"}.get(status, "unprocessable_entity"), "message": message}

    def authorized(self):
        if self.headers.get("Authorization") != "Bearer " + self.server.fake.token:
            self.server.fake.violations.append("bad Authorization")
            self.reply(401, {"id": "unauthorized", "message": "Unable to authenticate you"})
            return False
        return True

    def route(self, path, query, body):
        fake = self.server.fake
        prefix = f"/v2/domains/{fake.zone}/records"
        if self.command == "POST" and path == prefix:
            if set(body) != {"type", "name", "data", "ttl"} or body["type"] != "TXT" \
                    or not re.match(r"^_acme-challenge(\.[a-z0-9-]+)*$", str(body["name"])) \
                    or not DIGEST.match(str(body["data"])) or not isinstance(body["ttl"], int) or body["ttl"] < 30:
                return self.fail(422, f"bad record {body}")
            rid = fake.next_id
            fake.next_id += 1
            fake.records[rid] = body
            fake.bind.nsupdate(f'update add {body["name"]}.{fake.zone}. 60 IN TXT "{body["data"]}"')
            return self.reply(201, {"domain_record": {"id": rid, "type": "TXT", "name": body["name"],
                                                      "data": body["data"], "priority": None, "port": None,
                                                      "ttl": body["ttl"], "weight": None, "flags": None,
                                                      "tag": None}})
        if self.command == "DELETE" and path.startswith(prefix + "/"):
            rid = path[len(prefix) + 1:]
            if not rid.isdigit() or int(rid) not in fake.records:
                return self.fail(404, "The resource you were accessing could not be found.")
            rec = fake.records.pop(int(rid))
            fake.bind.nsupdate(f'update delete {rec["name"]}.{fake.zone}. TXT "{rec["data"]}"')
            self.send_response(204)
            self.end_headers()
            return None
        if self.command == "GET" and path == prefix:
            name = query.get("name", [""])[0]
            found = [dict(r, id=i) for i, r in fake.records.items()
                     if f'{r["name"]}.{fake.zone}' == name and r["type"] == query.get("type", ["TXT"])[0]]
            return self.reply(200, {"domain_records": found, "links": {}, "meta": {"total": len(found)}})
        self.fail(404, "The resource you were accessing could not be found.")


class Digitalocean(_Server):
    def __init__(self, bind, token):
        self.bind = bind
        self.zone = bind.zone
        self.token = token
        self.records = {}
        self.next_id = 28448429
        super().__init__(_DigitaloceanHandler)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"


# ---------------------------------------------------------------- Hetzner DNS API v1

class _HetznerHandler(_BearerJsonHandler):
    def error_body(self, status, message):
        return {"error": {"message": message, "code": status}}

    def authorized(self):
        if self.headers.get("Auth-API-Token") != self.server.fake.token:
            self.server.fake.violations.append("bad Auth-API-Token")
            self.reply(401, {"message": "Invalid authentication credentials"})
            return False
        return True

    def route(self, path, query, body):
        fake = self.server.fake
        if self.command == "GET" and path == "/api/v1/zones":
            if query.get("name") != [fake.zone]:
                return self.fail(400, f"zone name {query.get('name')}")
            return self.reply(200, {"zones": [{"id": fake.zone_id, "name": fake.zone, "ttl": 86400,
                                               "status": "verified", "records_count": 3}],
                                    "meta": {"pagination": {"page": 1, "per_page": 100, "last_page": 1,
                                                            "total_entries": 1}}})
        if self.command == "POST" and path == "/api/v1/records":
            if set(body) != {"zone_id", "type", "name", "value", "ttl"} or body["zone_id"] != fake.zone_id \
                    or body["type"] != "TXT" or not re.match(r"^_acme-challenge(\.[a-z0-9-]+)*$", str(body["name"])) \
                    or not DIGEST.match(str(body["value"])) or not isinstance(body["ttl"], int):
                return self.fail(422, f"bad record {body}")
            rid = uuid.uuid4().hex
            fake.records[rid] = body
            fake.bind.nsupdate(f'update add {body["name"]}.{fake.zone}. 60 IN TXT "{body["value"]}"')
            return self.reply(200, {"record": dict(body, id=rid, created="2026-01-01 00:00:00.000 +0000 UTC",
                                                   modified="2026-01-01 00:00:00.000 +0000 UTC")})
        if self.command == "DELETE" and path.startswith("/api/v1/records/"):
            rid = path[len("/api/v1/records/"):]
            if rid not in fake.records:
                return self.fail(404, "record not found")
            rec = fake.records.pop(rid)
            fake.bind.nsupdate(f'update delete {rec["name"]}.{fake.zone}. TXT "{rec["value"]}"')
            return self.reply(200, {})
        if self.command == "GET" and path == "/api/v1/records":
            if query.get("zone_id") != [fake.zone_id]:
                return self.fail(404, "zone not found")
            return self.reply(200, {"records": [dict(r, id=i) for i, r in fake.records.items()]})
        self.fail(404, "not found")


class Hetzner(_Server):
    def __init__(self, bind, token):
        self.bind = bind
        self.zone = bind.zone
        self.zone_id = "rMu2waTJPbHr4"
        self.token = token
        self.records = {}
        super().__init__(_HetznerHandler)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}/api/v1"


# ---------------------------------------------------------------- Porkbun API v3

class _PorkbunHandler(_BearerJsonHandler):
    def error_body(self, status, message):
        return {"status": "ERROR", "message": message}

    def authorized(self):
        return True  # the keys ride in each JSON body: checked in route()

    def route(self, path, query, body):
        fake = self.server.fake
        if self.command != "POST" or not isinstance(body, dict):
            return self.fail(405, "every Porkbun call is a POST with a JSON object")
        if body.get("apikey") != fake.api_key or body.get("secretapikey") != fake.secret:
            fake.violations.append("bad apikey/secretapikey")
            return self.reply(403, {"status": "ERROR", "message": "Invalid API key. (002)"})
        rest = {k: v for k, v in body.items() if k not in ("apikey", "secretapikey")}
        prefix = "/api/json/v3/dns/"
        if path == f"{prefix}create/{fake.zone}":
            if set(rest) - {"name", "type", "content", "ttl", "prio", "notes"} or rest.get("type") != "TXT" \
                    or not re.match(r"^(_acme-challenge(\.[a-z0-9-]+)*)?$", str(rest.get("name"))) \
                    or not DIGEST.match(str(rest.get("content"))) \
                    or not (isinstance(rest.get("ttl"), str) and rest["ttl"].isdigit() and int(rest["ttl"]) >= 600):
                return self.fail(400, f"bad record {rest}")
            rid = fake.next_id
            fake.next_id += 1
            fake.records[rid] = rest
            name = (rest["name"] + "." if rest["name"] else "") + fake.zone
            fake.bind.nsupdate(f'update add {name}. 60 IN TXT "{rest["content"]}"')
            return self.reply(200, {"status": "SUCCESS", "id": rid})
        if path.startswith(f"{prefix}delete/{fake.zone}/"):
            rid = path.rsplit("/", 1)[1]
            if rest or not rid.isdigit() or int(rid) not in fake.records:
                return self.fail(400, "Invalid record ID.")
            rec = fake.records.pop(int(rid))
            name = (rec["name"] + "." if rec["name"] else "") + fake.zone
            fake.bind.nsupdate(f'update delete {name}. TXT "{rec["content"]}"')
            return self.reply(200, {"status": "SUCCESS"})
        if path.startswith(f"{prefix}retrieveByNameType/{fake.zone}/TXT"):
            sub = path[len(f"{prefix}retrieveByNameType/{fake.zone}/TXT"):].lstrip("/")
            found = [{"id": str(i), "name": (r["name"] + "." if r["name"] else "") + fake.zone, "type": "TXT",
                      "content": r["content"], "ttl": r["ttl"], "prio": "0", "notes": ""}
                     for i, r in fake.records.items() if r["name"] == sub]
            return self.reply(200, {"status": "SUCCESS", "records": found})
        self.fail(404, "no route for " + path)


class Porkbun(_Server):
    def __init__(self, bind, api_key, secret):
        self.bind = bind
        self.zone = bind.zone
        self.api_key = api_key
        self.secret = secret
        self.records = {}
        self.next_id = 106926652
        super().__init__(_PorkbunHandler)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}/api/json/v3"


# ---------------------------------------------------------------- deSEC API v1

class _DesecHandler(_BearerJsonHandler):
    def error_body(self, status, message):
        return {"detail": message}

    def authorized(self):
        if self.headers.get("Authorization") != "Token " + self.server.fake.token:
            self.server.fake.violations.append("bad Authorization")
            self.reply(401, {"detail": "Invalid token."})
            return False
        return True

    def rrset(self, subname):
        fake = self.server.fake
        ttl, records = fake.rrsets[subname]
        return {"created": "2026-01-01T00:00:00.000000Z", "domain": fake.zone, "subname": subname,
                "name": (subname + "." if subname else "") + fake.zone + ".", "type": "TXT", "ttl": ttl,
                "records": records, "touched": "2026-01-01T00:00:00.000000Z"}

    def route(self, path, query, body):
        fake = self.server.fake
        prefix = f"/api/v1/domains/{fake.zone}/rrsets/"
        if self.command == "GET" and path.startswith(prefix) and path.endswith("/TXT/"):
            sub = path[len(prefix):-len("/TXT/")]
            sub = "" if sub == "@" else sub
            if sub not in fake.rrsets:
                self.reply(404, {"detail": "Not found."})
                return None
            return self.reply(200, self.rrset(sub))
        if self.command == "PATCH" and path == prefix:
            if not isinstance(body, list) or len(body) != 1:
                return self.fail(400, "bulk PATCH takes a list of RRsets")
            rr = body[0]
            if set(rr) != {"subname", "type", "ttl", "records"} or rr["type"] != "TXT" \
                    or not re.match(r"^(_acme-challenge(\.[a-z0-9-]+)*)?$", str(rr["subname"])) \
                    or not isinstance(rr["ttl"], int) or rr["ttl"] < 3600 \
                    or not all(isinstance(v, str) and len(v) == 45 and v[0] == v[-1] == '"' and DIGEST.match(v[1:-1])
                               for v in rr["records"]):
                return self.fail(400, f"bad RRset {rr}")
            name = (rr["subname"] + "." if rr["subname"] else "") + fake.zone + "."
            commands = [f"update delete {name} TXT"] + [f"update add {name} 60 IN TXT {v}" for v in rr["records"]]
            fake.bind.nsupdate("\n".join(commands))
            fake.max_values = max(fake.max_values, len(rr["records"]))
            if rr["records"]:
                fake.rrsets[rr["subname"]] = (rr["ttl"], rr["records"])
                return self.reply(200, [self.rrset(rr["subname"])])
            fake.rrsets.pop(rr["subname"], None)
            return self.reply(200, [])
        self.fail(404, "Not found.")


class Desec(_Server):
    def __init__(self, bind, token):
        self.bind = bind
        self.zone = bind.zone
        self.token = token
        self.rrsets = {}  # subname -> (ttl, [quoted contents])
        self.records = self.rrsets
        self.max_values = 0
        super().__init__(_DesecHandler)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}/api/v1"


# ---------------------------------------------------------------- acme-dns

class _AcmednsHandler(_BearerJsonHandler):
    def error_body(self, status, message):
        return {"error": message}

    def authorized(self):
        fake = self.server.fake
        if (self.headers.get("X-Api-User"), self.headers.get("X-Api-Key")) != (fake.username, fake.password):
            fake.violations.append("bad X-Api-User / X-Api-Key")
            self.reply(401, {"error": "forbidden"})
            return False
        return True

    def route(self, path, query, body):
        fake = self.server.fake
        if self.command != "POST" or path != "/update":
            return self.fail(404, "not found")
        if not isinstance(body, dict) or set(body) != {"subdomain", "txt"} or body["subdomain"] != fake.subdomain:
            return self.fail(401, "forbidden")  # acme-dns: the subdomain must be the account's
        if not DIGEST.match(str(body["txt"])):
            return self.fail(400, "bad_txt")
        # acme-dns keeps the two newest values of the subdomain (rolling update)
        fake.values = (fake.values + [body["txt"]])[-2:]
        name = f"_acme-challenge.{fake.bind.zone}."
        fake.bind.nsupdate("\n".join([f"update delete {name} TXT"] +
                                     [f'update add {name} 60 IN TXT "{v}"' for v in fake.values]))
        self.reply(200, {"txt": body["txt"]})


class Acmedns(_Server):
    """One acme-dns account; its subdomain's TXT values are written into BIND at
    _acme-challenge.<zone> (the name that CNAMEs to <subdomain>.<acme-dns domain>)."""

    def __init__(self, bind, username, password, subdomain):
        self.bind = bind
        self.username = username
        self.password = password
        self.subdomain = subdomain
        self.values = []
        super().__init__(_AcmednsHandler)

    @property
    def server_url(self):
        return f"http://127.0.0.1:{self.port}"
