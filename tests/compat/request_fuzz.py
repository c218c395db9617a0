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
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_compat  # noqa: E402

FIELDS = [
    ("Accept-Encoding", ["gzip", "zstd", "gzip, zstd", "br", "gzip;q=0", "*", "identity", "zstd;q=0.5, gzip;q=0.9"]),
    ("Range", ["bytes=0-3", "bytes=-5", "bytes=2-", "bytes=0-1,4-5", "bytes=100000-"]),
    ("If-None-Match", ["*", '"x"', 'W/"x"']),
    ("If-Modified-Since", ["Tue, 14 Nov 2023 22:13:20 GMT", "Mon, 01 Jan 2001 00:00:00 GMT", "junk"]),
    ("Cookie", ["a=1", "session=abc; theme=dark"]),
    ("Authorization", ["Basic Ym9iOmhpZGRlbg==", "Bearer abc", "Basic eDp5"]),
    ("Origin", ["https://example.test", "null"]),
    ("X-Forwarded-For", ["1.2.3.4", "10.0.0.1, 1.1.1.1"]),
    ("X-Forwarded-Proto", ["https"]),
    ("Accept", ["text/html", "application/json", "text/event-stream", "*/*"]),
    ("Connection", ["Upgrade"]),
    ("Upgrade", ["websocket"]),
    ("User-Agent", ["curl/8.0", "Mozilla/5.0", ""]),
    ("Content-Type", ["application/json", "application/x-www-form-urlencoded", "text/plain"]),
    ("Accept-Language", ["de-DE,de;q=0.9", "en"]),
]
SUFFIXES = ["", "/", "/x", "/index.html", "?a=1", "?a=1&a=2", "%20", "/../", "/.", "//", ".gz", "/sub/", "?", "/%2F", "/A"]
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]
SKIP_KEYS = ("raw", "then", "sleep", "known_difference", "pending", "timeout", "chunks")
KNOWN_QUERY = "newer Caddy (2.7+) keeps the query string in file_server redirects; 2.6.2 drops it"
KNOWN_413 = "newer Caddy (2.7+) answers 413 when request_body max_size stops a body the proxy is sending; 2.6.2 answers 502"


def mutate(rng, req):
    if any(k in req for k in SKIP_KEYS):
        return None
    r = copy.deepcopy(req)
    r.pop("name", None)
    for _ in range(rng.randint(1, 3)):
        x = rng.random()
        if x < 0.3:
            r["path"] = r.get("path", "/") + rng.choice(SUFFIXES)
        elif x < 0.45:
            r["method"] = rng.choice(METHODS)
        elif x < 0.85:
            name, values = rng.choice(FIELDS)
            r.setdefault("headers", {})[name] = rng.choice(values)
        elif x < 0.95 and r.get("headers"):
            r["headers"].pop(rng.choice(sorted(r["headers"])))
        else:
            r["body"] = rng.choice(["", "hello", '{"a":1}', "x" * 3000])
    if r.get("method", "GET") in ("GET", "HEAD"):
        r.pop("body", None)
    return r


def mark_known(r, caddyfile):
    """Requests in a class the suite already lists as a known difference."""
    if "file_server" in caddyfile:
        if r.get("method", "GET") not in ("GET", "HEAD"):
            r["method"] = "GET"  # 405 for other methods: newer Caddy's, listed everywhere
            r.pop("body", None)
        if "browse" in caddyfile:
            r.setdefault("headers", {})["Accept"] = "application/json"  # the HTML page is our own
        if "?" in r.get("path", ""):
            r["known_difference"] = KNOWN_QUERY
    if "request_body" in caddyfile and "reverse_proxy" in caddyfile and r.get("body"):
        r["known_difference"] = KNOWN_413


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
    caddyfile = ""
    if os.path.exists(os.path.join(case_dir, "Caddyfile")):
        with open(os.path.join(case_dir, "Caddyfile")) as f:
            caddyfile = f.read()
    out = []
    for _ in range(per_case * 3):
        m = mutate(rng, rng.choice(reqs))
        if m is not None:
            mark_known(m, caddyfile)
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
    differing = 0
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
                    ok, msg, _ = run_compat.run_case(name, gatehouse, caddy, tmp, False, True)
                except Exception as e:  # a broken case must not hide the others
                    ok, msg = False, "runner error: %r" % (e,)
            if not ok:
                differing += 1
                saved = os.path.join(out_dir, "request-fuzz-%s-%d.json" % (name, seed))
                with open(saved, "w") as f:
                    json.dump(requests, f, indent=1)
                print("DIFF %s: %s\n      requests: %s" % (name, msg, saved), flush=True)
    finally:
        shutil.rmtree(cases, ignore_errors=True)
    print("seed %d: %d case(s) differ" % (seed, differing))
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
