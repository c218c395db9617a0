#!/usr/bin/env python3
"""Real browser (Debian's headless Chromium through WebDriver) against `file_server browse`
with `encode zstd gzip`, over HTTPS (`tls internal`, trusted by the SPKI pin of the local
CA's intermediate), served by gatehouse and then, with the same Caddyfile, by Debian's caddy
2.6.2 (when installed), so the two can be compared as the browser sees them:

- the directory listing renders (title, one link per file, names with a space, '&' and
  non-ASCII characters), over HTTP/2;
- clicking the link of a binary file downloads it, byte-exact (compared on disk);
- clicking the link of a text file shows it (the page's text is the file);
- a large text file arrives compressed (Content-Encoding zstd or gzip, encodedBodySize well
  under decodedBodySize) and decodes to the exact content (SHA-256 in the page); shown in
  the page, a reload revalidates it (a 304: a few hundred bytes on the wire) and shows the same;
- 48 static chunks (JS/CSS/JSON/binary) fetched at once over one h2 connection: all byte-exact;
- gatehouse and caddy give the browser the same entry links (resolved URLs, names, "Go up")
  and the same bytes. The rest of the page is not compared: the HTML template is
  gatehouse's own (the look of Caddy's, not its bytes; a known difference of compat_caddy).
Exit 77 (skip) when /usr/bin/chromium is not installed.
Usage: browser_file_server_test.py <path-to-gatehouse>
"""
import hashlib
import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser_js as js  # noqa: E402
import browser_support as bs  # noqa: E402
import harness  # noqa: E402
import webdriver  # noqa: E402
from caddy_peer import CaddyPeer  # noqa: E402
from harness import check  # noqa: E402

CADDY = "/usr/bin/caddy"
BINARY_NAME = "model weights.bin"
TEXT_NAME = "notes & résumé.txt"
BIG_NAME = "transcript.txt"
ASSETS = 48

# Links of the listing: href as written, resolved URL and visible name, in page order.
LINKS = """
return Array.from(document.querySelectorAll('a')).map(a => [a.getAttribute('href'), a.href, a.textContent.trim()])
  .filter(l => l[2].length > 0);
"""

# SHA-256 (hex) of a fetched resource, with its encoding as the page saw it.
FETCH_DIGEST = """
const done = arguments[arguments.length - 1];
const url = arguments[0];
fetch(url, {cache: 'no-store'}).then(async r => {
  const buf = await r.arrayBuffer();
  const hash = await crypto.subtle.digest('SHA-256', buf);
  await new Promise(res => setTimeout(res, 50));  // the resource timing entry lands after the body
  const e = performance.getEntriesByType('resource').filter(x => x.name === new URL(url, location).href).pop();
  done({status: r.status, length: buf.byteLength, ce: r.headers.get('content-encoding'),
        sha: Array.from(new Uint8Array(hash)).map(b => b.toString(16).padStart(2, '0')).join(''),
        encoded: e ? e.encodedBodySize : null, decoded: e ? e.decodedBodySize : null,
        proto: e ? e.nextHopProtocol : null});
}).catch(err => done({error: String(err)}));
"""


# Every URL of arguments[0] fetched at once (one h2 connection): {url: [status, sha256 hex, encoding]}.
PARALLEL = """
const done = arguments[arguments.length - 1];
const hex = async b => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', b)))
  .map(x => x.toString(16).padStart(2, '0')).join('');
Promise.all(arguments[0].map(async u => {
  const r = await fetch(u, {cache: 'no-store'});
  return [u, [r.status, await hex(await r.arrayBuffer()), r.headers.get('content-encoding')]];
})).then(list => done(Object.fromEntries(list))).catch(err => done({error: String(err)}));
"""

# The current document: navigation type, bytes on the wire, text length and a cheap checksum.
RELOAD_FACTS = """
const nav = performance.getEntriesByType('navigation')[0];
const p = document.querySelector('pre');
if (!nav || !p) return null;
const t = p.textContent;
let h = 0;
for (let i = 0; i < t.length; i++) h = (h * 31 + t.charCodeAt(i)) | 0;
return {type: nav.type, transfer: nav.transferSize, status: nav.responseStatus, length: t.length, sha: h};
"""


def make_assets(root):
    """An app's static chunks: 48 JS/CSS/JSON files of 1-60 KB (compressible or not)."""
    assets = os.path.join(root, "assets")
    os.makedirs(assets)
    out = {}
    for i in range(ASSETS):
        ext = ("js", "css", "json", "bin")[i % 4]
        size = 1024 + (i * 7919) % (60 * 1024)
        data = os.urandom(size) if ext == "bin" else ("/* chunk %d */ " % i + "let v%d = %d;\n" % (i, i) * (size // 16)).encode()
        name = "chunk-%02d.%s" % (i, ext)
        with open(os.path.join(assets, name), "wb") as f:
            f.write(data)
        out["/assets/" + name] = hashlib.sha256(data).hexdigest()
    return out


def make_site(root):
    docs = os.path.join(root, "docs")
    os.makedirs(docs)
    files = {BINARY_NAME: os.urandom(300 * 1024),
             TEXT_NAME: "Notes\nline two: r\u00e9sum\u00e9 & more\n".encode(),
             BIG_NAME: "".join("user: question %d about proxies\nassistant: answer %d, token %d\n" % (i, i * 7, i * 13)
                               for i in range(15000)).encode()}
    for name, data in files.items():
        with open(os.path.join(docs, name), "wb") as f:
            f.write(data)
    return files


def caddyfile(store, root, hp, sp):
    return bs.global_options(store, hp, sp) + (
        "files.test {\n\tbind 127.0.0.1\n\ttls internal\n\troot * %s\n\tencode zstd gzip\n\tfile_server browse\n}\n"
        % root)


def wait_download(directory, name, timeout=15):
    path = os.path.join(directory, name)
    deadline = time.time() + timeout
    while time.time() < deadline:
        partial = [f for f in os.listdir(directory) if f.endswith(".crdownload")]
        if os.path.exists(path) and not partial:
            with open(path, "rb") as f:
                return f.read()
        time.sleep(0.1)
    return None


def browse(label, store, hp, sp, files, assets, downloads):
    """The browser's view of files.test served on hp/sp; returns what the comparison needs."""
    seen = {}
    args = bs.chromium_args(["files.test"], hp, sp, [bs.spki_pin(bs.intermediate_of(store))])
    with webdriver.Browser(args, download_dir=downloads) as b:
        b.get("https://files.test/docs/")
        nav = b.script(js.NAVIGATION)
        check(nav["proto"] == "h2" and nav["secure"], "%s: listing over h2 with a trusted chain: %r" % (label, nav))
        check("docs" in nav["title"], "%s: listing page title names the directory: %r" % (label, nav["title"]))
        links = b.script(LINKS)
        seen["links"] = links
        names = [text for _, _, text in links]
        seen["entries"] = [(url, text) for _, url, text in links if text in files or text == "Go up"]
        check(all(n in names for n in files), "%s: one link per file: %r" % (label, names))
        # The binary file: a click downloads it.
        href = dict((t, h) for h, _, t in links).get(BINARY_NAME)
        if href:
            b.click(b.find('a[href="%s"]' % href))
            got = wait_download(downloads, BINARY_NAME)
            check(got == files[BINARY_NAME], "%s: clicked %r, downloaded byte-exact (%s bytes)" %
                  (label, BINARY_NAME, None if got is None else len(got)))
            seen["download"] = hashlib.sha256(got or b"").hexdigest()
        # The small text file: a click shows it.
        href = dict((t, h) for h, _, t in links).get(TEXT_NAME)
        if href:
            b.click(b.find('a[href="%s"]' % href))
            text = b.script("return document.contentType + '|' + document.body.innerText;")
            want = "text/plain|" + files[TEXT_NAME].decode()
            check(text.rstrip("\n") == want.rstrip("\n"), "%s: clicked %r, the page shows it: %r" % (label, TEXT_NAME, text))
            seen["text"] = text
        # The large text file, compressed on the wire, decoded by the browser.
        b.get("https://files.test/docs/")
        got = b.async_script(PARALLEL, sorted(assets))
        bad = [u for u in assets if got.get(u, [None])[0] != 200 or got[u][1] != assets[u]]
        encs = sorted(set(str(v[2]) for k, v in got.items() if k != "error"))
        check(not bad and "error" not in got, "%s: %d assets fetched at once, all byte-exact (%s; encodings %s)" %
              (label, len(assets), bad[:3] or got.get("error"), encs))
        seen["assets"] = sorted(got.items()) if not bad else None
        r = b.async_script(FETCH_DIGEST, "/docs/" + BIG_NAME)
        big = files[BIG_NAME]
        check(r.get("sha") == hashlib.sha256(big).hexdigest() and r.get("length") == len(big),
              "%s: %s decoded to the exact content (%s bytes)" % (label, BIG_NAME, r.get("length")))
        check(r.get("ce") in ("zstd", "gzip"), "%s: %s sent compressed: %r" % (label, BIG_NAME, r.get("ce")))
        check(r.get("encoded") is not None and 0 < r["encoded"] < len(big) // 4 and r.get("decoded") == len(big),
              "%s: on the wire %s of %d bytes" % (label, r.get("encoded"), len(big)))
        seen["big"] = (r.get("sha"), r.get("ce"))
        b.get("https://files.test/docs/" + BIG_NAME)
        shown = b.script("const p = document.querySelector('pre'); return p ? p.textContent.length : -1;")
        check(shown == len(big), "%s: %s shown whole in the page: %s chars" % (label, BIG_NAME, shown))
        # Reload: the browser revalidates (If-None-Match / If-Modified-Since) and gets a 304,
        # and still shows the exact content.
        first = b.script(RELOAD_FACTS)
        b.script("location.reload();")
        again = None
        for _ in range(100):  # until the reloaded document is in place (bounded: 100 x 0.1 s)
            time.sleep(0.1)
            again = b.script(RELOAD_FACTS)
            if again and again["type"] == "reload":
                break
        check(again and again["type"] == "reload" and again["length"] == len(big) and again["sha"] == first["sha"],
              "%s: reloaded %s shows the same content: %r" % (label, BIG_NAME, again))
        check(again and again["status"] == 200 and again["transfer"] < 2000 < first["transfer"],
              "%s: the reload was a revalidation (304, %s bytes on the wire, first load %s)" %
              (label, again and again["transfer"], first["transfer"]))
        seen["reload"] = again and (again["transfer"] < 2000)
    return seen


def run_gatehouse(binary, tmp, root, files, assets):
    store = os.path.join(tmp, "store")
    hp, sp = harness.free_port(), harness.free_port()
    cfg = bs.write(os.path.join(tmp, "Caddyfile"), caddyfile(store, root, hp, sp))
    downloads = os.path.join(tmp, "downloads-gatehouse")
    os.makedirs(downloads)
    proc, _, drain, _ = harness.start(binary, cfg, adapter="caddyfile")
    try:
        return browse("gatehouse", store, hp, sp, files, assets, downloads)
    finally:
        harness.stop(proc, drain)


def run_caddy(tmp, root, files, assets):
    store = os.path.join(tmp, "caddy-store")
    hp, sp = harness.free_port(), harness.free_port()
    downloads = os.path.join(tmp, "downloads-caddy")
    os.makedirs(downloads)
    peer = CaddyPeer(caddyfile(store, root, hp, sp), [sp, hp], name="browser-caddy")
    try:
        deadline = time.time() + 15
        while not os.path.exists(bs.intermediate_of(store)) and time.time() < deadline:
            time.sleep(0.1)
        return browse("caddy", store, hp, sp, files, assets, downloads)
    finally:
        peer.stop()


def main():
    webdriver.skip_if_unavailable("browser_file_server_test")
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="gatehouse-browser-files-")
    started = time.time()
    try:
        root = os.path.join(tmp, "site")
        files = make_site(root)
        assets = make_assets(root)
        ours = run_gatehouse(binary, tmp, root, files, assets)
        if os.path.exists(CADDY):
            theirs = run_caddy(tmp, root, files, assets)
            check(ours.get("entries") == theirs.get("entries") and len(ours.get("entries", [])) == len(files) + 1,
                  "same entry links as caddy 2.6.2:\n  %r\n  %r" % (ours.get("entries"), theirs.get("entries")))
            for key in ("download", "text", "big", "reload", "assets"):
                check(ours.get(key) == theirs.get(key), "same %s as caddy 2.6.2: %r / %r" %
                      (key, ours.get(key), theirs.get(key)))
        else:
            print("skip: no caddy to compare with")
        print("browser part took %.1f s" % (time.time() - started))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
