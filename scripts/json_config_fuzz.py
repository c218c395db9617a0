#!/usr/bin/env python3
"""Mutation fuzzer for the JSON config loader: the JSON halves of Caddy's adapter fixtures
(shared/corpus/caddyfile_adapt and tests/corpus/caddy262) are mutated (values replaced by
odd ones of every JSON type, keys dropped or renamed, values swapped between places and
between configs, list items repeated) and each result goes through `gatehouse validate
--config case.json`, which loads it and provisions it in check mode (every module built,
nothing bound or started). A run fails when the program crashes, ends with a status other
than 0 (valid) or 1 (refused), or hangs. Meant for a sanitizer build, under
tests/sanitizer_check.py, which then also fails the run on any ASan/UBSan/LSan report:

    python3 tests/sanitizer_check.py python3 scripts/json_config_fuzz.py build-asan-all/gatehouse \
        --seed 1 --cases 2000 --time-limit 600

Case i of seed S uses the generator seed S*1000003+i, so `--seed S --only i --keep DIR`
writes that one case back. Not part of ctest: a plain build finds nothing the sanitizers
would, and the run length is the caller's.

--vs-caddy also runs `caddy validate` (Debian's 2.6.2) on each case and fails a case whose
verdict differs: a config caddy accepts must load, one it refuses must be refused. Verdicts
that differ for a listed reason (VS_CADDY_KNOWN: a module Gatehouse refuses as not supported
yet, a newer Caddy field ...) are counted apart, not failed. `--only i --vs-caddy` prints both
programs' errors.
"""
import argparse
import concurrent.futures
import copy
import glob
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPORA = [os.path.join(ROOT, "..", "shared", "corpus", "caddyfile_adapt"),
           os.path.join(ROOT, "tests", "corpus", "caddy262", "caddyfile_adapt")]

# Values of every JSON type, chosen where parsers and converters tend to break: bounds of
# integers and doubles, empty and huge strings, placeholders, durations, addresses, NUL.
ODD = [None, True, False, 0, -1, 1, 2**31, 2**63 - 1, -2**63, 2**64, 1.5, -0.5, 1e308, -1e308, "",
       "x", "0", "-1", "a" * 5000, "{", "}", "{http.request.host}", "{env.HOME}", "%", "%zz", "\u0000",
       "0s", "-1s", "1ns", "99999999999h", "1.5.5", ":0", ":99999", "[::1]:-1", "localhost:", "*",
       "**.example.com", "/", "//", "\\", "..", "unix//tmp/x", "tcp/:", "udp/[::]:1-0", "1-65536",
       "10.0.0.0/33", "ff::/129", "\u00e9\u00e8", "\ud7ff", [], [None], [""], [-1], {}, {"": ""},
       {"handler": "static_response"}, {"handler": "reverse_proxy", "upstreams": [{}]},
       {"match": [{}]}, {"@id": "x"}]


def load_corpus():
    docs = []
    for corpus in CORPORA:
        for path in sorted(glob.glob(os.path.join(corpus, "*"))):
            with open(path, errors="replace") as f:
                parts = f.read().split("----------", 1)
            if len(parts) == 2:
                try:
                    doc = json.loads(parts[1])
                except ValueError:
                    continue
                if isinstance(doc, dict):
                    docs.append(doc)
    return docs


def nodes(doc, path=()):
    """Every (path, value) of a document, containers included."""
    yield path, doc
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from nodes(v, path + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from nodes(v, path + (i,))


def put(doc, path, value):
    if not path:
        return value
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return doc


def mutate_once(rng, doc, donors):
    places = list(nodes(doc))
    path, value = rng.choice(places)
    kind = rng.randrange(6)
    if kind == 0 or not path:
        return put(doc, path, copy.deepcopy(rng.choice(ODD))) if path else doc
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    if kind == 1:  # drop the key or item
        del parent[path[-1]]
    elif kind == 2 and isinstance(parent, dict):  # rename the key to one seen elsewhere
        other = [p[-1] for p, _ in nodes(rng.choice(donors)) if p and isinstance(p[-1], str)]
        if other:
            parent[rng.choice(other)] = parent.pop(path[-1])
    elif kind == 3:  # a value from elsewhere in this document
        put(doc, path, copy.deepcopy(rng.choice(places)[1]))
    elif kind == 4:  # a value from another config (another module's settings)
        put(doc, path, copy.deepcopy(rng.choice(list(nodes(rng.choice(donors))))[1]))
    elif isinstance(parent, list):  # repeat an item
        parent.insert(path[-1], copy.deepcopy(value))
    else:
        put(doc, path, copy.deepcopy(rng.choice(ODD)))
    return doc


def make_case(docs, seed, i):
    rng = random.Random(seed * 1000003 + i)
    doc = copy.deepcopy(rng.choice(docs))
    for _ in range(rng.randint(1, 4)):
        doc = mutate_once(rng, doc, docs)
    return doc


# --numbers: every number of every corpus config replaced by each of these in turn, where a
# number read into a narrower integer (or a double into an int) goes out of range.
NUMBERS = [1e300, -1e300, 1.5, 2**64, -2**63, 2**31]


def number_cases(docs):
    for d, doc in enumerate(docs):
        for path, value in nodes(doc):
            if path and isinstance(value, (int, float)) and not isinstance(value, bool):
                for n in NUMBERS:
                    yield d, path, n


# --vs-caddy: (side that accepts, regex on the other's error, reason). Gatehouse's refusal
# is matched when caddy accepts; caddy's when Gatehouse accepts.
VS_CADDY_KNOWN = [
    ("caddy", r"not supported yet|is not supported|not provisioned", "a module or option Gatehouse "
     "refuses as not supported yet (README lists them)"),
    ("gatehouse", r"ServerLogConfig\.servers\.logs\.logger_names of type string", "logger_names values "
     "may be lists (newer Caddy, as its current adapter fixtures print them)"),
    ("gatehouse", r"unknown field \"ca\"", "client_authentication's `ca` pool module (newer Caddy, "
     "as its current adapter fixtures print it)"),
    ("gatehouse", r"http\.matchers\.expression: json: cannot unmarshal object", "expression matchers "
     "may be objects with a name (newer Caddy, as its current adapter fixtures print them)"),
    ("gatehouse", r"caddy\.logging\.encoders\.filter\.multi_regexp", "the multi_regexp log filter "
     "(newer Caddy; list-modules names it among the later modules)"),
    ("gatehouse", r"tls\.issuance\.zerossl: json: unknown field \"(cname_validation|validity_days)\"",
     "newer Caddy's zerossl issuer fields (README: refused when the issuer is used)"),
    ("gatehouse", r'json: unknown field "(named_routes|permission|local_address|checksum|method|'
     r'request_buffers|response_buffers|stream_timeout|stream_close_delay)"|unknown try policy first_exist_fallback',
     "newer Caddy's fields Gatehouse reads (named routes, on_demand permission, transport local_address, "
     "zstd checksum, health_checks method, proxy buffers and stream timeouts, first_exist_fallback)"),
    ("gatehouse", r'http\.handlers\.reverse_proxy: json: unknown field "body"|'
     r'http\.reverse_proxy\.upstreams\.a: json: unknown field "versions"',
     "newer Caddy's health check request body and A-source versions"),
    ("caddy", r"listen address '[^']*' has no port|invalid port in listen address '[^']*:'", "a listen address without a port: caddy "
     "validates it and binds port 0 or fails to resolve it at start; Gatehouse refuses it at once"),
]


def run_validate(program, path, workdir, timeout):
    env = dict(os.environ, HOME=workdir, XDG_DATA_HOME=workdir, XDG_CONFIG_HOME=workdir)
    try:
        p = subprocess.run([program, "validate", "--config", path], cwd=workdir, env=env,
                           capture_output=True, text=True, errors="replace", timeout=timeout)
        return p.returncode, p.stderr
    except subprocess.TimeoutExpired:
        return "timeout", ""


def run_case(gatehouse, doc, workdir, timeout):
    path = os.path.join(workdir, "config.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    return run_validate(gatehouse, path, workdir, timeout)


def caddy_error(stderr):
    """caddy's last `Error:` line (its log lines are JSON)."""
    lines = [ln for ln in stderr.splitlines() if ln.startswith("Error:")]
    return lines[-1] if lines else stderr.strip()[-300:]


def verdict_difference(caddy_rc, caddy_err, gh_rc, gh_err):
    """None when the verdicts agree; else (known reason or None, description)."""
    if caddy_rc == gh_rc or caddy_rc not in (0, 1):
        return None
    accepter, other_err = ("caddy", gh_err) if caddy_rc == 0 else ("gatehouse", caddy_err)
    for side, pattern, reason in VS_CADDY_KNOWN:
        if side == accepter and re.search(pattern, other_err):
            return reason, ""
    if caddy_rc == 0:
        return None, "caddy accepts, gatehouse refuses: " + gh_err.strip()[-300:]
    return None, "caddy refuses, gatehouse accepts: " + caddy_error(caddy_err)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gatehouse")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--time-limit", type=float, default=300)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--only", type=int)
    ap.add_argument("--numbers", action="store_true",
                    help="instead of random cases: every number of the corpus replaced in turn (NUMBERS)")
    ap.add_argument("--keep", help="write failing cases (or the --only case) to this folder")
    ap.add_argument("--vs-caddy", action="store_true",
                    help="also run caddy validate and fail cases whose verdicts differ")
    args = ap.parse_args()
    gatehouse = os.path.abspath(args.gatehouse)
    docs = load_corpus()
    if not docs:
        print("no corpus found", file=sys.stderr)
        return 77
    indices = [args.only] if args.only is not None else list(range(args.cases))
    sweep = list(number_cases(docs)) if args.numbers else None
    if sweep is not None and args.only is None:
        indices = list(range(len(sweep)))
    deadline = time.time() + args.time_limit
    scratch = tempfile.mkdtemp(prefix="gatehouse-jsonfuzz-")
    counts = {"valid": 0, "refused": 0}
    failures = []
    mismatches, known_reasons = [], []
    caddy = shutil.which("caddy") if args.vs_caddy else None
    if args.vs_caddy and not caddy:
        print("caddy not found", file=sys.stderr)
        return 77

    def one(i):
        if time.time() > deadline:
            return i, None, "", None
        if sweep is not None:
            d, path, n = sweep[i]
            doc = put(copy.deepcopy(docs[d]), path, n)
        else:
            doc = make_case(docs, args.seed, i)
        workdir = os.path.join(scratch, str(i))
        os.makedirs(workdir)
        rc, err = run_case(gatehouse, doc, workdir, args.timeout)
        if args.vs_caddy and rc in (0, 1):
            crc, cerr = run_validate(caddy, os.path.join(workdir, "config.json"), workdir, args.timeout)
            diff = verdict_difference(crc, cerr, rc, err)
            if args.only is not None:
                print("caddy: exit %s %s\ngatehouse: exit %s %s" % (crc, caddy_error(cerr), rc, err.strip()))
            if diff is not None:
                known_reasons.append(diff[0]) if diff[0] else mismatches.append((i, diff[1]))
        shutil.rmtree(workdir, ignore_errors=True)
        return i, rc, err, doc

    try:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            for i, rc, err, doc in pool.map(one, indices):
                if rc is None:
                    continue
                # GCC's UBSan ignores log_path next to ASan: its report is on stderr, and the
                # halted process exits 1 like a refused config.
                if "runtime error:" in err or "Sanitizer" in err:
                    rc = "sanitizer report"
                if rc in (0, 1):
                    counts["valid" if rc == 0 else "refused"] += 1
                else:
                    failures.append(i)
                    print("case %d: exit %s\n%s" % (i, rc, err[-3000:]), flush=True)
                if args.keep and (rc not in (0, 1) or args.only is not None):
                    os.makedirs(args.keep, exist_ok=True)
                    with open(os.path.join(args.keep, "case-%d-%d.json" % (args.seed, i)), "w") as f:
                        json.dump(doc, f, indent=1)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    ran = counts["valid"] + counts["refused"] + len(failures)
    for i, what in sorted(mismatches):
        print("case %d: %s" % (i, what))
    for reason in sorted(set(known_reasons)):
        print("known x%d: %s" % (known_reasons.count(reason), reason))
    print("%d cases (seed %d): %d valid, %d refused, %d failed%s%s" % (
        ran, args.seed, counts["valid"], counts["refused"], len(failures),
        (": " + " ".join(map(str, failures))) if failures else "",
        ", %d verdicts differ from caddy's (%d known)" % (len(mismatches) + len(known_reasons), len(known_reasons))
        if args.vs_caddy else ""))
    return 1 if failures or mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
