#!/usr/bin/env python3
"""Real browser (Debian's headless Chromium through WebDriver) against the seed config,
examples/lobechat.Caddyfile, in front of a chat app upstream started here:

- the site as `chat.test` with `tls internal` (storage in a temp dir; http_port/https_port on
  free ports): http://chat.test:<http_port>/ redirects to https://chat.test/, which Chromium
  follows and loads over HTTP/2 (nextHopProtocol "h2"), the chain trusted by the SPKI pin of
  the local CA's intermediate (no acceptInsecureCerts);
- from page JavaScript: /healthz; a JSON API through reverse_proxy (Host and
  X-Forwarded-Proto as the upstream saw them); chat-message uploads (2 MB with a length, and
  a ReadableStream body, which Chromium streams over h2 only: chunked upstream); an SSE token stream through `encode`, read
  with EventSource and with a fetch() stream reader at once: each event arrives before the
  upstream sends the next one (0.4 s apart), compressed (Content-Encoding seen by fetch and
  in the access log); the page aborting a stream ("stop generating") ends the upstream
  connection within 1.5 s; a WebSocket echo through the @websocket route, over HTTP/2 (RFC 8441
  extended CONNECT: the access log says HTTP/2.0) with a text and a 1 MB binary message;
  a token stream and a WebSocket at once (an echo per token), events still on time;
- the same seed site body as `http://plain.test` (HTTP/1.1): page, the WebSocket echo
  through the HTTP/1.1 Upgrade path, the SSE stream (gzip) event by event.
Exit 77 (skip) when /usr/bin/chromium is not installed.
Usage: browser_seed_test.py <path-to-gatehouse>
"""
import json
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
from browser_upstream import ChatUpstream  # noqa: E402
from harness import check  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GAP = 0.4
EVENTS = 6
BIG = 1 << 20


def seed_body(upstream_port, log_path):
    """The seed site's block body, its upstream moved to the test's, with an access log."""
    with open(os.path.join(REPO, "examples", "lobechat.Caddyfile")) as f:
        text = f.read()
    check("reverse_proxy @websocket 127.0.0.1:3210" in text and "@websocket {" in text and "encode zstd gzip" in text,
          "seed config has its upstream, @websocket and encode")
    body = text[text.index("chat.example.com {") + len("chat.example.com {"):text.rindex("}")]
    log = "\tlog {\n\t\toutput file %s\n\t\tformat json\n\t}\n" % log_path
    return "\tbind 127.0.0.1\n" + log + body.replace("127.0.0.1:3210", "127.0.0.1:%d" % upstream_port)


def caddyfile(tmp, up, hp, sp):
    store = os.path.join(tmp, "store")
    text = bs.global_options(store, hp, sp)
    text += "chat.test {\n\ttls internal\n" + seed_body(up.port, os.path.join(tmp, "tls.log")) + "}\n\n"
    text += "http://plain.test {\n" + seed_body(up.port, os.path.join(tmp, "plain.log")) + "}\n"
    return bs.write(os.path.join(tmp, "Caddyfile"), text), store


def check_sse(b, up, base, prefix, encodings):
    got = b.async_script(js.SSE_BOTH, base + "/sse?n=%d&gap=%s&tag=%ses" % (EVENTS, GAP, prefix),
                         base + "/sse?n=%d&gap=%s&tag=%sfetch" % (EVENTS, GAP, prefix), 15000)
    for way, events, err in (("EventSource", got["es"], got["es_error"]),
                             ("fetch stream", got["fetch"], got["fetch_error"])):
        tag = prefix + ("es" if way == "EventSource" else "fetch")
        sent = up.sse_sent.get(tag, [])
        data = [e[0] for e in events]
        want = ['{"choices":[{"delta":{"content":"tok%d"}}]}' % i for i in range(EVENTS)] + ["[DONE]"]
        if tag.endswith("fetch"):
            want = ["id: %d\ndata: %s" % (i, w) for i, w in enumerate(want[:-1])] + ["data: [DONE]"]
        way = "%s %s" % (base.split(":")[0], way)
        check(data == want and err is None, "%s: every event in order (%s): %r" % (way, err, data[:3]))
        check(len(sent) == EVENTS, "%s: upstream sent %d events" % (way, len(sent)))
        if len(sent) != EVENTS or len(events) < EVENTS:
            continue
        late = []
        for i in range(EVENTS):
            arrived = events[i][1] / 1000.0
            # Arrived after it was sent (2 ms for clock rounding), before the next one was sent.
            nxt = sent[i + 1] if i + 1 < EVENTS else sent[i] + GAP
            if not (sent[i] - 0.002 <= arrived < nxt):
                late.append((i, round(arrived - sent[i], 3)))
        delays = [round(events[i][1] / 1000.0 - sent[i], 3) for i in range(EVENTS)]
        check(not late, "%s: each event arrived before the upstream sent the next (delays %s s)" % (way, delays))
    check(got["fetch_ce"] in encodings, "%s SSE through encode is compressed: %r" % (base, got["fetch_ce"]))


def check_uploads(b):
    got = b.async_script(js.UPLOADS, "/api/chat")
    check("error" not in got, "uploads from the page: %r" % got.get("error"))
    for way in ("fixed", "streamed"):
        r = got.get(way, {})
        seen = r.get("seen", {})
        check(r.get("status") == 200 and seen.get("sha256") == r.get("sha") and seen.get("length") == r.get("length"),
              "%s upload reached the upstream intact: %r" % (way, {k: v for k, v in r.items() if k != "sha"}))
    streamed = got.get("streamed", {}).get("seen", {})
    check(streamed.get("transfer_encoding") == "chunked" and streamed.get("content_length") is None,
          "streamed upload (no length, over h2) went upstream chunked: %r" % streamed)


def check_stop(b, up):
    """"Stop generating": the page aborts a token stream; the upstream must see its connection
    end (its writes fail) soon, not keep generating all 100 events."""
    got = b.async_script(js.SSE_ABORT, "/sse?n=100&gap=0.1&tag=stop", 3, 10000)
    aborted = got.get("aborted_at")
    check(got.get("events") == 3 and aborted, "page read 3 events, then aborted: %r" % got)
    deadline = time.time() + 5
    last = -1
    while time.time() < deadline:  # until the upstream stops sending (or 5 s)
        n = len(up.sse_sent.get("stop", []))
        if n == last:
            break
        last = n
        time.sleep(0.5)
    sent = up.sse_sent.get("stop", [])
    check(len(sent) < 20 and (not aborted or sent[-1] < aborted / 1000.0 + 1.5),
          "upstream stopped within 1.5 s of the abort: %d of 100 events sent, last %.2f s after it" %
          (len(sent), sent[-1] - aborted / 1000.0 if sent and aborted else -1))


def check_together(b, up, tmp):
    """SSE and a WebSocket at once, both on the page's one h2 connection (the WebSocket as an
    extended CONNECT stream next to the SSE stream)."""
    got = b.async_script(js.SSE_WITH_WEBSOCKET, "wss://chat.test/ws?tag=together",
                         "/sse?n=%d&gap=%s&tag=together" % (EVENTS, GAP), 15000)
    sent = up.sse_sent.get("together", [])
    on_time = len(got["events"]) == EVENTS + 1 and len(sent) == EVENTS and all(
        sent[i] - 0.002 <= got["events"][i][1] / 1000.0 < sent[i] + GAP for i in range(EVENTS))
    check(got["error"] is None and on_time, "SSE next to a WebSocket: every event on time: %r" %
          [round(e[1] / 1000.0 - s, 3) for e, s in zip(got["events"], sent)])
    check(got["echoes"] == ["ack %d" % i for i in range(EVENTS)], "WebSocket echoes meanwhile: %r" % got["echoes"])
    ws = log_entry(os.path.join(tmp, "tls.log"), "/ws?tag=together")
    check(ws is not None and ws["request"].get("proto") == "HTTP/2.0",
          "that WebSocket over HTTP/2 too: %r" % (ws and ws["request"].get("proto")))


def check_websocket(b, scheme, host, tag):
    got = b.async_script(js.WEBSOCKET_ECHO, "%s://%s/ws?tag=%s" % (scheme, host, tag), BIG, 20000)
    check(got["text_ok"] and got["binary_ok"] and got["binary_len"] == BIG,
          "%s WebSocket: text and 1 MB binary echoed byte-exact: %r" % (scheme, got))
    check(got["code"] == 1000 and got["clean"], "%s WebSocket: clean close 1000: %r" % (scheme, got))


def log_entry(path, prefix, timeout=5):
    """The access log entry of the request whose URI starts with prefix. Waits for it (bounded):
    an entry is written when its request ends, by the log's own thread."""
    deadline = time.time() + timeout
    while True:
        for e in bs.access_log(path):
            if e.get("request", {}).get("uri", "").startswith(prefix):
                return e
        if time.time() > deadline:
            return None
        time.sleep(0.1)


def https_checks(b, up, tmp, hp):
    b.get("http://chat.test:%d/" % hp)
    nav = b.script(js.NAVIGATION)
    check(nav["url"] == "https://chat.test/" and nav["title"] == "Gatehouse chat",
          "http://chat.test:%d/ redirected to the HTTPS site and loaded: %r" % (hp, nav))
    check(nav["proto"] == "h2", "page loaded over HTTP/2: %r" % nav["proto"])
    check(nav["secure"] is True, "secure context (certificate accepted)")
    r = b.async_script(js.FETCH_TEXT, "/healthz")
    check(r.get("status") == 200 and r.get("body") == "ok", "/healthz from the page: %r" % r)
    r = b.async_script(js.FETCH_TEXT, "/api/models")
    body = json.loads(r.get("body") or "{}")
    check(r.get("status") == 200 and body.get("models") == ["gpt-test", "llama-test"],
          "JSON API through reverse_proxy: %r" % r)
    check(body.get("host") == "chat.test" and body.get("proto") == "https",
          "upstream saw Host chat.test and X-Forwarded-Proto https: %r" % body)
    check(r.get("proto") == "h2", "fetch over HTTP/2: %r" % r.get("proto"))
    check_uploads(b)
    check_sse(b, up, "https://chat.test", "", ("zstd", "gzip"))
    check_stop(b, up)
    check_websocket(b, "wss", "chat.test", "h2")
    ws = log_entry(os.path.join(tmp, "tls.log"), "/ws?tag=h2")
    check(ws is not None and ws["request"].get("proto") == "HTTP/2.0" and ws["request"].get("method") == "CONNECT",
          "browser's WebSocket came over HTTP/2 (RFC 8441): %r" % (ws and ws["request"]))
    check_together(b, up, tmp)
    sse = log_entry(os.path.join(tmp, "tls.log"), "/sse?n=%d&gap=%s&tag=es" % (EVENTS, GAP))
    ce = (sse or {}).get("resp_headers", {}).get("Content-Encoding")
    check(ce in (["zstd"], ["gzip"]), "EventSource stream was compressed: %r" % ce)


def plain_checks(b, up, hp, tmp):
    b.get("http://plain.test:%d/" % hp)
    nav = b.script(js.NAVIGATION)
    check(nav["url"] == "http://plain.test:%d/" % hp and nav["title"] == "Gatehouse chat",
          "plain HTTP site loaded: %r" % nav)
    check(nav["proto"] == "http/1.1", "plain HTTP page over HTTP/1.1: %r" % nav["proto"])
    check_websocket(b, "ws", "plain.test:%d" % hp, "h1")
    check_sse(b, up, "http://plain.test:%d" % hp, "h1", ("gzip",))  # zstd: HTTPS only in Chromium
    ws = log_entry(os.path.join(tmp, "plain.log"), "/ws?tag=h1")
    check(ws is not None and ws["request"].get("proto") == "HTTP/1.1" and ws["request"].get("method") == "GET",
          "plain WebSocket came as an HTTP/1.1 Upgrade: %r" % (ws and ws["request"]))


def main():
    webdriver.skip_if_unavailable("browser_seed_test")
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="gatehouse-browser-seed-")
    up = ChatUpstream()
    hp, sp = harness.free_port(), harness.free_port()
    proc = drain = None
    try:
        cfg, store = caddyfile(tmp, up, hp, sp)
        proc, _, drain, _ = harness.start(binary, cfg, adapter="caddyfile")
        pin = bs.spki_pin(bs.intermediate_of(store))
        started = time.time()
        args = bs.chromium_args(["chat.test", "plain.test"], hp, sp, [pin])
        with webdriver.Browser(args) as b:
            https_checks(b, up, tmp, hp)
            plain_checks(b, up, hp, tmp)
        print("browser part took %.1f s" % (time.time() - started))
        heads = [h for h in up.ws.heads if "tag=" in h[0]]
        check(len(heads) == 3 and all(h[1].get("upgrade") == "websocket" for h in heads),
              "upstream saw three RFC 6455 handshakes: %r" % [h[0] for h in heads])
        check(not up.ws.errors, "upstream WebSocket errors: %r" % up.ws.errors)
    finally:
        if proc:
            harness.stop(proc, drain)
        up.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
