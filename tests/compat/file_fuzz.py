#!/usr/bin/env python3
"""Differential fuzzer for static serving: per case, a generated file tree (names with spaces,
'%', '+', UTF-8, dots, leading dots; index.html/index.txt; empty files; files with and without
extensions; precompressed .gz/.br/.zst siblings; directories with and without an index;
symlinks inside the root, out of it and broken), a generated Caddyfile (root, file_server with
browse/hide/index/precompressed/pass_thru/status/disable_canonical_uris, try_files,
handle_path, uri strip_prefix, encode, templates, header) served by Debian's caddy 2.6.2 and
by gatehouse on loopback ports, and generated requests (GET/HEAD/POST; `..`, `%2e`, `%2f`,
`//`, trailing '/'; Range single/multi/suffix/invalid; If-None-Match/If-Modified-Since/
If-Range/If-Match with the ETag and date caddy computes; Accept-Encoding forms; Accept:
application/json for browse listings). Status, headers (Date and Server dropped) and bodies
must agree.

A difference in a class the project keeps on purpose (README, file_server section) is
judged from both answers and counted as known, with its reason (KNOWN below); any other is
printed with a minimal reproduction (the Caddyfile cut down to the lines the difference
needs, the files the request touches, the request, both answers) and the case is saved
under --out for turning into a compat case.

ctest runs a few seeds (`compat_file_fuzz`); wider runs are by hand.

Usage: file_fuzz.py <gatehouse> [--seed S] [--seeds N] [--cases N] [--case K] [--requests N]
                    [--time-limit SEC] [--out DIR] [--no-minimize] [--verbose]
  --seeds N    seeds S..S+N-1 (default 1), --cases N cases each (default 10)
  --case K     only case K of the seed (as a DIFF line names it), e.g. to check a fix
  --verbose    print every known difference too
Exit: 0 no unexplained difference, 1 some, 77 caddy is not installed.
"""
import gzip
import json
import os
import posixpath
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

FIXED_MTIME = run_compat.FIXED_MTIME
VERBOSE = "--verbose" in sys.argv
HTTP_DATE = "Tue, 14 Nov 2023 22:13:20 GMT"  # FIXED_MTIME as Last-Modified

FILE_NAMES = ["a.txt", "b.html", "sp ace.txt", "100%.txt", "caf\u00e9.txt", "x.y.z", ".hidden",
              ".env", "noext", "README", "empty.txt", "data.json", "style.css", "app.js",
              "Upper.TXT", "file.", "a+b.txt", "secret.txt", "old.bak", "page.html", "t.html",
              "home.html", "off", "big.txt", "d\u00e9j\u00e0 vu.html", "semi;colon.txt", "404.html",
              "pic.png", "doc.md", "x.tar.gz", "UPPER.HTML"]
DIR_NAMES = ["dir", "sub dir", "emptydir", "caf\u00e9", "x.d", ".git", "deep", "p", "d.html", "50%"]
INDEX_NAMES = ["index.html", "index.txt", "home.html"]

# Kept on purpose (README, file_server section): judged from the two answers.
KNOWN = {
    "405": "current Caddy's file_server answers methods other than GET/HEAD with 405 and Allow: "
           "GET, HEAD; 2.6.2 serves the file",
    "symlink_out": "safer (deliberate, e2e bad_input/serve_http1 treat it as an attack): Gatehouse "
                   "serves and lists only what resolves inside the root; caddy 2.6.2 follows links out",
    "etag_suffix": "newer Caddy (2.7+) suffixes the ETag of an encoded response with the coding "
                   "(\"-gzip\"); 2.6.2 keeps the file's ETag",
    "location_escaped": "safer: Gatehouse escapes the path in its canonical redirect; 2.6.2 writes "
                        "the decoded path (and lower-case hex for UTF-8)",
    "redirect_query": "newer Caddy (2.7+) keeps the query string in file_server redirects; 2.6.2 "
                      "drops it",
    "empty_suffix_range": "correct: a suffix range of an empty file is 416 bytes */0; 2.6.2 answers "
                          "206 with 'bytes 0--1/0'",
    "encode_206": "encode leaves a 206 as it is (2.6.2 compresses a partial body while "
                  "Content-Range keeps the unencoded offsets)",
    "hide_listing": "safer: a file hidden by an absolute path or path glob stays out of listings; "
                    "2.6.2 matches listing entries by bare name only",
    "trailing_slash_file": "current Caddy trims the trailing '/' before stat; 2.6.2 stats "
                           "'file.txt/' and answers 404",
    "browse_html": "Gatehouse's own browse HTML template (the look of Caddy's, not its bytes); "
                   "the JSON listing compares",
    "strip_slash": "current Caddy keeps a leading '/' after strip_path_prefix; 2.6.2 leaves an "
                   "empty or relative path",
    "template_stale": "caddy 2.6.2 answers a failed template over a file_server body with the "
                      "file's stale Content-Length and no body; Gatehouse answers cleanly",
}


def etag(size):
    def b36(n):
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"
        out = ""
        while True:
            n, r = divmod(n, 36)
            out = digits[r] + out
            if n == 0:
                return out
    return '"%s%s"' % (b36(FIXED_MTIME), b36(size))


class Tree:
    """A generated file tree: site/ (the root) and outside/ (what links out of it reach)."""

    def __init__(self, rng, base):
        self.rng, self.base = rng, base
        self.site = os.path.join(base, "site")
        self.outside = os.path.join(base, "outside")
        self.files = {}     # relative path -> bytes
        self.dirs = [""]    # relative paths ("" the root)
        self.links = {}     # relative path -> target as written
        self.out_links = set()  # relative paths of links out of the root (and paths under them)
        os.makedirs(self.site)
        os.makedirs(self.outside)
        self.build()

    def content(self, name):
        r = self.rng
        if name.startswith("empty") or r.random() < 0.08:
            return b""
        if name == "big.txt" or r.random() < 0.15:
            return ("".join("line %d of %s\n" % (i, name) for i in range(r.randint(40, 400)))).encode()
        if name.endswith(".html") and r.random() < 0.5:
            return ("<p>%s</p>\n{{.Req.URL.Path}} {{placeholder \"http.request.uri\"}}\n" % name).encode()
        return ("%s\n" % name).encode()

    def add_file(self, rel, data):
        path = os.path.join(self.site, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        self.files[rel] = data
        r = self.rng
        if r.random() < 0.3 and data:  # precompressed siblings, each with its own bytes
            for ext in r.sample([".gz", ".br", ".zst"], r.randint(1, 3)):
                if ext == ".gz":
                    side = gzip.compress(data, mtime=0)
                elif ext == ".zst":
                    side = subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True).stdout \
                        if shutil.which("zstd") else b"ZST:" + data
                else:
                    side = b"BR:" + data
                with open(path + ext, "wb") as f:
                    f.write(side)
                self.files[rel + ext] = side

    def build(self):
        r = self.rng
        dirs = [""] + [d for d in DIR_NAMES if r.random() < 0.5]
        if r.random() < 0.3:
            dirs.append("deep/er")
        for d in dirs[1:]:
            os.makedirs(os.path.join(self.site, d), exist_ok=True)
            if d.startswith("deep/"):
                self.dirs.append("deep")
            self.dirs.append(d)
        for d in dirs:
            if d == "emptydir":
                continue
            for name in r.sample(FILE_NAMES, r.randint(1, 6 if d else 12)):
                self.add_file(os.path.join(d, name), self.content(name))
            for idx in INDEX_NAMES:
                if r.random() < (0.35 if idx != "home.html" else 0.15):
                    self.add_file(os.path.join(d, idx), ("<h1>%s of /%s</h1>\n" % (idx, d)).encode())
        with open(os.path.join(self.outside, "secret.txt"), "wb") as f:
            f.write(b"outside secret\n")
        files = sorted(f for f in self.files if not f.endswith((".gz", ".br", ".zst")))
        links = []
        if files and r.random() < 0.5:
            links.append(("link.txt", os.path.relpath(r.choice(files), "")))
        if len(self.dirs) > 1 and r.random() < 0.4:
            links.append(("linkdir", r.choice(self.dirs[1:])))
        if r.random() < 0.3:
            links.append(("out.txt", os.path.join(self.outside, "secret.txt")))
        if r.random() < 0.2:
            links.append(("outdir", self.outside))
        if r.random() < 0.2:
            links.append(("broken", "nope"))
        for name, target in links:
            os.symlink(target, os.path.join(self.site, name))
            self.links[name] = target
            if target.startswith(self.outside):
                self.out_links.add(name)
        for dirpath, dirnames, filenames in os.walk(self.base):
            for n in dirnames + filenames:
                os.utime(os.path.join(dirpath, n), (FIXED_MTIME, FIXED_MTIME), follow_symlinks=False)
        os.utime(self.site, (FIXED_MTIME, FIXED_MTIME))

    def names(self):
        """Every request-able relative path: files, dirs (with '/'), links, and a missing one."""
        out = list(self.files) + [d + "/" for d in self.dirs if d] + list(self.links)
        out += ["missing.txt", "dir/missing", "outdir/secret.txt", "linkdir/"]
        return out

    def listing(self):
        lines = []
        for dirpath, dirnames, filenames in sorted(os.walk(self.site)):
            for n in sorted(dirnames + filenames):
                full = os.path.join(dirpath, n)
                rel = os.path.relpath(full, self.site)
                if os.path.islink(full):
                    lines.append("  %s -> %s" % (rel, os.readlink(full)))
                elif os.path.isfile(full):
                    lines.append("  %s (%d bytes)" % (rel, os.path.getsize(full)))
        return "\n".join(lines)


def quote_cf(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Config:
    """A generated Caddyfile as removable option lines, for cutting a reproduction down."""

    def __init__(self, rng):
        r = self.rng = rng
        self.layout = r.choice(["top", "top", "handle_path", "strip_prefix", "pass_thru", "root_matcher",
                                "handle_dir"])
        self.browse = r.random() < 0.4
        self.opts = []
        if r.random() < 0.3:
            self.opts.append("hide " + " ".join(r.sample(
                [".hidden", "*.bak", "secret*", "dir", "*.gz", ".git", "{SITE}/a.txt", "README"], r.randint(1, 3))))
        if r.random() < 0.3:
            self.opts.append("index " + " ".join(r.sample(INDEX_NAMES + ["README", "off"], r.randint(1, 2))))
        if r.random() < 0.35:
            self.opts.append("precompressed " + " ".join(r.sample(["gzip", "br", "zstd"], r.randint(1, 3))))
        if r.random() < 0.1:
            self.opts.append("status " + r.choice(["201", "404", "200", "418"]))
        if r.random() < 0.2:
            self.opts.append("disable_canonical_uris")
        if self.layout == "pass_thru":
            self.opts.append("pass_thru")
        self.site_lines = []
        if r.random() < 0.35:
            enc = r.choice(["gzip", "zstd gzip", "gzip zstd", "gzip {\n\t\tminimum_length 20\n\t}"])
            self.site_lines.append("encode " + enc)
        if r.random() < 0.2:
            self.site_lines.append(r.choice(["templates", "templates {\n\t\tmime text/plain text/html\n\t}"]))
        if r.random() < 0.2:
            self.site_lines.append(r.choice([
                "handle_errors {\n\t\trewrite * /404.html\n\t\tfile_server\n\t}",
                "handle_errors {\n\t\trespond \"err {err.status_code} {path}\"\n\t}",
                "handle_errors {\n\t\trewrite * /{err.status_code}.html\n\t\tfile_server {\n\t\t\tstatus 404\n\t\t}\n\t}"]))
        if r.random() < 0.3:
            self.site_lines.append(r.choice(["header X-Fuzz yes", 'header Cache-Control "max-age=60"',
                                             "header -Last-Modified", "header ?Content-Type text/x-fuzz",
                                             "header -Accept-Ranges", "header -ETag",
                                             "header Content-Type text/plain",
                                             "header /dir/* X-Dir 1"]))
        if r.random() < 0.25:
            self.site_lines.append("try_files " + r.choice([
                "{path} {path}/ /index.html", "{path}.html {path}", "{path} /a.txt", "{path} =404",
                "{path}/index.txt {path}"]))
        self.prefix = "/p" if self.layout in ("handle_path", "strip_prefix") else ""

    def file_server(self, opts, indent):
        head = "file_server" + (" browse" if self.browse else "")
        if not opts:
            return indent + head
        body = "".join("%s\t%s\n" % (indent, o) for o in opts)
        return "%s%s {\n%s%s}" % (indent, head, body, indent)

    def render(self, site_lines=None, opts=None):
        site_lines = self.site_lines if site_lines is None else site_lines
        opts = self.opts if opts is None else opts
        out = [":{PORT} {", "\troot * {SITE}"] + ["\t" + line for line in site_lines]
        if self.layout == "handle_path":
            out += ["\thandle_path /p/* {", self.file_server(opts, "\t\t"), "\t}",
                    "\thandle {", "\t\trespond \"outside /p {path}\" 404", "\t}"]
        elif self.layout == "strip_prefix":
            out += ["\turi strip_prefix /p", self.file_server(opts, "\t")]
        elif self.layout == "root_matcher":  # /dir/x is served from {SITE}/dir/dir/x
            out.insert(2, "\troot /dir/* {SITE}/dir")
            out.append(self.file_server(opts, "\t"))
        elif self.layout == "handle_dir":
            out += ["\thandle /dir* {", self.file_server(opts, "\t\t"), "\t}",
                    "\thandle {", "\t\tfile_server", "\t}"]
        elif self.layout == "pass_thru":
            out += ["\troute {", self.file_server(opts, "\t\t"),
                    "\t\trespond \"passed {path}\" 299", "\t}"]
        else:
            out.append(self.file_server(opts, "\t"))
        return "\n".join(out + ["}"]) + "\n"


def escape_path(rng, rel):
    segs = rel.split("/")
    safe = rng.choice(["/", "/+;", "/+;!'()*,="])
    segs = [urllib.parse.quote(s, safe=safe) for s in segs]
    if rng.random() < 0.1:  # a letter escaped, in upper or lower hex
        i = rng.randrange(len(segs))
        s = segs[i]
        letters = [j for j, c in enumerate(s) if c.isalpha()]
        if letters:
            j = rng.choice(letters)
            enc = "%%%02X" % ord(s[j])
            segs[i] = s[:j] + (enc.lower() if rng.random() < 0.5 else enc) + s[j + 1:]
    return "/".join(segs)


def gen_path(rng, tree, cfg):
    rel = rng.choice(tree.names())
    path = "/" + escape_path(rng, rel)
    x = rng.random()
    if x < 0.06:
        path = "/dir/.." + path
    elif x < 0.1:
        path = "/dir/%2e%2e" + path
    elif x < 0.14:
        path = path.replace("/", "%2F", 2).replace("%2F", "/", 1)
    elif x < 0.18:
        path = "/" + path
    elif x < 0.24:
        path = path + "/" if not path.endswith("/") else path.rstrip("/")
    elif x < 0.27:
        path = path.replace("/", "/./", 1)
    elif x < 0.3:
        path += rng.choice(["/index.html", "index.html", ".gz", "/..", "/.", "%00", "/%2e%2e/a.txt"])
    elif x < 0.32:
        path = "/../" + path.lstrip("/")
    elif x < 0.34:
        path = rng.choice(["/", "//", "/?", "/%2e", "/%2e%2e/", "/..%2f", "/index.html", "/%5C..%5Ca.txt",
                           "/dir%5Cb.html", "/%ff", "/a.txt;x", "/%00", "/dir//", "/./", "/.%2e/dir/"])
    elif x < 0.37:  # a letter upper-cased (names are case-sensitive on disk)
        path = path.upper() if rng.random() < 0.5 else path.replace("a", "A", 1)
    if cfg.prefix and rng.random() < 0.85:
        path = cfg.prefix + (path if rng.random() < 0.9 else path.lstrip("/"))
    if rng.random() < 0.08:
        path += "?" + rng.choice(["a=1", "sort=size&order=desc", "limit=2", "offset=1&limit=1", "",
                                  "sort=time", "order=asc&sort=namedirfirst", "limit=0", "limit=-1"])
    return path, rel


RANGES = ["bytes=0-3", "bytes=-5", "bytes=2-", "bytes=0-1,4-5", "bytes=100000-", "bytes=0-0",
          "bytes=-0", "bytes=3-1", "items=0-1", "bytes=0-1,0-1", "bytes= 0-3", "bytes=0-3,-2",
          "bytes=5-10,0-2", "bytes=0-", "bytes=", "bytes=1-2,3-4,5-6", "bytes=0-99999999999999999999"]
ACCEPT_ENCODINGS = ["gzip", "zstd", "gzip, zstd", "br", "br, gzip", "gzip;q=0", "*", "identity",
                    "zstd;q=0.5, gzip;q=0.9", "GZIP", "gzip;q=0, identity;q=0", "*;q=0", "deflate",
                    "", "br;q=1, zstd;q=1, gzip;q=1", "x-gzip"]


def gen_request(rng, tree, cfg, i):
    path, rel = gen_path(rng, tree, cfg)
    method = rng.choice(["GET"] * 8 + ["HEAD", "HEAD", "HEAD", "POST", "PUT", "OPTIONS"])
    headers = {}
    size = len(tree.files.get(rel, b""))
    tag = etag(size)
    sides = [rel + e for e in (".gz", ".br", ".zst") if rel + e in tree.files]
    if sides and rng.random() < 0.4:  # the ETag a sidecar answer carries
        tag = etag(len(tree.files[rng.choice(sides)]))
    for _ in range(rng.randint(0, 3)):
        kind = rng.choice(["range", "range", "inm", "ims", "ifrange", "ifmatch", "ius", "ae", "ae", "ae"])
        if kind == "range":
            headers["Range"] = rng.choice(RANGES)
        elif kind == "inm":
            headers["If-None-Match"] = rng.choice([tag, "W/" + tag, '"x"', "*", tag + ', "x"', "", tag[1:-1]])
        elif kind == "ims":
            headers["If-Modified-Since"] = rng.choice([HTTP_DATE, "Mon, 01 Jan 2001 00:00:00 GMT",
                                                       "Tue, 14 Nov 2023 22:13:19 GMT", "junk",
                                                       "Sat, 01 Jan 2050 00:00:00 GMT"])
        elif kind == "ifrange":
            headers["If-Range"] = rng.choice([tag, '"x"', HTTP_DATE, "Mon, 01 Jan 2001 00:00:00 GMT", "W/" + tag])
            headers.setdefault("Range", rng.choice(RANGES[:6]))
        elif kind == "ifmatch":
            headers["If-Match"] = rng.choice([tag, '"x"', "*", "W/" + tag])
        elif kind == "ius":
            headers["If-Unmodified-Since"] = rng.choice([HTTP_DATE, "Mon, 01 Jan 2001 00:00:00 GMT"])
        else:
            headers["Accept-Encoding"] = rng.choice(ACCEPT_ENCODINGS)
    if cfg.browse:
        headers["Accept"] = "application/json" if rng.random() < 0.85 else rng.choice(["text/html", "*/*"])
    elif rng.random() < 0.1:
        headers["Accept"] = "application/json"
    req = {"name": "r%d" % i, "method": method, "path": path, "headers": headers}
    if method in ("POST", "PUT"):
        req["body"] = "x=1"
    return req


def go_clean(p):
    """path.Clean keeping a trailing '/', as Go's http.Redirect cleans a Location."""
    c = posixpath.normpath(p) if p else "/"
    c = "/" + c.lstrip("/") if c.startswith("/") else c
    return c + "/" if p.endswith("/") and c != "/" else c


def header(h, name):
    return (h.get(name) or [None])[0]


def json_entries(body):
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, list) else None


def judge(req, a, b, cfg, tree):
    """The KNOWN key a difference belongs to, or None for an unexplained one."""
    sa, ha, ba = a
    sb, hb, bb = b
    path = req["path"]
    decoded = urllib.parse.unquote(path.partition("?")[0])
    if req["method"] not in ("GET", "HEAD") and sb == 405:
        return "405"
    segs = [s for s in decoded.split("/") if s]
    if any(s in tree.out_links for s in segs):
        return "symlink_out"
    if sa == sb and 300 <= sa < 400 and header(ha, "location") and header(hb, "location"):
        la, lb = header(ha, "location"), header(hb, "location")
        if la == lb.partition("?")[0] and "?" in lb:
            return "redirect_query"
        # (2.6.2's decoded Location with a '%' fails Go's url.Parse, which then skips the
        # cleaning: "/100%.txt/../" where Gatehouse writes "/")
        if urllib.parse.unquote(go_clean(la)) == urllib.parse.unquote(lb.partition("?")[0]):
            return "location_escaped" if "?" not in lb else "redirect_query"
    if header(ha, "content-range") == "bytes 0--1/0" and header(hb, "content-range") == "bytes */0":
        return "empty_suffix_range"  # (a forced `status` keeps both statuses equal)
    ranged = (header(ha, "content-range") or "*").split("/")[0]
    if sa == sb and header(ha, "content-encoding") and not header(hb, "content-encoding") \
            and (sa == 206 or "*" not in ranged):
        return "encode_206"  # (a part under a forced `status` too)
    if sa == 404 and decoded.endswith("/") and decoded.rstrip("/").lstrip("/") in tree.files \
            and cfg.prefix == "":
        return "trailing_slash_file"
    ea, eb = json_entries(ba), json_entries(bb)
    if sa == sb and ea is not None and eb is not None and ea != eb:
        names_b = {e.get("name") for e in eb}
        extra = [e for e in ea if e.get("name") not in names_b]
        rest = [e for e in ea if e.get("name") in names_b]
        if extra and all(e.get("name") in tree.out_links for e in extra) and rest == eb:
            return "symlink_out"
        if extra and "hide" in " ".join(cfg.opts) and rest == eb:
            return "hide_listing"
    if cfg.browse and sa == sb == 200 and (header(ha, "content-type") or "").startswith("text/html") \
            and b"<title>" in ba and ba != bb:
        return "browse_html"
    if cfg.browse and req["method"] == "HEAD" and sa == sb and not header(ha, "etag") and not header(hb, "etag") \
            and (header(ha, "content-type") or "").startswith("text/html") \
            and (header(hb, "content-type") or "").startswith("text/html"):
        return "browse_html"  # a listing's HEAD (no ETag): the length is the page's own
    if ha.get("etag") != hb.get("etag") and header(hb, "content-encoding") and header(ha, "etag"):
        if header(hb, "etag") and header(hb, "etag").startswith(header(ha, "etag")[:-1] + "-"):
            return "etag_suffix"
    if cfg.prefix and "%2f" in path.lower():
        return "strip_slash"
    if cfg.layout == "strip_prefix" and path.startswith("/p") and not path.startswith("/p/"):
        return "strip_slash"  # "/px" stripped: 2.6.2's path is the relative "x"
    if "templates" in cfg.site_lines and sa == sb and header(ha, "content-length") and ba == b"":
        return "template_stale"
    return None


def compare(req, a, b, cfg, tree):
    """(difference or None, known key or None) after the accepted header classes."""
    diff = run_compat.first_difference(a, b)
    if diff is None:
        return None, None
    key = judge(req, a, b, cfg, tree)
    if key == "etag_suffix":  # the rest of the answer must still agree
        b2 = (b[0], dict(b[1]), b[2])
        b2[1]["etag"] = a[1].get("etag")
        rest = run_compat.first_difference(a, b2)
        if rest is not None:
            return rest, None
    return diff, key


class Pair:
    """Both servers serving one Caddyfile."""

    def __init__(self, text, gatehouse, caddy, work):
        os.makedirs(work, exist_ok=True)
        self.ports = []
        self.servers = []
        env = dict(os.environ, XDG_DATA_HOME=os.path.join(work, "xdg-data"),
                   XDG_CONFIG_HOME=os.path.join(work, "xdg-config"), HOME=os.path.join(work, "home"))
        self.error = None
        for name, argv in (("caddy", [caddy, "run", "--adapter", "caddyfile", "--config"]),
                           ("gatehouse", [gatehouse, "run", "--adapter", "caddyfile", "--workers", "1", "--config"])):
            port = run_compat.free_port()
            cfg = os.path.join(work, name + ".Caddyfile")
            with open(cfg, "w") as f:
                f.write(run_compat.render(text, port, "{SITE}"))
            srv = run_compat.Server(argv + [cfg], env, port, os.path.join(work, name + ".log"))
            self.servers.append(srv)
            self.ports.append(port)
            if srv.error and not self.error:
                self.error = "%s %s" % (name, srv.error)

    def ask(self, req):
        out = []
        for port in self.ports:
            out.append(run_compat.normalize(port, *run_compat.send_or_error(port, req)))
        return out

    def close(self):
        for srv in self.servers:
            srv.close()


def site_text(cfg, tree, **kw):
    return cfg.render(**kw).replace("{SITE}", tree.site)


def same_kind(d1, d2):
    return d1 is not None and d2 is not None and d1.split(":")[0] == d2.split(":")[0]


def minimize(cfg, tree, req, diff, gatehouse, caddy, work, budget):
    """Drops Caddyfile lines one at a time while the same kind of difference stays."""
    site_lines, opts = list(cfg.site_lines), list(cfg.opts)
    for kind in ("site", "opts"):
        lst = site_lines if kind == "site" else opts
        i = 0
        while i < len(lst) and budget > 0:
            trial = lst[:i] + lst[i + 1:]
            kw = {"site_lines": trial if kind == "site" else site_lines, "opts": trial if kind == "opts" else opts}
            budget -= 1
            pair = Pair(site_text(cfg, tree, **kw), gatehouse, caddy, os.path.join(work, "min%d" % budget))
            try:
                if pair.error:
                    i += 1
                    continue
                a, b = pair.ask(req)
                d, key = compare(req, a, b, cfg, tree)
            finally:
                pair.close()
            if key is None and same_kind(d, diff):
                lst[:] = trial
            else:
                i += 1
    return cfg.render(site_lines=site_lines, opts=opts)


def show_answer(ans):
    status, headers, body = ans
    hs = " ".join("%s=%s" % (k, v[0] if len(v) == 1 else v) for k, v in sorted(headers.items()))
    return "%d %s %r" % (status, hs, body[:120])


def reproduction(cfg_text, tree, req, a, b, diff):
    touched = [n for n in tree.names() if n and urllib.parse.quote(n.split("/")[0]) in req["path"]
               or n.split("/")[0] in urllib.parse.unquote(req["path"])]
    lines = ["  Caddyfile ({SITE} is the tree's root):"] + ["    " + line for line in cfg_text.splitlines()]
    lines.append("  tree (mtimes %d):" % FIXED_MTIME)
    lines += ["  " + line for line in tree.listing().splitlines()
              if any(line.strip().startswith(t.rstrip("/")) for t in touched)] or ["    (none touched)"]
    hs = " ".join("-H %s" % quote_cf("%s: %s" % kv) for kv in req["headers"].items())
    lines.append("  request: curl -si -X %s %s 'http://127.0.0.1:PORT%s'" % (req["method"], hs, req["path"]))
    lines.append("  difference: " + diff)
    lines.append("  caddy:     " + show_answer(a))
    lines.append("  gatehouse: " + show_answer(b))
    return "\n".join(lines)


def run_case(seed, case_no, gatehouse, caddy, n_requests, out_dir, do_minimize):
    rng = random.Random("%d/%d" % (seed, case_no))
    base = tempfile.mkdtemp(prefix="filefuzz-")
    tree = Tree(rng, base)
    cfg = Config(rng)
    requests = [gen_request(rng, tree, cfg, i) for i in range(n_requests)]
    text = site_text(cfg, tree)
    unexplained, known = [], {}
    pair = Pair(text, gatehouse, caddy, os.path.join(base, "run"))
    try:
        if pair.error:
            caddy_failed = pair.error.startswith("caddy")
            both = caddy_failed and pair.servers[1].error
            if both:
                return 0, known
            unexplained.append((None, None, None, pair.error[:600]))
        else:
            for req in requests:
                a, b = pair.ask(req)
                if a[0] == 0 and b[0] != 0:
                    a = pair.ask(req)[0]  # caddy gave no answer (load): asked once more
                diff, key = compare(req, a, b, cfg, tree)
                if diff is None:
                    continue
                if key:
                    known[key] = known.get(key, 0) + 1
                    if VERBOSE:
                        print("  known %s: %s %s %s: %s" % (key, req["method"], req["path"], req["headers"], diff))
                else:
                    unexplained.append((req, a, b, diff))
    finally:
        pair.close()
    label = "seed %d case %d" % (seed, case_no)
    if unexplained:
        saved = os.path.join(out_dir, "filefuzz-seed%d-case%d" % (seed, case_no))
        shutil.rmtree(saved, ignore_errors=True)
        shutil.copytree(base, saved, symlinks=True, ignore=shutil.ignore_patterns("run", "min*"))
        with open(os.path.join(saved, "Caddyfile"), "w") as f:
            f.write(cfg.render())
        with open(os.path.join(saved, "requests.json"), "w") as f:
            json.dump([u[0] for u in unexplained if u[0]], f, indent=1)
        print("DIFF %s: %d request(s) of %d differ; saved %s" % (label, len(unexplained), n_requests, saved))
        req, a, b, diff = unexplained[0]
        if req is None:
            print("  start-up: " + diff + "\n  Caddyfile:\n" + text)
        else:
            small = minimize(cfg, tree, req, diff, gatehouse, caddy, os.path.join(base, "run"),
                             12 if do_minimize else 0)
            print(reproduction(small, tree, req, a, b, diff))
            for req, a, b, diff in unexplained[1:4]:
                print("  also %s %s %s: %s" % (req["method"], req["path"], req["headers"], diff))
        sys.stdout.flush()
    shutil.rmtree(base, ignore_errors=True)
    return len(unexplained), known


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        print(__doc__)
        return 2
    gatehouse = os.path.abspath(args[0])
    opt = lambda name, default: args[args.index(name) + 1] if name in args else default  # noqa: E731
    seed, cases = int(opt("--seed", "1")), int(opt("--cases", "10"))
    n_requests, limit = int(opt("--requests", "40")), float(opt("--time-limit", "600"))
    out_dir = opt("--out", tempfile.gettempdir())
    caddy = shutil.which("caddy")
    if not caddy:
        print("SKIP: caddy is not installed")
        return 77
    seeds = int(opt("--seeds", "1"))
    start, differing, ran, known_all = time.time(), 0, 0, {}
    only = int(opt("--case", "-1"))  # one case of the seed again (a reproduction)
    for s in range(seed, seed + seeds):
        for case_no in ([only] if only >= 0 else range(cases)):
            if time.time() - start > limit:
                print("time limit reached after %d case(s)" % ran)
                break
            n, known = run_case(s, case_no, gatehouse, caddy, n_requests, out_dir, "--no-minimize" not in args)
            ran += 1
            differing += 1 if n else 0
            for k, v in known.items():
                known_all[k] = known_all.get(k, 0) + v
    for k, v in sorted(known_all.items()):
        print("known %s (%d request(s)): %s" % (k, v, KNOWN[k]))
    print("seeds %d-%d: %d case(s), %d request(s) each: %d case(s) differ (%.1f s)" % (
        seed, seed + seeds - 1, ran, n_requests, differing, time.time() - start))
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
