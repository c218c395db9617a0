"""Random Caddyfile generator for the adapter differential fuzzer (adapt_fuzz.py).

Every case is built from realistic pieces of Caddy 2.6.2's Caddyfile syntax: global options,
snippets with arguments, named matchers, site addresses and every standard directive with its
subdirectives, nested in handle/route/handle_path/handle_errors. A fraction of the cases is
then mutated (an argument dropped or added, a wrong unit, an unknown subdirective, a brace
removed, a bad placeholder) so that error paths are compared too.

`generate(seed)` is a pure function of its seed: a difference found at seed S is reproduced
with `adapt_fuzz.py --seed S --cases 1`.
"""
import random

HASH = "JDJhJDE0JHFGVTFHa3JRZFlmRDYyY2FhcGJXZy5LZXdYTE5zLmN4ZXFjL0VGeDhKMVpVMGlXanptZ29x"
DURATIONS = ["10s", "1m", "500ms", "2h", "1h30m", "90s", "0", "1d", "250us", "1.5s"]
BAD_DURATIONS = ["10", "ten", "5x", "-", "1mm", "s"]
SIZES = ["1MB", "10KiB", "4096", "1gb", "512k", "2MiB"]
PATHS = ["/", "/api/*", "/static/*", "*.php", "/admin*", "/a/b/c", "/health", "/ws", "/*.css", "/x/"]
HOSTS = ["example.com", "www.example.com", "api.example.test", "localhost", "*.example.org", "sub.domain.test"]
UPSTREAMS = ["localhost:8080", "127.0.0.1:9000", "http://10.0.0.1:80", "https://backend.test",
             "h2c://127.0.0.1:8081", "[::1]:3000", "unix//run/app.sock", "backend:1234", ":9001",
             "{$UPSTREAM:localhost:7000}", "srv+http://_api._tcp.example.test", "10.0.0.2:8000-8002",
             "https://10.0.0.3:443", "upstream.test"]
HEADERS = ["X-Frame-Options", "Content-Security-Policy", "Cache-Control", "X-Custom", "Server",
           "Strict-Transport-Security", "Access-Control-Allow-Origin", "Referrer-Policy", "Via"]
PLACEHOLDERS = ["{host}", "{path}", "{uri}", "{remote_host}", "{http.request.uri.path}", "{query}",
                "{scheme}", "{method}", "{labels.1}", "{file}", "{http.request.header.X-Id}",
                "{vars.foo}", "{re.name.1}", "{args[0]}", "{cookie.session}", "{system.hostname}",
                "{time.now.unix}", "{http.error.status_code}", "{env.HOME}", "{tls_client_subject}",
                "{query.q}", "{path.0}", "{dir}", "{hostport}", "{upstream_hostport}"]
BAD_PLACEHOLDERS = ["{host", "{}", "{unclosed.thing", "{args[x]}", "{$}", "{ host }"]
STATUS = ["200", "204", "301", "302", "404", "403", "500", "503", "418", "2xx", "4xx", "5xx", "308"]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.matchers = []  # named matchers defined in the current site
        self.snippets = []  # (name, nargs)
        self.args_ctx = False  # inside a snippet body: {args...} placeholders are allowed
        self.depth = 0

    # --- small helpers -------------------------------------------------------------------
    def c(self, *xs):
        return self.r.choice(xs)

    def v(self, good, bad, prob=0.04):
        """A valid value, or now and then an invalid one."""
        return self.r.choice(bad) if self.r.random() < prob else self.r.choice(good)

    def p(self, prob):
        return self.r.random() < prob

    def some(self, xs, lo=1, hi=3):
        n = self.r.randint(lo, min(hi, len(xs)))
        return self.r.sample(xs, n)

    def dur(self):
        return self.c(*DURATIONS)

    def word(self):
        w = self.c("foo", "bar", "baz", "hello world", "Hello, World!", "{host}", "x=1", "a b c",
                   "json", "ok", "", "don't", 'say "hi"', "tab\\there", "multi\nline")
        return self.quote(w)

    def quote(self, w):
        if w == "" or any(ch in w for ch in " \t\n\"{}") and not w.startswith("{"):
            if '"' in w or self.p(0.2):
                if "`" not in w:
                    return "`" + w + "`"
            return '"' + w.replace('"', '\\"') + '"'
        return w

    def placeholder(self):
        ph = self.c(*PLACEHOLDERS)
        if ph.startswith("{args") and not self.args_ctx:
            ph = "{host}"
        return ph

    def matcher_token(self):
        """The optional matcher token of a directive: none, *, a path, or a named matcher."""
        roll = self.r.random()
        if roll < 0.55:
            return []
        if roll < 0.65:
            return ["*"]
        if roll < 0.8 or not self.matchers:
            return [self.c(*[x for x in PATHS if x.startswith("/")])]
        return ["@" + self.c(*self.matchers)]

    def block(self, head, body):
        """A directive line with an optional block of lines (lists of strings)."""
        if body:
            return [head + " {"] + ["\t" + line for line in body] + ["}"]
        return [head]

    def line(self, *toks):
        return " ".join(t for t in toks if t is not None)

    # --- matchers ------------------------------------------------------------------------
    def matcher_body_line(self):
        kind = self.c("path", "path", "host", "method", "header", "header_regexp", "path_regexp",
                      "protocol", "query", "remote_ip", "file", "expression", "not", "vars",
                      "vars_regexp", "header_exists", "header_neg")
        if kind == "path":
            return [self.line("path", *self.some(PATHS))]
        if kind == "host":
            return [self.line("host", *self.some(HOSTS))]
        if kind == "method":
            return [self.line("method", *self.some(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS"]))]
        if kind == "header":
            return [self.line("header", self.c(*HEADERS), self.c("*foo*", "bar", "text/html*", '"a b"'))]
        if kind in ("header_exists", "header_neg") and self.p(0.9):
            kind = "header"
        if kind == "header":
            return [self.line("header", self.c(*HEADERS), self.c("*foo*", "bar", "text/html*", '"a b"'))]
        if kind == "header_exists":
            return [self.line("header", self.c("Authorization", "X-Id"))]
        if kind == "header_neg":
            return [self.line("header", "!" + self.c("Authorization", "X-Id"))]
        if kind == "header_regexp":
            name = [self.c("ua", "tok", "x_1")] if self.p(0.5) else []
            return [self.line("header_regexp", *name, self.c("User-Agent", "Cookie", "Host"),
                              self.v(["^Mozilla", "(?i)bot", "session=([a-f0-9]+)", "^(.+)\\.example\\.com$"],
                                     ["[unclosed"]))]
        if kind == "path_regexp":
            name = [self.c("static", "p", "ver")] if self.p(0.6) else []
            return [self.line("path_regexp", *name,
                              self.v(["^/api/v(\\d+)/(.*)$", "\\.(css|js|png)$", "^/u/([^/]+)", "(?P<id>\\d+)",
                                     "\"^/a b\""], ["(unclosed"]))]
        if kind == "protocol":
            return [self.line("protocol", self.c("http", "https", "grpc", "http/2", "http/1.1", "http/3"))]
        if kind == "query":
            return [self.line("query", *(self.some(["q=1", "debug=*", "a=b"]) + ([self.c("page=", "x")] if self.p(0.04) else [])))]
        if kind == "remote_ip":
            fw = ["forwarded"] if self.p(0.3) else []
            return [self.line("remote_ip", *fw, *self.some(["10.0.0.0/8", "192.168.1.1", "::1", "private_ranges",
                                                            "2001:db8::/32", self.v(["10.1.0.0/16"], ["127.0.0.1/33", "not-an-ip"])]))]
        if kind == "file":
            if self.p(0.4):
                return [self.line("file", *self.some(["{path}", "{path}/", "=404", "index.html", "{path}.html"]))]
            body = []
            if self.p(0.6):
                body.append(self.line("root", self.c("/srv", "/var/www", "{vars.root}")))
            if self.p(0.8):
                body.append(self.line("try_files", *self.some(["{path}", "{path}/index.html", "/index.html", "=404"])))
            if self.p(0.4):
                body.append(self.line("try_policy", self.v(["first_exist", "smallest_size", "largest_size", "most_recently_modified"], ["bogus"])))
            if self.p(0.3):
                body.append(self.line("split_path", ".php"))
            return self.block("file", body)
        if kind == "expression":
            expr = self.c('{method} == "GET"', '{path}.startsWith("/api")', "path('/foo*')",
                          "host('example.com') && method('POST')", '{http.request.header.X-Id} != ""',
                          "remote_ip('10.0.0.0/8')", "header({'X-A': 'b'})", 'query({"q": "1"})',
                          "{http.request.uri.query} == 'a=b'", "header_regexp('ua', 'User-Agent', '^curl')",
                          "path_regexp('^/x/(.*)')", '"x" + 1', "{remote_host} in ['1.2.3.4']",
                          "file({'try_files': ['{path}']})", "protocol('https')", "!(method('GET'))")
            if self.p(0.35):
                return ["expression `" + expr + "`"]
            if self.p(0.2):
                return ['expression "' + expr.replace('"', '\\"') + '"']
            return ["expression " + expr]
        if kind == "vars":
            return [self.line("vars", self.c("{vars.x}", "foo", "{http.request.uri.path}"), self.c("1", "bar", "a b"))]
        if kind == "vars_regexp":
            return [self.line("vars_regexp", *(["n"] if self.p(0.5) else []), self.c("{vars.x}", "foo"), "^abc")]
        # not
        inner = []
        for _ in range(self.r.randint(1, 2)):
            sub = self.matcher_body_line()
            if sub[0].startswith("not"):
                sub = ["path /never"]
            inner.extend(sub)
        if len(inner) == 1 and self.p(0.5):
            return ["not " + inner[0]]
        return self.block("not", inner)

    def named_matcher(self):
        name = self.c("api", "static", "ws", "bots", "admin", "m1", "m2", "php", "notget", "local")
        if name in self.matchers:
            name += str(len(self.matchers))
        self.matchers.append(name)
        if self.p(0.4):
            line = self.matcher_body_line()
            if len(line) == 1:
                return ["@" + name + " " + line[0]]
        body = []
        for _ in range(self.r.randint(1, 3)):
            body.extend(self.matcher_body_line())
        return self.block("@" + name, body)

    # --- directives ----------------------------------------------------------------------
    def d_abort(self):
        return [self.line("abort", *self.matcher_token())]

    def d_acme_server(self):
        body = []
        if self.p(0.5):
            body.append("ca " + self.c("local", "home"))
        if self.p(0.4):
            body.append("lifetime " + self.c("7d", "12h", "1h", "30d"))
        if self.p(0.3):
            body.append("resolvers 1.1.1.1 8.8.8.8")
        return self.block(self.line("acme_server", *self.matcher_token()), body)

    def d_basicauth(self):
        head = ["basicauth", *self.matcher_token()]
        if self.p(0.3):
            head.append(self.c("bcrypt", "scrypt"))
            if self.p(0.5):
                head.append(self.quote(self.c("Restricted", "My realm")))
        users = [self.line(self.c("bob", "alice", "{$USER:admin}", '"user name"'), HASH, *(["c2FsdA=="] if self.p(0.1) else []))
                 for _ in range(self.r.randint(1, 2))]
        return self.block(self.line(*head), users)

    def d_bind(self):
        return [self.line("bind", *self.some(["127.0.0.1", "::1", "0.0.0.0", "[::]", "unix//run/gh.sock",
                                              "tcp4/0.0.0.0", "udp/127.0.0.1", "localhost"]))]

    def d_encode(self):
        head = ["encode", *self.matcher_token()]
        if self.p(0.5):
            return [self.line(*head, *self.some(["gzip", "zstd"]))]
        body = []
        if self.p(0.7):
            body.append(self.line("gzip", *([self.v(["1", "5", "9", "0"], ["10"])] if self.p(0.5) else [])))
        if self.p(0.6):
            body.extend(self.block("zstd", ["level " + self.c("fastest", "better")]) if self.p(0.1) else ["zstd"])
        if self.p(0.4):
            body.append("minimum_length " + self.v(["256", "1024"], ["abc"]))
        if self.p(0.4):
            m = []
            if self.p(0.7):
                m.append(self.line("header", "Content-Type", self.c("text/*", "application/json*")))
            if self.p(0.5):
                m.append(self.line("status", *self.some(["2xx", "200", "404"])))
            body.extend(self.block("match", m))
        if self.p(0.15):
            body.append("br")
        return self.block(self.line(*head), body)

    def d_error(self):
        head = ["error", *self.matcher_token()]
        roll = self.r.random()
        if roll < 0.3:
            return [self.line(*head, self.c("404", "500", "403"))]
        if roll < 0.6:
            return [self.line(*head, self.word(), self.c("404", "500", "418"))]
        return self.block(self.line(*head, *([self.c("404", "500")] if self.p(0.95) else [])),
                          ["message " + self.word()])

    def d_file_server(self):
        head = ["file_server", *self.matcher_token()]
        if self.p(0.3):
            head.append("browse")
        body = []
        if self.p(0.3):
            body.append("root " + self.c("/srv/www", "{vars.root}", "./public"))
        if self.p(0.3):
            body.append(self.line("hide", *self.some([".git", "*.bak", "/etc/passwd", "secret"])))
        if self.p(0.3):
            body.append(self.line("index", *self.some(["index.html", "index.txt", "default.htm"])))
        if self.p(0.2):
            body.append(self.line("browse", *([self.c("/tmp/tpl.html")] if self.p(0.4) else [])))
        if self.p(0.25):
            body.append(self.line("precompressed", *self.some(["br", "gzip", "zstd"], 0, 3)))
        if self.p(0.15):
            body.append("status " + self.c("404", "200", "{http.error.status_code}"))
        if self.p(0.15):
            body.append("disable_canonical_uris")
        if self.p(0.15):
            body.append("pass_thru")
        if self.p(0.03):  # newer Caddy's
            body.extend(self.c(["etag_file_extensions .b3sum"], ["fs x"]))
        return self.block(self.line(*head), body)

    def rp_subdirectives(self, fastcgi=False):
        body = []
        if self.p(0.25):
            body.append(self.line("to", *self.upstreams()))
        if self.p(0.35):
            pol = self.c("random", "round_robin", "least_conn", "first", "ip_hash", "uri_hash",
                         "random_choose 2", "header X-Upstream", "cookie lb", "cookie lb secret", self.v(["first"], ["bogus"]))
            body.append("lb_policy " + pol)
        if self.p(0.2):
            body.append("lb_try_duration " + self.dur())
        if self.p(0.15):
            body.append("lb_try_interval " + self.dur())
        if self.p(0.1):
            body.append("lb_retries " + self.v(["3", "0"], ["x"]))
        if self.p(0.1):
            body.extend(self.block("lb_retry_match", self.c(["method POST"], ["method PUT", "path /api/*"],
                                                            ["header X-Retry 1"], ["not method POST"])))
        if self.p(0.25):
            body.append("health_uri " + self.c("/health", "/status?x=1"))
        if self.p(0.1):
            body.append("health_path /health")
        if self.p(0.15):
            body.append("health_port " + self.v(["8080"], ["x"]))
        if self.p(0.2):
            body.append("health_interval " + self.dur())
        if self.p(0.15):
            body.append("health_timeout " + self.dur())
        if self.p(0.15):
            body.append("health_status " + self.c("200", "2xx", "5xx"))
        if self.p(0.1):
            body.append("health_body " + self.c("ok", '"^up$"'))
        if self.p(0.1):
            body.extend(self.block("health_headers", ["Host example.com", "X-Check 1 2"]))
        if self.p(0.15):
            body.append("fail_duration " + self.dur())
        if self.p(0.1):
            body.append("max_fails " + self.c("3", "1"))
        if self.p(0.1):
            body.append("unhealthy_status " + self.c("5xx", "503 502"))
        if self.p(0.1):
            body.append("unhealthy_latency " + self.dur())
        if self.p(0.1):
            body.append("unhealthy_request_count " + self.v(["100"], ["x"]))
        if self.p(0.15):
            body.append("flush_interval " + self.c("-1", "100ms", "0"))
        if self.p(0.1):
            body.append("buffer_requests")
        if self.p(0.08):
            body.append("buffer_responses")
        if self.p(0.08):
            body.append("max_buffer_size " + self.v(SIZES, ["lots"]))
        if self.p(0.02):  # newer Caddy's; 2.6.2 refuses them
            body.append(self.c("health_method GET", "health_follow_redirects", "verbose_logs", "health_request_body x"))
        if self.p(0.02):
            body.append("request_buffers " + self.c(*SIZES))
        if self.p(0.02):
            body.append("response_buffers " + self.c(*SIZES))
        if self.p(0.02):
            body.append("stream_timeout " + self.dur())
        if self.p(0.02):
            body.append("stream_close_delay " + self.dur())
        if self.p(0.15):
            body.append(self.line("trusted_proxies", *self.some(["private_ranges", "10.0.0.0/8", "192.168.0.1"])))
        for _ in range(self.r.randint(0, 3) if self.p(0.4) else 0):
            body.append(self.header_up_down())
        if self.p(0.1):
            body.append("method " + self.c("GET", "POST"))
        if self.p(0.1):
            body.append("rewrite " + self.c("/new{uri}", "/health"))
        if self.p(0.1):
            body.append("replace_status " + self.c("200", "@m 404"))
        if self.p(0.15):
            body.extend(self.handle_response())
        if self.p(0.1):
            kind = self.c("a", "srv", "srv", "multi")
            if kind == "multi":
                body.extend(self.block("dynamic multi", self.block("a", self.dynamic_body("a")) +
                                       self.block("srv", self.dynamic_body("srv"))))
            else:
                body.extend(self.block("dynamic " + kind, self.dynamic_body(kind)))
        if self.p(0.3) and not fastcgi:
            body.extend(self.transport())
        return body

    def upstreams(self):
        if self.p(0.04):
            return self.some(UPSTREAMS, 1, 3)  # mixed schemes are an error in 2.6.2
        plain = [u for u in UPSTREAMS if "://" not in u or u.startswith("http://")]
        return self.some(self.c(plain, plain, ["https://backend.test", "https://10.0.0.3:443"],
                                ["h2c://127.0.0.1:8081"]), 1, 3)

    def dynamic_body(self, kind="a"):
        body = []
        if self.p(0.6):
            body.append("name " + self.c("app.internal", "_http._tcp.svc"))
        if kind == "srv" and self.p(0.5):
            body.append("service " + self.c("api", "http"))
        if kind == "srv" and self.p(0.4):
            body.append("proto " + self.c("tcp", "udp"))
        if kind == "a" and self.p(0.4):
            body.append("port " + self.c("8080", "80"))
        if self.p(0.15):
            body.append("dial_fallback_delay " + self.dur())
        if self.p(0.03):
            body.append("versions ipv4")  # newer Caddy's
        if self.p(0.4):
            body.append("refresh " + self.dur())
        if self.p(0.2):
            body.append("resolvers 8.8.8.8")
        if self.p(0.2):
            body.append("dial_timeout " + self.dur())
        return body

    def header_up_down(self):
        which = self.c("header_up", "header_down")
        field = self.c(*HEADERS, "Host", "X-Forwarded-For", "X-Real-IP")
        pre = self.c("", "", "+", "-")
        if pre == "-":
            return self.line(which, "-" + field)
        val = self.c(self.placeholder(), '"a b"', "value", "{upstream_hostport}")
        if self.p(0.2):
            return self.line(which, pre + field, self.c('"^(.*)$"', "foo"), self.c('"$1x"', "bar"))
        return self.line(which, pre + field, val)

    def handle_response(self):
        body = []
        if self.p(0.5):
            body.extend(self.block("@err", ["status " + self.c("500", "5xx", "404 403")]))
            head = "handle_response @err"
        else:
            head = "handle_response"
        inner = [self.c("respond \"upstream failed\" 502", "copy_response 404", "copy_response_headers {\n\t\tinclude X-A\n\t}",
                        "redir /login", "rewrite * /x\n\t\treverse_proxy localhost:1")]
        inner = [ln for s in inner for ln in s.split("\n")]
        return body + self.block(head, inner)

    def transport(self):
        kind = self.c("http", "http", "fastcgi")
        body = []
        opts_http = [
            lambda: "read_buffer " + self.c(*SIZES),
            lambda: "write_buffer " + self.c(*SIZES),
            lambda: "max_response_header " + self.c(*SIZES),
            lambda: "dial_timeout " + self.dur(),
            lambda: "dial_fallback_delay " + self.dur(),
            lambda: "response_header_timeout " + self.dur(),
            lambda: "expect_continue_timeout " + self.dur(),
            lambda: "resolvers 1.1.1.1",
            lambda: "tls",
            lambda: "tls_client_auth /etc/c.pem /etc/k.pem",
            lambda: "tls_insecure_skip_verify",
            lambda: "tls_timeout " + self.dur(),
            lambda: "tls_trusted_ca_certs /etc/ca.pem",
            lambda: "tls_server_name " + self.c("example.com", "{http.request.host}"),
            lambda: "tls_renegotiation " + self.v(["never", "once", "freely"], ["sometimes"]),
            lambda: "tls_except_ports 8080 8181",
            lambda: "keepalive " + self.c("off", "30s", "2m"),
            lambda: "keepalive_interval " + self.dur(),
            lambda: "keepalive_idle_conns " + self.v(["10"], ["x"]),
            lambda: "keepalive_idle_conns_per_host 5",
            lambda: self.line("versions", *self.some(["1.1", "2", "h2c", "3"])),
            lambda: "compression off",
            lambda: "max_conns_per_host " + self.c("8", "0"),
            lambda: "read_timeout " + self.dur(),
            lambda: "write_timeout " + self.dur(),
            lambda: "tls_client_auth " + self.c("example.com", "/etc/c.pem /etc/k.pem"),
            lambda: self.line("tls_trusted_ca_certs", *self.some(["/etc/ca.pem", "/etc/ca2.pem"], 1, 2)),
            lambda: self.c("forward_proxy_url http://proxy.test:3128", "local_address 10.0.0.9",
                           "tls_curves x25519", "proxy_protocol v2"),  # newer Caddy's; 2.6.2 refuses them
        ]
        opts_fcgi = [
            lambda: "root /var/www",
            lambda: "split .php",
            lambda: "env KEY " + self.word(),
            lambda: "resolve_root_symlink",
            lambda: "dial_timeout " + self.dur(),
            lambda: "read_timeout " + self.dur(),
            lambda: "write_timeout " + self.dur(),
            lambda: "capture_stderr",
        ]
        opts = opts_http if kind == "http" else opts_fcgi
        for f in self.some(opts, 0, 4):
            body.append(f())
        return self.block("transport " + kind, body)

    def d_reverse_proxy(self):
        head = ["reverse_proxy", *self.matcher_token()]
        if self.p(0.85):
            head += self.upstreams()
        body = self.rp_subdirectives() if self.p(0.6) else []
        return self.block(self.line(*head), body)

    def d_php_fastcgi(self):
        head = ["php_fastcgi", *self.matcher_token(), *self.some(["localhost:9000", "unix//run/php/php-fpm.sock", "127.0.0.1:9001"], 1, 2)]
        body = []
        if self.p(0.3):
            body.append("root /var/www/html")
        if self.p(0.3):
            body.append(self.line("split", *self.some([".php", ".php5"])))
        if self.p(0.3):
            body.append("env APP_ENV " + self.c("prod", '"a b"'))
        if self.p(0.2):
            body.append(self.line("index", self.c("index.php", "off")))
        if self.p(0.2):
            body.append(self.line("try_files", *self.some(["{path}", "{path}/index.php", "index.php"])))
        if self.p(0.1):
            body.append("resolve_root_symlink")
        if self.p(0.2):
            body.append("dial_timeout " + self.dur())
        if self.p(0.2):
            body.append("read_timeout " + self.dur())
        if self.p(0.1):
            body.append("capture_stderr")
        if self.p(0.2):
            body.extend(self.rp_subdirectives(fastcgi=True)[:3])
        return self.block(self.line(*head), body)

    def d_forward_auth(self):
        head = ["forward_auth", *self.matcher_token(), *self.some(["authelia:9091", "localhost:4000", "https://auth.test"], 1, 1)]
        body = []
        if self.p(0.97):
            body.append("uri " + self.c("/api/verify?rd=https://auth.example.com", "/auth", "/"))
        if self.p(0.6):
            body.append(self.line("copy_headers", *self.some(["Remote-User", "Remote-Groups", "Remote-Name>X-Name", "Remote-Email"])))
        if self.p(0.2):
            body.extend(self.block("copy_headers", ["Remote-User", "X-A>X-B"]))
        if self.p(0.3):
            body.extend(self.rp_subdirectives()[:3])
        return self.block(self.line(*head), body)

    def d_header(self):
        head = ["header", *self.matcher_token()]
        roll = self.r.random()
        if roll < 0.45:
            field = self.c(*HEADERS)
            op = self.c("", "", "+", "-", "?", ">")
            if op == "-":
                return [self.line(*head, "-" + field)]
            val = self.c('"DENY"', "nosniff", self.placeholder(), '"max-age=31536000; includeSubDomains"', "*")
            if self.p(0.15):
                return [self.line(*head, op + field, '"^(.*)$"', '"$1; secure"')]
            return [self.line(*head, op + field, val)]
        body = []
        for _ in range(self.r.randint(1, 4)):
            field = self.c(*HEADERS)
            op = self.c("", "", "+", "-", "?", ">")
            if op == "-":
                body.append("-" + field)
            elif self.p(0.15):
                body.append(self.line(op + field, '"old"', '"new"'))
            else:
                body.append(self.line(op + field, self.c('"DENY"', "nosniff", self.placeholder(), '"a, b"')))
        if self.p(0.15):
            body.append("defer")
        return self.block(self.line(*head), body)

    def d_request_header(self):
        head = ["request_header", *self.matcher_token()]
        field = self.c(*HEADERS)
        op = self.c("", "+", "-")
        if op == "-":
            return [self.line(*head, "-" + field)]
        return [self.line(*head, op + field, self.c(self.placeholder(), "x", '"a b"'))]

    def d_map(self):
        head = ["map", *self.matcher_token(), self.c("{host}", "{path}", "{http.request.header.User-Agent}"),
                *self.some(["{my_var}", "{vars.a}", "{b}"], 1, 2)]
        body = []
        for _ in range(self.r.randint(1, 4)):
            key = self.c("example.com", "~^/api/(.*)$", "foo", '"a b"', "~(?i)bot")
            ncols = len(head) - 2 - (1 if head[1].startswith(("@", "/", "*")) else 0)
            vals = [self.c("1", "bar", "${1}", "-", '"x y"', "{path}") for _ in range(max(1, ncols))]
            body.append(self.line(key, *vals))
        if self.p(0.5):
            body.append("default " + self.c("none", "0", "-"))
        return self.block(self.line(*head), body)

    def d_method(self):
        return [self.line("method", *self.matcher_token(), self.c("GET", "POST", "PUT"))]

    def d_metrics(self):
        body = ["disable_openmetrics"] if self.p(0.3) else []
        return self.block(self.line("metrics", *self.matcher_token()), body)

    def d_push(self):
        head = ["push", *self.matcher_token()]
        if self.p(0.4):
            return [self.line(*head, *([self.c("/style.css", "/app.js")] if self.p(0.7) else []))]
        body = []
        if self.p(0.7):
            body.append(self.line(self.c("GET", "HEAD", ""), self.c("/a.css", "/b.js")).strip())
        if self.p(0.5):
            body.extend(self.block("headers", ["X-Push 1", "-Cookie"]))
        return self.block(self.line(*head), body)

    def d_redir(self):
        head = ["redir", *self.matcher_token()]
        to = self.c("https://{host}{uri}", "/new", "https://example.com", "/login?next={uri}", "{http.request.uri}/")
        code = [self.v(["permanent", "temporary", "html", "301", "308", "302"], ["200", "999"])] if self.p(0.5) else []
        return [self.line(*head, to, *code)]

    def d_request_body(self):
        body = ["max_size " + self.v(SIZES, ["lots"])] if self.p(0.95) else []
        if self.p(0.03):  # newer Caddy's
            body.append(self.c("read_timeout", "write_timeout") + " " + self.dur())
        return self.block(self.line("request_body", *self.matcher_token()), body)

    def d_respond(self):
        head = ["respond", *self.matcher_token()]
        roll = self.r.random()
        if roll < 0.3:
            return [self.line(*head, self.word(), self.c(*STATUS[:9]))]
        if roll < 0.5:
            return [self.line(*head, self.c("200", "404", "{http.error.status_code}"))]
        if roll < 0.65:
            return [self.line(*head, self.word())]
        if roll < 0.68:
            return [self.line(*head, "<<EOF"), "\t<h1>hi {host}</h1>", self.line("\tEOF", *([self.c("200", "403")] if self.p(0.5) else []))]
        body = []
        if self.p(0.7):
            body.append("body " + self.word())
        if self.p(0.3):
            body.append("close")
        return self.block(self.line(*head, *([self.c("200", "503")] if self.p(0.9) else [])), body)

    def d_rewrite(self):
        m = self.matcher_token()
        if not m and self.p(0.9):
            m = ["*"]  # a target starting with '/' would be read as a path matcher
        return [self.line("rewrite", *m, self.c("/index.html", "{path}.html", "/api{uri}", "/x?{query}&y=1", "?a=b"))]

    def d_root(self):
        m = self.matcher_token()
        if not m and self.p(0.9):
            m = ["*"]  # 2.6.2 reads `root /path` as a path matcher without a root
        return [self.line("root", *m, self.c("/srv/www", "/var/www/html", "{$ROOT:/srv}", "./site", '"/path with space"'))]

    def d_skip_log(self):
        return [self.line("skip_log", *self.matcher_token())]

    def d_templates(self):
        body = []
        if self.p(0.4):
            body.append(self.line("mime", *self.some(["text/html", "text/plain", "application/json"])))
        if self.p(0.3):
            body.append("between {{ }}" if self.p(0.5) else "between <% %>")
        if self.p(0.3):
            body.append("root /srv/tpl")
        if self.p(0.05):
            body.extend(self.block("extensions", self.c([], ["hello"])))
        return self.block(self.line("templates", *self.matcher_token()), body)

    def d_try_files(self):
        files = self.some(["{path}", "{path}/", "/index.html", "{path}.html", "=404", "/index.php?{query}"], 1, 3)
        body = ["policy " + self.c("first_exist", "smallest_size", "largest_size", "most_recently_modified")] if self.p(0.2) else []
        return self.block(self.line("try_files", *files), body)

    def d_uri(self):
        head = ["uri", *self.matcher_token()]
        op = self.c("strip_prefix", "strip_suffix", "replace", "path_regexp")
        if op in ("strip_prefix", "strip_suffix"):
            return [self.line(*head, op, self.c("/api", ".php", "/v1/"))]
        if op == "replace":
            return [self.line(*head, op, self.c("/old", "a"), self.c("/new", "b"), *([self.c("1", "-1")] if self.p(0.3) else []))]
        return [self.line(*head, op, self.c("^/u/(.*)", "\\.html$"), self.c("/user/$1", ""))]

    def d_vars(self):
        head = ["vars", *self.matcher_token()]
        if self.p(0.5):
            return [self.line(*head, self.c("foo", "root", "x"), self.c("bar", "/srv", self.placeholder(), '"a b"'))]
        body = [self.line(self.c("a", "b", "c", "debug"), self.c("1", "true", self.placeholder())) for _ in range(self.r.randint(1, 3))]
        return self.block(self.line(*head), body)

    def d_copy_response_headers(self):
        body = [self.line(self.c("include", "exclude"), *self.some(["X-A", "X-B", "Set-Cookie"]))]
        return self.block("copy_response_headers", body)

    def d_tls(self):
        roll = self.r.random()
        if roll < 0.2:
            return ["tls internal"]
        if roll < 0.3:
            return ["tls " + self.c("admin@example.com", "{$EMAIL:me@example.com}")]
        if roll < 0.4:
            return ["tls /etc/cert.pem /etc/key.pem"]
        body = []
        opts = [
            lambda: self.line("protocols", self.v(["tls1.2", "tls1.3"], ["tls1.0"]), *([self.c("tls1.3", "tls1.2")] if self.p(0.5) else [])),
            lambda: self.line("ciphers", *self.some(["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", self.v(["TLS_AES_128_GCM_SHA256"], ["BOGUS_CIPHER"])])),
            lambda: self.line("curves", *self.some(["x25519", "secp256r1", "secp384r1", "p521"])),
            lambda: self.line("alpn", *self.some(["h2", "http/1.1", "acme-tls/1"])),
            lambda: "load /etc/certs",
            lambda: "ca https://acme-staging-v02.api.letsencrypt.org/directory",
            lambda: "ca_root /etc/ca.pem",
            lambda: "key_type " + self.v(["ed25519", "p256", "p384", "rsa2048", "rsa4096"], ["rsa1024"]),
            lambda: "on_demand",
            lambda: "resolvers 1.1.1.1",
            lambda: "propagation_delay " + self.dur(),
            lambda: "eab KID HMAC",
            lambda: "issuer " + self.c("internal", "acme", "zerossl KEY"),
            lambda: "\n".join(self.block("issuer acme", [self.line("email", "a@b.c"), "disable_http_challenge", "alt_tlsalpn_port 8443"][:self.r.randint(1, 3)])),
            lambda: "\n".join(self.block(self.c("issuer acme", "issuer zerossl KEY"), self.acme_issuer_body())),
            lambda: "dns_challenge_override_domain " + self.c("_acme.example.net", "other.test"),
            lambda: "\n".join(self.block("issuer internal", ["ca local", "lifetime 1d", "sign_with_root"][:self.r.randint(1, 3)])),
            lambda: "\n".join(self.block("client_auth", self.some(["mode " + self.c("request", "require", "verify_if_given", "require_and_verify", "strict"),
                                                                    "trusted_ca_cert_file /etc/ca.pem", "trusted_leaf_cert_file /etc/leaf.pem",
                                                                    "trusted_ca_cert MIIB", "trusted_leaf_cert MIIC"], 1, 3))),
            lambda: self.c("get_certificate http http://localhost:9007/certs", "get_certificate tailscale"),
            lambda: self.line("load", *self.some(["/etc/certs", "/etc/more"], 1, 2)),
            lambda: "insecure_secrets_log /tmp/keys.log",
        ]
        for f in self.some(opts, 1, 4):
            body.extend(f().split("\n"))
        if self.p(0.03):
            body.append(self.c("reuse_private_keys", "propagation_timeout 2m", "dns_ttl 1m", "ech example.com"))  # newer Caddy
        arg = [self.c("internal", "me@example.com")] if self.p(0.15) else []
        return self.block(self.line("tls", *arg), body)

    def acme_issuer_body(self):
        """Subdirectives of an `issuer acme` / `issuer zerossl` / `cert_issuer` block."""
        opts = [lambda: "dir " + self.c("https://ca.test/dir", "https://acme-v02.api.letsencrypt.org/directory"),
                lambda: "test_dir https://ca.test/staging", lambda: "email " + self.c("a@b.c", "{$ACME_EMAIL}"),
                lambda: "timeout " + self.dur(), lambda: "disable_http_challenge", lambda: "disable_tlsalpn_challenge",
                lambda: "alt_http_port " + self.v(["8080"], ["x"]), lambda: "alt_tlsalpn_port 8443",
                lambda: "eab KID MAC", lambda: self.line("trusted_roots", *self.some(["/etc/r1.pem", "/etc/r2.pem"], 1, 2)),
                lambda: "resolvers 1.1.1.1", lambda: "propagation_delay " + self.dur(),
                lambda: "propagation_timeout " + self.c(self.dur(), "-1"),
                lambda: "dns_challenge_override_domain x.example.net",
                lambda: "preferred_chains " + self.c("smallest", "{\n\troot_common_name \"ISRG Root X1\"\n}",
                                                     "{\n\tany_common_name X Y\n}")]
        return [ln for f in self.some(opts, 1, 4) for ln in f().split("\n")]

    def d_log(self):
        head = ["log"]
        if self.p(0.15):
            head.append(self.c("access", "mylog"))
        body = []
        if self.p(0.7):
            kind = self.c("stdout", "stderr", "discard", "file", "file", "net")
            if kind == "file":
                roll = []
                for f in self.some([lambda: "roll_size " + self.v(["10MB", "1gb"], ["x"]), lambda: "roll_keep " + self.v(["5"], ["x"]),
                                    lambda: "roll_keep_for " + self.v(["720h", "30d"], ["x"]), lambda: "roll_uncompressed",
                                    lambda: "roll_local_time", lambda: "roll_disabled", lambda: "mode " + self.c("0600", "644")], 0, 3):
                    roll.append(f())
                body.extend(self.block("output file " + self.c("/var/log/access.log", "{$LOGDIR:/tmp}/a.log"), roll))
            elif kind == "net":
                body.extend(self.block("output net " + self.c("localhost:5140", "udp/127.0.0.1:514"),
                                       self.some(["dial_timeout " + self.dur(), "soft_start"], 0, 2)))
            else:
                body.append("output " + kind)
        if self.p(0.6):
            body.extend(self.log_format())
        if self.p(0.3):
            body.append("level " + self.v(["DEBUG", "INFO", "WARN", "ERROR", "info"], ["bogus"]))
        if self.p(0.02):  # newer Caddy's
            body.extend(self.block("sampling", ["interval 1s", "first 3"]))
        return self.block(self.line(*head), body)

    def log_format(self):
        kind = self.c("console", "json", "filter", "filter", "console", "json", "filter", "single_field")
        if kind in ("console", "json"):
            opts = []
            for f in self.some([lambda: "message_key msg", lambda: "level_key lvl", lambda: "time_key ts",
                                lambda: "time_format " + self.c("iso8601", "unix_milli_float", "wall", "rfc3339_nano", '"2006-01-02"'),
                                lambda: "duration_format " + self.c("seconds", "nano", "string"),
                                lambda: "level_format " + self.c("upper", "color", "lower"), lambda: "name_key logger",
                                lambda: "stacktrace_key st", lambda: "line_ending crlf", lambda: "caller_key c",
                                lambda: "time_local"], 0, 3):
                opts.append(f())
            return self.block("format " + kind, opts)
        if kind == "single_field":
            return ["format single_field common_log"]
        fields = []
        for _ in range(self.r.randint(1, 3)):
            name = self.c("request>headers>Authorization", "request>remote_ip", "request>uri", "common_log",
                          "request>headers>Cookie", "resp_headers>Set-Cookie", "user_id")
            op = self.c("delete", "replace REDACTED", "ip_mask", "query", "cookie", "regexp", "hash", "rename id")
            if op == "ip_mask":
                if self.p(0.5):
                    fields.append(self.line(name, "ip_mask", "16", "32"))
                else:
                    fields.extend(self.block(name + " ip_mask", ["ipv4 24", "ipv6 32"]))
            elif op == "query":
                fields.extend(self.block(name + " query", ["delete foo", "replace bar REDACTED", "hash baz"]))
            elif op == "cookie":
                fields.extend(self.block(name + " cookie", ["delete session", "replace id X", "hash h"]))
            elif op == "regexp":
                fields.append(self.line(name, "regexp", '"^(.*)$"', "X"))
            else:
                fields.append(self.line(name, op))
        body = []
        if self.p(0.7):
            body.extend(self.block("wrap " + self.c("console", "json"), []))
        body.extend(self.block("fields", fields))
        return self.block("format filter", body)

    def d_handle(self):
        return self.nested("handle", with_matcher=True)

    def d_route(self):
        return self.nested("route", with_matcher=True)

    def d_handle_path(self):
        return self.nested("handle_path " + self.c("/api/*", "/static*", "/v1", "/x/*"), with_matcher=False)

    def d_handle_errors(self):
        if self.depth > 0:
            return self.d_respond()
        codes = self.some(["404", "5xx", "403", "410"], 0, 2) if self.p(0.3) else []
        return self.nested(self.line("handle_errors", *codes), with_matcher=False)

    def nested(self, head, with_matcher):
        if self.depth >= 2:
            return self.d_respond()
        self.depth += 1
        if with_matcher:
            head = self.line(head, *self.matcher_token())
        body = []
        for _ in range(self.r.randint(1, 3)):
            body.extend(self.directive())
        self.depth -= 1
        return self.block(head, body)

    def d_copy_response(self):
        return self.d_respond()  # only valid inside handle_response; generated there

    def d_import(self):
        if not self.snippets:
            return self.d_respond()
        name, nargs = self.c(*self.snippets)
        args = [self.c("a", "/api", "8080", '"x y"', "{host}") for _ in range(nargs)]
        return [self.line("import", name, *args)]

    DIRECTIVES = ["abort", "acme_server", "basicauth", "encode", "error", "file_server", "forward_auth",
                  "header", "request_header", "map", "method", "metrics", "push", "redir", "request_body",
                  "respond", "respond", "reverse_proxy", "reverse_proxy", "reverse_proxy", "php_fastcgi",
                  "rewrite", "root", "skip_log", "templates", "try_files", "uri", "vars",
                  "copy_response_headers", "handle", "handle", "route", "handle_path", "import",
                  "handle_errors"]
    SITE_ONLY = ["tls", "log", "bind"]

    def directive(self, top=False):
        names = self.DIRECTIVES + (self.SITE_ONLY if top else [])
        name = self.c(*names)
        if name == "handle_errors" and not top:
            name = "respond"
        return getattr(self, "d_" + name)()

    # --- global options ------------------------------------------------------------------
    def global_options(self):
        opts = []
        pool = [
            lambda: ["debug"],
            lambda: ["http_port " + self.v(["8080", "80"], ["x"])],
            lambda: ["https_port " + self.c("8443", "443")],
            lambda: ["default_bind " + " ".join(self.some(["127.0.0.1", "::1", "0.0.0.0"]))],
            lambda: ["order " + self.c("php_fastcgi before file_server", "request_body after encode",
                                      "rate_limit before basicauth", "vars first", "abort last",
                                      "respond before nope")],
            lambda: self.block("storage file_system", ["root /var/lib/gh"]) if self.p(0.6) else ["storage file_system /var/lib/gh"],
            lambda: ["storage_clean_interval " + self.dur()],
            lambda: ["renew_interval " + self.dur()],
            lambda: ["ocsp_interval " + self.dur()],
            lambda: ["admin " + self.c("off", "localhost:2020", "unix//run/admin.sock")] if self.p(0.6) else
            self.block("admin localhost:2019", ["origins localhost:2019 example.com", "enforce_origin"][:self.r.randint(1, 2)]),
            lambda: self.block("log" + self.c("", " default", " access"), self.d_log()[1:-1] or ["level INFO"]),
            lambda: self.block("log " + self.c("default", "audit"), (self.d_log()[1:-1] or ["output stderr"]) +
                               self.some(["include http.log.access", "exclude admin.api", "include " + self.c("tls", "http"),
                                          "exclude http.handlers"], 1, 2)),
            lambda: self.block("cert_issuer " + self.c("acme", "zerossl KEY"), self.acme_issuer_body()),
            lambda: self.block("cert_issuer internal", self.some(["ca " + self.c("local", "corp"), "lifetime 1d", "sign_with_root"], 1, 2)),
            lambda: ["default_bind " + self.c("127.0.0.1", "::1 127.0.0.1")],
            lambda: self.block("events", []),
            lambda: ["grace_period " + self.dur()],
            lambda: ["shutdown_delay " + self.dur()],
            lambda: ["email " + self.c("admin@example.com", "{$ACME_EMAIL}")],
            lambda: ["acme_ca " + self.c("https://acme-staging-v02.api.letsencrypt.org/directory", "https://ca.test/dir")],
            lambda: ["acme_ca_root /etc/root.pem"],
            lambda: self.block("acme_eab", ["key_id KID", "mac_key MACKEY"]),
            lambda: self.block("on_demand_tls", self.some(["ask http://localhost:5555/check", "interval 2m", "burst 5"], 1, 3)),
            lambda: ["local_certs"],
            lambda: ["skip_install_trust"],
            lambda: ["key_type " + self.v(["ed25519", "p256", "rsa2048"], ["bogus"])],
            lambda: ["cert_issuer " + self.c("internal", "acme", "zerossl KEY")],
            lambda: ["ocsp_stapling off"],
            lambda: ["preferred_chains smallest"] if self.p(0.3) else self.block("preferred_chains", [self.c("root_common_name \"ISRG Root X1\"", "any_common_name X")]),
            lambda: ["auto_https " + self.v(["off", "disable_redirects", "ignore_loaded_certs", "disable_certs"], ["sometimes"])],
            lambda: self.servers_block(),
            lambda: self.pki_block(),
            lambda: ["default_sni " + self.c("example.com", "localhost")],
        ]
        for f in self.some(pool, 1, 5):
            opts.extend(f())
        if self.p(0.05):  # newer Caddy's options
            opts.extend(self.c(["acme_dns cloudflare TOKEN"], ["persist_config off"], ["fallback_sni example.com"],
                               self.block("events", ["on cert_obtained exec echo hi"])))
        return ["{"] + ["\t" + x for x in opts] + ["}"]

    def servers_block(self):
        body = []
        pool = [
            lambda: self.block("timeouts", self.some(["read_body " + self.dur(), "read_header " + self.dur(),
                                                      "write " + self.dur(), "idle " + self.dur()], 1, 4)),
            lambda: self.block("listener_wrappers", self.some(["http_redirect", "tls"], 1, 2)),
            lambda: ["metrics"],
            lambda: ["max_header_size " + self.c(*SIZES)],
            lambda: ["log_credentials"],
            lambda: ["protocols " + " ".join(self.some(["h1", "h2", "h2c", "h3"], 1, 4))],
            lambda: ["strict_sni_host" + self.c("", " on", " insecure_off")],
        ]
        for f in self.some(pool, 1, 3):
            body.extend(f())
        if self.p(0.05):  # newer Caddy's options
            body.extend(self.c(["client_ip_headers X-Real-IP"], ["trusted_proxies static private_ranges"], ["keepalive_interval 30s"], ["name main"],
                               self.block("logs", ["default_logger_name x"]), ["listener_wrappers {\n\t\tproxy_protocol\n\t}"],
                               ["enable_full_duplex"], ["allow_h2c"], ["experimental_http3"]))
        addr = [self.c(":443", ":80", "127.0.0.1:8443", ":8080")] if self.p(0.4) else []
        return self.block(self.line("servers", *addr), body)

    def pki_block(self):
        ca = []
        for f in self.some([lambda: ["name \"My CA\""], lambda: ["root_cn \"Root\""], lambda: ["intermediate_cn Inter"],
                            lambda: self.block("root", ["cert /etc/root.pem", "key /etc/root.key"]),
                            lambda: self.block("intermediate", ["cert /etc/int.pem", "key /etc/int.key", "format pem_file"]),
                            lambda: self.block("root", self.some(["cert /etc/r.pem", "key /etc/r.key", "format pem_file"], 1, 2)),
                            lambda: ["intermediate_lifetime 30d"] if self.p(0.2) else ["root_cn R2"]], 1, 3):
            ca.extend(f())
        return self.block("pki", self.block("ca " + self.c("local", "corp"), ca))

    # --- sites ---------------------------------------------------------------------------
    def address(self):
        roll = self.r.random()
        opts = ["example.com", "https://example.com", "http://example.com", ":8080", "localhost",
                "*.example.com", "[::1]:8443", "127.0.0.1", "http://", "https://", "example.com:8443",
                "http://localhost:2015", "sub.example.com/api*", "{$SITE_ADDR:example.net}", "*",
                "http://*.example.com", ":443", "unix//run/site.sock", "https://[2001:db8::1]",
                "example.com, www.example.com", "http://[::]:8081", "*.*.example.com", "example.com/path"]
        if roll < 0.97:
            return self.c(*opts)
        return self.c("http://example.com:443", "https://:80", "ftp://example.com", "example.com:abc", "[::1", "http://[::1]:80:80")

    def site(self, index):
        self.matchers = []
        addrs = [self.address() for _ in range(self.r.randint(1, 2))]
        head = ", ".join(addrs) if self.p(0.7) else " ".join(addrs)
        if self.p(0.08) and index == 0:
            # a lone site without braces (only valid as the only site)
            return [head] + [ln for _ in range(self.r.randint(1, 2)) for ln in self.directive(top=True)], True
        body = []
        for _ in range(self.r.randint(0, 2) if self.p(0.5) else 0):
            body.extend(self.named_matcher())
        for _ in range(self.r.randint(1, 5)):
            body.extend(self.directive(top=True))
        # matchers after directives are valid too
        if self.p(0.1):
            body.extend(self.named_matcher())
        return [head + " {"] + ["\t" + x for x in body] + ["}"], False

    def snippet(self):
        name = self.c("common", "sec", "proxy", "(logs)", "cors")
        name = name.strip("()")
        if any(n == name for n, _ in self.snippets):
            name += str(len(self.snippets))
        nargs = self.r.randint(0, 2)
        self.args_ctx = nargs > 0
        body = []
        for _ in range(self.r.randint(1, 3)):
            body.extend(self.directive())
        for i in range(nargs):
            form = self.c("{args[%d]}" % i, "{args.%d}" % i)
            body.append(self.c("header X-Arg%d %s" % (i, form), "respond /a%d %s" % (i, form),
                               "vars arg%d %s" % (i, form), "reverse_proxy %s" % form))
        if nargs and self.p(0.2):
            body.append("respond {args[:]}" if self.p(0.5) else "respond {args.*}")
        self.args_ctx = False
        self.snippets.append((name, nargs))
        return ["(" + name + ") {"] + ["\t" + x for x in body] + ["}"]

    def caddyfile(self):
        parts = []
        if self.p(0.45):
            parts.append(self.global_options())
        for _ in range(self.r.randint(0, 2) if self.p(0.4) else 0):
            parts.append(self.snippet())
        nsites = self.r.randint(1, 3)
        for i in range(nsites):
            lines, braceless = self.site(i)
            parts.append(lines)
            if braceless:
                break
        text = "\n\n".join("\n".join(p) for p in parts) + "\n"
        return text


# --- mutations -------------------------------------------------------------------------------
def mutate(r, text):
    """One small edit of the kind a user makes by mistake; returns (text, description)."""
    lines = text.split("\n")
    idx = [i for i, ln in enumerate(lines) if ln.strip() and not ln.strip().startswith("#")]
    if not idx:
        return text, "none"
    i = r.choice(idx)
    toks = lines[i].strip().split(" ")
    indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
    kind = r.choice(["drop_arg", "extra_arg", "bad_unit", "unknown_sub", "drop_close", "extra_close",
                     "bad_placeholder", "open_quote", "dup_line", "swap_tokens", "drop_line", "empty_block"])
    if kind == "drop_arg" and len(toks) > 1:
        del toks[r.randrange(1, len(toks))]
        lines[i] = indent + " ".join(toks)
    elif kind == "extra_arg":
        pos = len(toks) - 1 if toks[-1] == "{" else len(toks)
        toks.insert(pos, r.choice(["extra", "1", "/x", "on"]))
        lines[i] = indent + " ".join(toks)
    elif kind == "bad_unit":
        for j, t in enumerate(toks):
            if t in DURATIONS or t in SIZES:
                toks[j] = r.choice(BAD_DURATIONS)
                break
        else:
            toks.append(r.choice(BAD_DURATIONS))
        lines[i] = indent + " ".join(toks)
    elif kind == "unknown_sub":
        opener = [k for k in idx if lines[k].rstrip().endswith("{")]
        if opener:
            k = r.choice(opener)
            ind = lines[k][: len(lines[k]) - len(lines[k].lstrip())] + "\t"
            lines.insert(k + 1, ind + r.choice(["bogus_option 1", "frobnicate", "unknown_sub a b"]))
    elif kind == "drop_close":
        closers = [k for k in idx if lines[k].strip() == "}"]
        if closers:
            del lines[r.choice(closers)]
    elif kind == "extra_close":
        lines.insert(i + 1, indent + "}")
    elif kind == "bad_placeholder":
        toks.append(r.choice(BAD_PLACEHOLDERS))
        if toks[-2] == "{":
            toks[-2], toks[-1] = toks[-1], toks[-2]
        lines[i] = indent + " ".join(toks)
    elif kind == "open_quote":
        toks.insert(len(toks) if toks[-1] != "{" else len(toks) - 1, '"unterminated')
        lines[i] = indent + " ".join(toks)
    elif kind == "dup_line":
        lines.insert(i, lines[i])
    elif kind == "swap_tokens" and len(toks) > 2:
        a = r.randrange(0, len(toks) - 1)
        toks[a], toks[a + 1] = toks[a + 1], toks[a]
        lines[i] = indent + " ".join(toks)
    elif kind == "drop_line":
        del lines[i]
    elif kind == "empty_block":
        if not lines[i].rstrip().endswith("{"):
            lines[i] = lines[i] + " {\n" + indent + "}"
    return "\n".join(lines), kind


def split_snippet_file(r, text):
    """Moves the first snippet into snip.caddy and imports it (by name or by glob) instead."""
    start = text.find("\n(") + 1 if not text.startswith("(") else 0
    if start == 0 and not text.startswith("("):
        return text, {}
    end = text.find("\n}\n", start)
    if end < 0:
        return text, {}
    snippet = text[start:end + 3]
    how = r.choice(["import snip.caddy", "import snip*.caddy", "import ./snip.caddy"])
    return text[:start] + how + "\n" + text[end + 3:], {"snip.caddy": snippet}


def add_comments(r, text):
    """Comment lines and trailing comments, which the lexer must drop."""
    lines = text.split("\n")
    for _ in range(r.randint(1, 3)):
        i = r.randrange(len(lines))
        if r.random() < 0.5:
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            lines.insert(i, indent + r.choice(["# a comment", "#no space", "# {host} not a placeholder"]))
        elif lines[i].strip() and "<<" not in lines[i] and not lines[i].rstrip().endswith("`"):
            lines[i] += r.choice([" # trailing", " #x"])
    return "\n".join(lines)


def generate(seed, mutate_rate=0.3):
    """(files, mutation or None) for one seed: files maps names to text, "Caddyfile" first."""
    g = Gen(seed)
    text = g.caddyfile()
    extra = {}
    if g.snippets and g.r.random() < 0.25:
        text, extra = split_snippet_file(g.r, text)
    if g.r.random() < 0.2:
        text = add_comments(g.r, text)
    kind = None
    if g.r.random() < mutate_rate:
        text, kind = mutate(g.r, text)
    files = {"Caddyfile": text}
    files.update(extra)
    return files, kind
