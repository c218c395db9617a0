#!/usr/bin/env python3
"""Differential request fuzz: every compat case's own requests, mutated (path suffixes, query
strings, methods, common request fields, bodies), sent to Debian's caddy and to gatehouse
through the compat runner (run_compat.run_case), so each case's Caddyfile is exercised with
requests nobody wrote by hand. A difference is printed with the mutated request list, saved
as JSON for turning into a case. Not a ctest test: the requests change with the seed, and a
finding needs a person to judge it (fix, or a known difference).

Requests that hit differences the suite already lists as known (file_server's 405 for other
methods, the query kept in canonical redirects, 413 from request_body under reverse_proxy)
are marked known, so they are reported but do not count. Cases that depend on timing
("sleep" in their requests) or compare logs are skipped.

Usage: request_fuzz.py <gatehouse> [--seed N] [--per-case N] [--filter SUBSTRING] [--out DIR]
Exit: 0 no unexplained difference, 1 some, 77 caddy is not installed.
"""
import copy
import json
import os
import random
import re
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_compat  # noqa: E402

FIELDS = [
    ("Accept-Encoding", ["gzip", "zstd", "gzip, zstd", "br", "gzip;q=0", "*", "identity", "zstd;q=0.5, gzip;q=0.9",
                         "GZIP", "gzip;q=0, identity;q=0", "*;q=0", "deflate", "", "x-gzip"]),
    ("Range", ["bytes=0-3", "bytes=-5", "bytes=2-", "bytes=0-1,4-5", "bytes=100000-", "bytes=0-0", "bytes=-0",
               "bytes=3-1", "items=0-1", "bytes=0-1,0-1", "bytes= 0-3", "bytes=0-3,-2"]),
    ("If-None-Match", ["*", '"x"', 'W/"x"', "", '"a", "b"']),
    ("If-Match", ["*", '"x"', 'W/"x"']),
    ("If-Modified-Since", ["Tue, 14 Nov 2023 22:13:20 GMT", "Mon, 01 Jan 2001 00:00:00 GMT", "junk"]),
    ("If-Unmodified-Since", ["Tue, 14 Nov 2023 22:13:20 GMT", "Mon, 01 Jan 2001 00:00:00 GMT"]),
    ("If-Range", ["Tue, 14 Nov 2023 22:13:20 GMT", '"x"', "Mon, 01 Jan 2001 00:00:00 GMT"]),
    ("Cookie", ["a=1", "session=abc; theme=dark", ""]),
    ("Authorization", ["Basic Ym9iOmhpZGRlbg==", "Bearer abc", "Basic eDp5", "", "Basic !!"]),
    ("Origin", ["https://example.test", "null"]),
    ("X-Forwarded-For", ["1.2.3.4", "10.0.0.1, 1.1.1.1", "", "not-an-ip", "[::1]:80"]),
    ("X-Forwarded-Proto", ["https", "HTTP", ""]),
    ("X-Forwarded-Host", ["evil.test", "example.test:8443", ""]),
    ("X-Real-IP", ["5.6.7.8"]),
    ("Forwarded", ["for=1.2.3.4;proto=https"]),
    ("Accept", ["text/html", "application/json", "text/event-stream", "*/*", ""]),
    ("Connection", ["Upgrade", "close", "keep-alive", "X-Drop", "Upgrade, X-Drop"]),
    ("X-Drop", ["dropped-if-listed"]),
    ("Upgrade", ["websocket", "h2c"]),
    ("TE", ["trailers", "gzip"]),
    ("Proxy-Connection", ["keep-alive"]),
    ("Expect", ["100-continue"]),
    ("User-Agent", ["curl/8.0", "Mozilla/5.0", ""]),
    ("Content-Type", ["application/json", "application/x-www-form-urlencoded", "text/plain"]),
    ("Accept-Language", ["de-DE,de;q=0.9", "en"]),
    ("Cache-Control", ["no-cache", "no-transform"]),
    ("Referer", ["https://example.test/page"]),
    ("X-Empty", [""]),
]
# header_up/header_down and matchers see these: the case and spelling a client chose
HOSTS = ["EXAMPLE.TEST", "example.test.", "example.test:{PORT}", "example.test:80", "127.0.0.1", "[::1]",
         "other.test", "example.test:"]
SUFFIXES = ["", "/", "/x", "/index.html", "?a=1", "?a=1&a=2", "%20", "/../", "/.", "//", ".gz", "/sub/", "?", "/%2F", "/A",
            "/%41", "/%2e%2e/", "/%2E", "%2f", "/%25", "/%zz", "?a=%zz", "?a=b+c", "?a=%20", "?=x", "?a&&b=",
            "/%C3%A9", "?q=%C3%A9", "/%00", ";x=1", "/a/./b/../c", "#frag", "?a=1#f", "/~user", "/%7Euser"]
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]
# bodies and the Content-Type they come with: php_fastcgi, forward_auth and request_body read them
BODIES = [
    ("application/json", '{"a":1}'),
    ("application/json; charset=utf-8", '{"name":"\u00e9"}'),
    ("application/x-www-form-urlencoded", "a=1&b=two+words&c=%C3%A9"),
    ("application/x-www-form-urlencoded", "a"),
    ("multipart/form-data; boundary=XyZ", '--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--XyZ--\r\n'),
    ("text/plain", "hello"),
    ("text/plain;charset=UTF-8", ""),
    (None, "x" * 3000),
    (None, "y" * 70000),
    ("application/octet-stream", "\x01\x02binary"),
]
SKIP_KEYS = ("raw", "then", "sleep", "known_difference", "pending", "timeout", "chunks", "tls")
KNOWN_QUERY = "newer Caddy (2.7+) keeps the query string in file_server redirects; 2.6.2 drops it"
KNOWN_STRIP = "current Caddy keeps a leading '/' after strip_path_prefix (the path becomes '/...'); 2.6.2 leaves an empty or relative path"
KNOWN_RETRY_BODY = ("caddy 2.6.2 retries a request with a body after a dial error with the body Go's transport closed: "
                    "'invalid Read on closed Body', 502 (caddy #5454, fixed by #7547); Gatehouse sends the body to the next upstream")
KNOWN_ETAG = "newer Caddy (2.7+) suffixes the ETag of an encoded response with the coding (\"-gzip\"); 2.6.2 keeps the file's ETag"
KNOWN_HELD = ("held whole, a chunked body goes with a Content-Length, as Caddy 2.7+ request_buffers does "
              "(2.6.2 keeps the chunked framing)")
KNOWN_NO_TRANSFORM = ("newer Caddy (#5257) leaves the answer to a request with Cache-Control: no-transform "
                      "unencoded; 2.6.2 encodes it")
KNOWN_413 = "newer Caddy (2.7+) answers 413 when request_body max_size stops a body the proxy is sending; 2.6.2 answers 502"


def set_field(r, name, value):
    """Sets a field whatever the case of its name already in the request."""
    headers = r.setdefault("headers", {})
    for k in [k for k in headers if k.lower() == name.lower()]:
        del headers[k]
    headers[name] = value


def mutate_path(rng, r):
    x = rng.random()
    path = r.get("path", "/")
    if x < 0.75:  # a path suffix goes before the query, a query suffix merges with it
        base, q, query = path.partition("?")
        suffix = rng.choice(SUFFIXES)
        if suffix.startswith("?") and q:
            r["path"] = path + "&" + suffix[1:]
        elif q and not suffix.startswith("#"):
            r["path"] = base + suffix + q + query
        else:
            r["path"] = path + suffix
    elif x < 0.85:  # long paths
        base, q, query = path.partition("?")
        r["path"] = base.rstrip("/") + "/" + "seg/" * rng.randint(20, 300) + q + query
    elif x < 0.95:
        sep = "&" if "?" in path else "?"
        r["path"] = path + sep + "&".join("k%d=%s" % (i, "v" * rng.randint(1, 40)) for i in range(rng.randint(5, 200)))
    else:  # a letter of the path percent-encoded, in upper or lower hex
        letters = [i for i, c in enumerate(path) if c.isalpha() and "?" not in path[:i]]
        if letters:
            i = rng.choice(letters)
            enc = "%%%02X" % ord(path[i])
            r["path"] = path[:i] + (enc.lower() if rng.random() < 0.5 else enc) + path[i + 1:]


def mutate_body(rng, r):
    ctype, body = rng.choice(BODIES)
    if r.get("method", "GET") in ("GET", "HEAD"):
        r["method"] = rng.choice(["POST", "PUT", "PATCH"])
    if ctype is None:
        r.get("headers", {}).pop("Content-Type", None)
    else:
        set_field(r, "Content-Type", ctype)
    if rng.random() < 0.25 and body:
        r["chunks"] = [body[:len(body) // 2], body[len(body) // 2:]] if len(body) > 1 else [body]
        r.pop("body", None)
    else:
        r["body"] = body


def mutate_fields(rng, r):
    x = rng.random()
    if x < 0.55:
        name, values = rng.choice(FIELDS)
        set_field(r, name, rng.choice(values))
    elif x < 0.7:
        set_field(r, "Host", rng.choice(HOSTS))
    elif x < 0.8 and r.get("headers"):
        r["headers"].pop(rng.choice(sorted(r["headers"])))
    elif x < 0.9 and r.get("headers"):  # the same field with its name in another case
        k = rng.choice(sorted(r["headers"]))
        r["headers"][k.lower() if rng.random() < 0.5 else k.upper()] = r["headers"].pop(k)
    else:  # conditional and range fields together, as browsers send them
        set_field(r, "Range", rng.choice(FIELDS[1][1]))
        set_field(r, rng.choice(["If-Range", "If-None-Match", "If-Modified-Since"]),
                  rng.choice(['"x"', "Tue, 14 Nov 2023 22:13:20 GMT", "*"]))
        set_field(r, "Accept-Encoding", rng.choice(["gzip", "zstd", "gzip, zstd"]))


def to_raw(rng, r):
    """The request written byte for byte: HTTP/1.0, or 1.1 with a repeated field, a field
    name in odd case, an empty value, or a line folded into the previous one."""
    headers = dict(r.get("headers", {}))
    if not any(k.lower() == "host" for k in headers):
        headers["Host"] = "example.test"
    body = r.get("body") or ""
    version = rng.choice(["HTTP/1.0", "HTTP/1.1"])
    lines = ["%s %s %s" % (r.get("method", "GET"), r.get("path", "/"), version)]
    lines += ["%s: %s" % kv for kv in headers.items()]
    x = rng.random()
    if x < 0.3 and headers:  # a repeated field
        k = rng.choice(sorted(headers))
        if k.lower() not in ("host", "content-length", "transfer-encoding"):
            lines.append("%s: %s" % (k, rng.choice(["second", headers[k], ""])))
    elif x < 0.45:
        lines.append(rng.choice(["X-Empty:", "X-Spaces:    padded   ", "x-lower: v", "X-UPPER: V"]))
    elif x < 0.55 and version == "HTTP/1.0":
        lines.append("Connection: keep-alive")
    if r.get("chunks"):
        lines.append("Transfer-Encoding: chunked")
        body = "".join("%x\r\n%s\r\n" % (len(c.encode("latin-1")), c) for c in r["chunks"]) + "0\r\n\r\n"
    elif body or r.get("method") in ("POST", "PUT", "PATCH"):
        lines.append("Content-Length: %d" % len(body.encode("latin-1")))
    if version == "HTTP/1.1":
        lines.append("Connection: close")
    out = {"raw": lines + ["", body], "name": r.get("name", "")}
    for key in ("known_difference", "pending"):
        if key in r:
            out[key] = r[key]
    return out


def mutate(rng, req):
    if any(k in req for k in SKIP_KEYS):
        return None
    r = copy.deepcopy(req)
    r.pop("name", None)
    for _ in range(rng.randint(1, 3)):
        x = rng.random()
        if x < 0.3:
            mutate_path(rng, r)
        elif x < 0.42:
            r["method"] = rng.choice(METHODS)
        elif x < 0.85:
            mutate_fields(rng, r)
        else:
            mutate_body(rng, r)
    if r.get("method", "GET") in ("GET", "HEAD"):
        r.pop("body", None)
        r.pop("chunks", None)
    return r


def path_markers(reqs):
    """The case's own markers by path: a mutated request to a path the case marks pending or
    known (chroma-highlighted markdown, a template's stale length) differs for that reason."""
    out = {}
    for req in reqs:
        for key in ("pending", "known_difference"):
            if key in req and "path" in req:
                out.setdefault(req["path"].partition("?")[0], (key, req[key]))
    return out


def mark_known(r, caddyfile, markers=None):
    """Requests in a class the suite already lists as a known difference."""
    marker = (markers or {}).get(r.get("path", "/").partition("?")[0])
    if marker:
        r[marker[0]] = marker[1]
    if "file_server" in caddyfile:
        if r.get("method", "GET") not in ("GET", "HEAD"):
            r["method"] = "GET"  # 405 for other methods: newer Caddy's, listed everywhere
            r.pop("body", None)
            r.pop("chunks", None)
        if "browse" in caddyfile:
            set_field(r, "Accept", "application/json")  # the HTML page is our own
        if "?" in r.get("path", ""):
            r["known_difference"] = KNOWN_QUERY
    if ("buffer_requests" in caddyfile or "request_buffers" in caddyfile) and r.get("chunks"):
        r["known_difference"] = KNOWN_HELD
    if "request_body" in caddyfile and "reverse_proxy" in caddyfile and (r.get("body") or r.get("chunks")):
        r["known_difference"] = KNOWN_413
    if ("strip_prefix" in caddyfile or "handle_path" in caddyfile) and "%2f" in r.get("path", "").lower():
        r["known_difference"] = KNOWN_STRIP  # an escaped slash right after the prefix
    if ("lb_try_duration" in caddyfile or "lb_retries" in caddyfile) and (r.get("body") or r.get("chunks")):
        # 2.6.2 marks the upstream it failed on unhealthy, so later requests differ too:
        # such a body is not sent at all (KNOWN_RETRY_BODY says why)
        r.pop("body", None)
        r.pop("chunks", None)
    # Without its key field, a header policy picks at random in both servers (its fallback):
    # the key stays, so the pick is the hash's.
    for field in re.findall(r"lb_policy\s+header\s+(\S+)", caddyfile):
        if not any(k.lower() == field.lower() and v for k, v in r.get("headers", {}).items()):
            set_field(r, field, "fuzz-user")
    if "encode" in caddyfile and any(k.lower() == "cache-control" and "no-transform" in v.lower()
                                     for k, v in r.get("headers", {}).items()):
        r["known_difference"] = KNOWN_NO_TRANSFORM
    if "encode" in caddyfile and "file_server" in caddyfile and any(
            k.lower() == "accept-encoding" and v and "q=0" not in v for k, v in r.get("headers", {}).items()):
        r.setdefault("known_difference", KNOWN_ETAG)


def mark_raw_known(m, caddyfile):
    """The differences a raw request's own fields decide."""
    lines = m["raw"]
    head = lines[1:lines.index("")]
    if "encode" in caddyfile and any(line.lower().startswith("cache-control:") and "no-transform" in line.lower()
                                     for line in head):
        m["known_difference"] = KNOWN_NO_TRANSFORM


def config_text(case_dir):
    """The Caddyfile (or JSON config) and the files it may import (a case's other text
    files), for the known-class checks: a directive may sit in an imported file."""
    text = ""
    for dirpath, _, names in sorted(os.walk(case_dir)):
        for name in sorted(names):
            top = dirpath == case_dir
            if ((top and (not name.endswith(".json") or name == "config.json")) or name.endswith(".caddy")
                    or name.startswith("Caddyfile")):
                with open(os.path.join(dirpath, name), errors="replace") as f:
                    text += f.read() + "\n"
    return text


def case_requests(rng, case_dir, per_case):
    cfg = os.path.join(case_dir, "case.json")
    if os.path.exists(cfg):
        with open(cfg) as f:
            meta = json.load(f)
        if meta.get("logs") or meta.get("pending"):
            return None
    with open(os.path.join(case_dir, "requests.json")) as f:
        reqs = json.load(f)
    if any("sleep" in r for r in reqs):
        return None
    caddyfile = config_text(case_dir)
    markers = path_markers(reqs)
    out = []
    for _ in range(per_case * 3):
        m = mutate(rng, rng.choice(reqs))
        if m is not None:
            mark_known(m, caddyfile, markers)
            if rng.random() < 0.12:
                m = to_raw(rng, m)
                mark_raw_known(m, caddyfile)
            m["name"] = "fuzz%d" % len(out)
            out.append(m)
        if len(out) == per_case:
            break
    return out


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    gatehouse = os.path.abspath(args[0])
    opt = lambda name, default: args[args.index(name) + 1] if name in args else default  # noqa: E731
    seed, per_case = int(opt("--seed", "1")), int(opt("--per-case", "5"))
    filt, out_dir = opt("--filter", ""), opt("--out", tempfile.gettempdir())
    caddy = shutil.which("caddy")
    if not caddy:
        print("SKIP: caddy is not installed")
        return 77
    rng = random.Random(seed)
    source = run_compat.CASES
    cases = tempfile.mkdtemp(prefix="gatehouse-request-fuzz-")
    run_compat.CASES = cases
    differing = compared = known_seen = ran = 0
    try:
        for name in sorted(d for d in os.listdir(source) if filt in d):
            requests = case_requests(rng, os.path.join(source, name), per_case)
            if not requests:
                continue
            shutil.copytree(os.path.join(source, name), os.path.join(cases, name), symlinks=True)
            with open(os.path.join(cases, name, "requests.json"), "w") as f:
                json.dump(requests, f, indent=1)
            with tempfile.TemporaryDirectory(prefix="gatehouse-request-fuzz-run-") as tmp:
                try:
                    ok, msg, known = run_compat.run_case(name, gatehouse, caddy, tmp, False, True)
                except Exception as e:  # a broken case must not hide the others
                    ok, msg, known = False, "runner error: %r" % (e,), []
            ran, compared = ran + 1, compared + len(requests)
            known_seen += sum(1 for k in known if not k[2].startswith("(no difference"))
            if not ok:
                differing += 1
                saved = os.path.join(out_dir, "request-fuzz-%s-%d.json" % (name, seed))
                with open(saved, "w") as f:
                    json.dump(requests, f, indent=1)
                print("DIFF %s: %s\n      requests: %s" % (name, msg, saved), flush=True)
    finally:
        shutil.rmtree(cases, ignore_errors=True)
    print("seed %d: %d case(s) differ; %d requests compared in %d cases, %d known differences seen" % (
        seed, differing, compared, ran, known_seen))
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
