#!/usr/bin/env python3
"""Differential fuzzer for request matching and placeholders: per seed, one generated
Caddyfile with many named matchers (path, path_regexp, header, header_regexp, query, method,
host, protocol, remote_ip, not and not-blocks, vars, vars_regexp, expression, file; 1-3
matchers ANDed in a set), each answering `respond "<id> <placeholders>"` from a `handle` or
`route` block, served by Debian's caddy 2.6.2 and by gatehouse through the compat runner
(run_compat.run_case), with generated requests that hit and miss them (dots, escapes, repeated
slashes, UTF-8, query edge cases, header case and repetition). Every differing request is
printed; the case (Caddyfile, requests.json, both logs) is saved for turning into a compat
case. A Caddyfile caddy refuses must be refused by `gatehouse validate` too.

ctest runs seeds 1-20 (`compat_match_fuzz`, about 5 s); wider runs are by hand, as a finding
needs a person to judge it (fix, or a known difference). Not generated: what 2.6.2's Caddyfile cannot say
(several sets under one name, `header Foo`/`!Foo`, several header values), forms where
Gatehouse deliberately follows newer Caddy (several `query` keys in one set: 2.6.2 ORs them;
the `{re.N}` shorthand; `client_ip`; the shorthands {orig_*}, {%uri}, {%path}, {%query},
{?query}, {uuid}, {client_ip}, {resp.*}, which 2.6.2 leaves as text) and {remote} (the client
port differs). A request repeating a query key is marked known (2.6.2's query matcher reads
the key's first value only, current Caddy any). 2.6.2 runs a set's matchers in Go's random
map order and stops at the first miss (Gatehouse: in key order), so a matcher that can fail
the request or sets placeholders stands alone in its set, or its placeholders are not asked
for.

Usage: match_fuzz.py <gatehouse> [--seeds N] [--seed FIRST] [--matchers N] [--requests N]
                     [--time-limit SEC] [--out DIR]
Exit: 0 no difference, 1 some, 77 caddy is not installed.
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_compat  # noqa: E402

SITE_FILES = {"index.html": "<h1>root</h1>\n", "a.txt": "aaa\n", "b.html": "<b>b</b>\n",
              "big.txt": "x" * 300, "dir/index.html": "<p>dir</p>\n", "dir/c.php": "<?php\n",
              "Upper.TXT": "UP\n", "sp ace.txt": "space\n", "caf\u00e9.txt": "cafe\n"}

SEGMENTS = ["a", "b", "api", "v1", "dir", "x.y", "a.txt", "b.html", "index.html", "Upper.TXT",
            "c.php", "caf\u00e9.txt", "%2F", "a%2Fb", "%41", "..", ".", "", "API", "foo.bar.baz",
            "%20", "sp%20ace.txt", "~u", "x;y", "%25", "%2e%2e", "%2E", "..%2F", "%C3%A9", "a.txt.",
            "c.php.", "c.php%20", "V1", "index.html%2F", "%7Eu", "a+b", "@x", "a:b"]
PATH_PATTERNS = ["/a", "/a*", "*/b", "/api/*", "/api/*/x", "*.txt", "*.html", "/dir/", "/dir*",
                 "/A*", "*", "/a%2Fb", "/a/b", "/%41*", "/api/v1/*", "*.php", "/x.y*",
                 "/sp ace.txt", "/caf\u00e9*", "/*/v1/*", "/foo.bar.baz", "//a*", "/a%2F*",
                 "/{query.q}*", "*/{path.0}", "/dir/*.php", "/a?b", "/[ab]*", "/a.txt.", "*~u*",
                 "/%7Eu*", "/a+b", "/@x", "/a:b", "/%2e%2e*"]
REGEXPS = ["^/a(.*)$", "/api/(?P<ver>v[0-9])/(.*)", "\\.(txt|html)$", "^/(?P<first>[^/]+)",
           "(?i)^/API", "^/dir/(.+)\\.php$", "^/$", "b$", "^/caf\u00e9"]
HEADERS = ["X-A", "X-B", "User-Agent", "Accept", "X-Empty", "Cookie"]
HEADER_VALUES = ["foo", "Foo", "foobar", "barfoo", "bar", "", "a, b", "1", "foo bar", "*"]
HEADER_PATTERNS = ["foo", "foo*", "*foo", "*oo*", "*", "Foo", "bar", "", "a, b", "1", "foo bar",
                   "{query.q}", "{query.q}*", "*{header.X-B}", "f*o", "**", "a,b"]
QUERY_KEYS = ["q", "x", "a", "Q", "e", "a b", "a+b"]
QUERY_VALUES = ["1", "foo", "", "a b", "a+b", "%2F", "caf%C3%A9", "*", "2"]
HOSTS = ["example.test", "foo.example.test", "EXAMPLE.TEST", "a.b.example.test", "other.test",
         "example.test:{PORT}", "127.0.0.1:{PORT}", "localhost", "[::1]:{PORT}", "foo.other.test",
         "example.test.", "[::1]", "Foo.Example.Test:{PORT}", "example.test:0080", "xn--caf-dma.test"]
HOST_PATTERNS = ["example.test", "*.example.test", "*.*.example.test", "EXAMPLE.test",
                 "other.test", "127.0.0.1", "localhost", "*.test", "foo.*", "::1", "[::1]",
                 "example.test.", "caf\u00e9.test", "*"]
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "get"]
PLACEHOLDERS = ["{path}", "{uri}", "{query}", "{query.q}", "{query.x}", "{query.Q}", "{path.0}",
                "{path.1}", "{path.2}", "{path.-1}", "{header.X-A}", "{header.x-b}",
                "{header.User-Agent}", "{http.request.uri.path.dir}",
                "{http.request.uri.path.file}", "{host}", "{hostport}", "{method}", "{scheme}",
                "{remote_host}", "{dir}", "{file}", "{labels.0}", "{labels.1}", "{labels.2}",
                "{http.request.uri.query}", "{http.request.uri}", "{http.request.orig_uri}",
                "{http.request.uri.path}", "{http.request.proto}", "{http.request.host.labels.1}",
                "{cookie.c}", "{http.request.header.Accept}", "{http.request.uri.query.a}",
                "{vars.v}", "{http.vars.v}", "{http.matchers.file.relative}",
                "{http.matchers.file.type}", "{http.matchers.file.remainder}",
                "{http.matchers.file.absolute}", "{http.request.uri.path.file.base}",
                "{http.request.uri.path.file.ext}", "{http.request.remote.host}",
                "{http.request.port}", "{http.request.hostport}", "{http.request.uri.path.2}",
                "{http.request.header.X-Empty}", "{query.e}", "{path.3}",
                "{http.request.uri.query.Q}", "{http.request.uri.query.q[]}", "{labels.3}",
                "{http.request.method}", "{http.request.scheme}", "{query.}",
                "{header.}", "{http.request.uri.path.file.base}"]


# Matchers that can fail the request (500 for a CEL runtime error, try_files' =404).
MAY_FAIL = ("=404", "{vars.v} ==")
# Matchers that set placeholders ({re.*}, {http.matchers.file.*}) as they run.
SIDE_EFFECTS = ("path_regexp", "header_regexp", "vars_regexp", "file")
SIDE_PLACEHOLDERS = ("{re.", "{http.regexp.", "{http.matchers.file.")


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Gen:
    def __init__(self, rng):
        self.rng = rng
        # Either matchers that set placeholders stand alone in their set and their
        # placeholders are used, or they mix with others and theirs are never asked for.
        self.side_alone = rng.random() < 0.5
        self.regexp_names = []  # (matcher-local name, capture keys) for {re.*} placeholders

    def pick(self, seq, k=None):
        return self.rng.choice(seq) if k is None else self.rng.sample(seq, k)

    def matcher_line(self, depth=0):
        r = self.rng
        kind = self.pick(["path", "path", "path_regexp", "header", "header", "header_regexp",
                          "query", "method", "host", "protocol", "remote_ip", "not",
                          "expression", "expression", "vars", "vars_regexp", "file"])
        if kind == "path":
            return "path " + " ".join(quote(p) for p in self.pick(PATH_PATTERNS, r.randint(1, 3)))
        if kind == "path_regexp":
            name = "p%d" % r.randint(0, 9)
            rx = self.pick(REGEXPS)
            self.regexp_names.append(name)
            return "path_regexp %s %s" % (name, quote(rx)) if r.random() < 0.8 else "path_regexp " + quote(rx)
        if kind == "header":
            h = self.pick(HEADERS + ["Host", "Connection"])
            # (2.6.2's Caddyfile takes one value; `header Foo` and `header !Foo` are 2.7+)
            return "header %s %s" % (h, quote(self.pick(HEADER_PATTERNS)))
        if kind == "header_regexp":
            name = "h%d" % r.randint(0, 9)
            self.regexp_names.append(name)
            rx = self.pick(["^foo(.*)$", "(?i)FOO", "^(?P<w>[a-z]+)", "b", "^$", "a, (b)"])
            return "header_regexp %s %s %s" % (name, self.pick(HEADERS), quote(rx))
        if kind == "query":
            k = self.pick(QUERY_KEYS)
            vals = self.pick(["1", "foo", "*", "", "a b", "2"], r.randint(1, 2))
            return "query " + " ".join(quote("%s=%s" % (k, v)) for v in vals)
        if kind == "method":
            return "method " + " ".join(self.pick(METHODS[:7], r.randint(1, 2)))
        if kind == "host":
            hosts = self.pick(HOST_PATTERNS, r.randint(1, 2))
            if len({h.lower() for h in hosts}) != len(hosts):
                hosts = hosts[:1]  # 2.6.2 refuses a host repeated in another case
            return "host " + " ".join(hosts)
        if kind == "protocol":
            return "protocol " + self.pick(["http", "https", "http/1.1", "http/2", "grpc", "http/1.0", "http/1", "http/3"])
        if kind == "remote_ip":
            cidrs = self.pick(["127.0.0.1", "127.0.0.0/8", "10.0.0.0/8", "::1", "1.2.3.4", "192.168.0.0/16"], r.randint(1, 2))
            fwd = "forwarded " if r.random() < 0.4 else ""
            return "remote_ip %s%s" % (fwd, " ".join(cidrs))
        if kind == "not":
            if depth > 0:
                return "path /a*"
            if r.random() < 0.3:  # a block: the negation of an AND of placeholder-free matchers
                inner = [self.matcher_line(depth + 1) for _ in range(3)]
                keep = ("path", "header", "method", "protocol", "remote_ip")
                inner = {m.split()[0]: m for m in inner if m.split()[0] in keep}  # one of a kind
                if inner:
                    return "not {\n%s\n\t\t}" % "\n".join("\t\t\t" + m for m in inner.values())
            return "not " + self.matcher_line(depth + 1)
        if kind == "expression":
            return "expression " + self.expression()
        if kind == "vars":
            return "vars %s %s" % (self.pick(["{vars.v}", "v", "{query.q}", "{path.0}"]),
                                   " ".join(quote(v) for v in self.pick(["1", "foo", "a", "", "api"], r.randint(1, 2))))
        if kind == "vars_regexp":
            self.regexp_names.append("vr")
            return "vars_regexp vr %s %s" % (self.pick(["{vars.v}", "v", "{header.X-A}"]), quote(self.pick(["^f(o+)", "^[0-9]+$", "(.*)"])))
        if kind == "file":
            return self.file_matcher()
        raise AssertionError(kind)

    def matcher_set(self, n):
        """n matcher lines; a regexp, remote_ip, host or query matcher at most once (2.6.2 refuses a
        second regexp, a second remote_ip line with `forwarded` not first, a repeated host;
        two query keys merge into one matcher, ORed by 2.6.2, ANDed by 2.7+ and Gatehouse)."""
        out, kinds = [], set()
        while len(out) < n:
            line = self.matcher_line()
            kind = line.split()[1 if line.startswith("not ") else 0]
            if any(f in line for f in MAY_FAIL) or (self.side_alone and kind in SIDE_EFFECTS):
                # 2.6.2 evaluates a set's matchers in Go's random map order and stops at the
                # first miss, so whether a failing matcher (or one setting placeholders) runs
                # at all is chance: alone only
                if out:
                    continue
                return [line]
            if "regexp" in kind or kind in ("remote_ip", "host", "query"):
                if kind in kinds:
                    continue
                kinds.add(kind)
            out.append(line)
        return out

    def expression(self):
        r = self.rng
        atoms = ['{path}.startsWith("/a")', '{path}.endsWith(".txt")', '{method} == "GET"',
                 '{method} in ["POST", "PUT"]', '{header.X-A} == "foo"', '{query.q} == "1"',
                 '{path}.matches("^/api/v[0-9]")', '{host}.contains("example")',
                 '{http.request.uri.query} != ""', '{http.request.header.X-A}.contains("foo")',
                 'path("/a*")', 'path("*.html", "/dir/*")', 'method("POST")',
                 'header({"X-A": "foo*"})', 'query({"q": "1"})', 'host("*.example.test")',
                 '{path.0} == "api"', 'size({path}) > 3', '{remote_host} == "127.0.0.1"',
                 'protocol("http")', 'header_regexp("X-A", "^f")', 'path_regexp("^/a")',
                 '{vars.v} == "1"', '{http.request.uri.path.file}.endsWith(".txt")',
                 '{query.q}.size() > 0', '{http.request.uri.query}.contains("a")',
                 '{http.request.host} == "example.test"',
                 '{http.request.uri.path.dir} == "/dir/"', '{header.User-Agent}.startsWith("f")',
                 'method("GET", "HEAD")', '!path("*.txt")', '{http.request.uri.path} in ["/", "/a"]',
                 'host("localhost", "127.0.0.1")', '{http.request.port} == ""']
        parts = [self.pick(atoms)]
        for _ in range(r.randint(0, 2)):
            parts.append(self.pick([" && ", " || "]) + ("!" if r.random() < 0.2 else "") +
                         "(" + self.pick(atoms) + ")")
        text = "".join(parts)
        return "`" + text + "`"

    def file_matcher(self):
        r = self.rng
        forms = ["file", "file {path}", "file /a.txt", "file {path} {path}.html {path}/index.html",
                 "file {\n\t\ttry_files {path} {path}/ /index.html\n\t}",
                 "file {\n\t\ttry_files {path}.html {path}.txt\n\t\ttry_policy first_exist\n\t}",
                 "file {\n\t\ttry_files /a.txt /big.txt /b.html\n\t\ttry_policy %s\n\t}" % self.pick(
                     ["smallest_size", "largest_size", "most_recently_modified", "first_exist"]),
                 "file {\n\t\troot {SITE}/dir\n\t\ttry_files {path} /index.html\n\t}",
                 "file {\n\t\ttry_files {path}\n\t\tsplit_path .php\n\t}",
                 "file {\n\t\ttry_files {path} =404\n\t}"]
        return self.pick(forms).replace("{SITE}", "{SITE}")


def gen_caddyfile(rng, n_matchers):
    g = Gen(rng)
    lines = [":{PORT} {", "\troot * {SITE}"]
    if rng.random() < 0.7:
        lines.append("\tvars v %s" % rng.choice(["1", "foo", "{query.q}", "{header.X-A}", "{path.0}"]))
    blocks = []
    for i in range(n_matchers):
        # (one set per name: 2.6.2 refuses a name defined twice)
        for s in [g.matcher_set(rng.randint(1, 3))]:
            if len(s) == 1 and "\n" not in s[0] and rng.random() < 0.5:
                lines.append("\t@m%d %s" % (i, s[0]))
            else:
                lines.append("\t@m%d {\n%s\n\t}" % (i, "\n".join("\t\t" + m for m in s)))
        phs = rng.sample(PLACEHOLDERS, rng.randint(2, 6))
        if not g.side_alone:
            phs = [p for p in phs if not p.startswith(SIDE_PLACEHOLDERS)]
        re_names = [n for n in g.regexp_names] if g.side_alone else []
        for n in rng.sample(re_names, min(len(re_names), 2)):
            phs.append("{re.%s.%s}" % (n, rng.choice(["0", "1", "2", "ver", "first", "w"])))
            phs.append("{http.regexp.%s.1}" % n)
        g.regexp_names = []
        body = quote("m%d %s" % (i, " ".join(phs)))
        blocks.append("\t%s @m%d {\n\t\trespond %s\n\t}" % (rng.choice(["handle", "handle", "route"]), i, body))
    lines += blocks
    lines.append("\thandle {\n\t\trespond \"none {path} {query}\" 404\n\t}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def gen_path(rng):
    segs = [rng.choice(SEGMENTS) for _ in range(rng.randint(0, 4))]
    path = "/" + "/".join(segs)
    x = rng.random()
    if x < 0.1:
        path = "/" + path
    elif x < 0.15:
        path += "/"
    elif x < 0.2:
        path = path.upper()
    if rng.random() < 0.4:
        pairs = []
        for _ in range(rng.randint(1, 3)):
            k = rng.choice(QUERY_KEYS + ["q[]", "", "a%20b"])
            pairs.append(k if rng.random() < 0.1 else "%s=%s" % (k, rng.choice(QUERY_VALUES)))
        path += "?" + rng.choice(["&", ";", "&&"]).join(pairs)
    elif rng.random() < 0.05:
        path += "?"
    return path


KNOWN_REPEATED = ("current Caddy's query matcher takes any value of a repeated key; 2.6.2 compares "
                  "only the first (x=2&x= does not match x=)")


def repeats_query_key(path):
    # keys as Go decodes them: "a%20b" and "a+b" are one key
    keys = [urllib.parse.unquote_plus(pair.split("=", 1)[0]) for pair in path.partition("?")[2].split("&") if pair]
    return len(set(keys)) != len(keys)


def gen_request(rng, i):
    path = gen_path(rng)
    method = rng.choice(["GET"] * 6 + ["HEAD", "POST", "PUT", "DELETE", "OPTIONS", "get"])
    headers = []
    for _ in range(rng.randint(0, 3)):
        name = rng.choice(HEADERS)
        name = rng.choice([name, name.lower(), name.upper()])
        headers.append((name, rng.choice(HEADER_VALUES)))
    if rng.random() < 0.15:
        headers.append(("X-Forwarded-For", rng.choice(["1.2.3.4", "10.1.2.3, 127.0.0.1", "junk", "::1"])))
    host = rng.choice(HOSTS)
    headers.append(("Host", host))
    names = [h[0].lower() for h in headers]
    raw = (method == "get" or any(ord(c) > 127 or c == " " for c in path)
           or len(set(names)) != len(names) or rng.random() < 0.1)
    req = {"name": "r%d" % i}
    if repeats_query_key(path):
        req["known_difference"] = KNOWN_REPEATED
    if raw:
        version = "HTTP/1.0" if rng.random() < 0.15 else "HTTP/1.1"
        lines = ["%s %s %s" % (method, path.replace(" ", "%20"), version)]
        lines += ["%s: %s" % h for h in headers] + ["Connection: close", "", ""]
        # UTF-8 bytes as latin-1 text: the runner sends raw lines as latin-1
        req["raw"] = [line.encode("utf-8").decode("latin-1") for line in lines]
    else:
        req.update({"method": method, "path": path, "headers": dict(headers)})
    return req


def refuses(gatehouse, case):
    """Whether `gatehouse validate` refuses the case's Caddyfile (caddy refused to start it)."""
    with tempfile.TemporaryDirectory(prefix="gatehouse-match-fuzz-validate-") as tmp:
        cfg = os.path.join(tmp, "Caddyfile")
        with open(os.path.join(case, "Caddyfile")) as f:
            text = run_compat.render(f.read(), run_compat.free_port(), os.path.join(case, "site"))
        with open(cfg, "w") as f:
            f.write(text)
        env = dict(os.environ, HOME=tmp, XDG_DATA_HOME=tmp, XDG_CONFIG_HOME=tmp)
        out = subprocess.run([gatehouse, "validate", "--config", cfg, "--adapter", "caddyfile"],
                             capture_output=True, env=env, timeout=60)
        return out.returncode != 0


def run_seed(seed, gatehouse, caddy, n_matchers, n_requests, out_dir):
    rng = random.Random(seed)
    caddyfile = gen_caddyfile(rng, n_matchers)
    requests = [gen_request(rng, i) for i in range(n_requests)]
    cases = tempfile.mkdtemp(prefix="gatehouse-match-fuzz-")
    name = "matchfuzz_seed%d" % seed
    try:
        case = os.path.join(cases, name)
        os.makedirs(case)
        with open(os.path.join(case, "Caddyfile"), "w") as f:
            f.write(caddyfile)
        with open(os.path.join(case, "requests.json"), "w") as f:
            json.dump(requests, f, indent=1)
        for rel, text in SITE_FILES.items():
            path = os.path.join(case, "site", rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        run_compat.CASES = cases
        with tempfile.TemporaryDirectory(prefix="gatehouse-match-fuzz-run-") as tmp:
            try:
                ok, msg, known = run_compat.run_case(name, gatehouse, caddy, tmp, False, True)
                for label, reason, diff in known:
                    if not diff.startswith("(no difference"):
                        print("known seed %d %s: %s\n      %s" % (seed, label, reason, diff), flush=True)
            except Exception as e:  # a broken seed must not hide the others
                ok, msg = False, "runner error: %r" % (e,)
            if not ok:  # both servers' logs go with the saved case
                for log in ("caddy.log", "gatehouse.log"):
                    if os.path.exists(os.path.join(tmp, name, log)):
                        shutil.copy(os.path.join(tmp, name, log), os.path.join(case, log))
        if not ok and msg.startswith("caddy did not start") and refuses(gatehouse, case):
            print("seed %d: both refuse the generated Caddyfile" % seed, flush=True)
            return True, "both refuse"
        if not ok:
            saved = os.path.join(out_dir, name)
            shutil.rmtree(saved, ignore_errors=True)
            shutil.copytree(case, saved)
            lines = msg.split("\n")
            more = "\n    (%d more)" % (len(lines) - 8) if len(lines) > 8 else ""
            print("DIFF seed %d: %s%s\n      case: %s" % (seed, "\n".join(lines[:8]), more, saved), flush=True)
        return ok, msg
    finally:
        shutil.rmtree(cases, ignore_errors=True)


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    gatehouse = os.path.abspath(args[0])
    opt = lambda name, default: args[args.index(name) + 1] if name in args else default  # noqa: E731
    first, seeds = int(opt("--seed", "1")), int(opt("--seeds", "5"))
    n_matchers, n_requests = int(opt("--matchers", "20")), int(opt("--requests", "80"))
    limit, out_dir = float(opt("--time-limit", "600")), opt("--out", tempfile.gettempdir())
    caddy = shutil.which("caddy")
    if not caddy:
        print("SKIP: caddy is not installed")
        return 77
    start, differing, ran = time.time(), 0, 0
    for seed in range(first, first + seeds):
        if time.time() - start > limit:
            print("time limit reached after %d seed(s)" % ran)
            break
        ok, _ = run_seed(seed, gatehouse, caddy, n_matchers, n_requests, out_dir)
        ran += 1
        differing += 0 if ok else 1
    print("%d seed(s), %d request(s) each: %d seed(s) differ" % (ran, n_requests, differing))
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
