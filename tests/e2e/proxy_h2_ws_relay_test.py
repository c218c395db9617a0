#!/usr/bin/env python3
"""WebSockets over HTTP/2 (RFC 8441) relayed: once the 200 to the extended CONNECT is out,
the stream's exchange and ProxyCall go and a per-stream relay (H2TunnelLink + TunnelRelay)
holds the upstream socket. Over h2c and h2 over TLS, to a cleartext upstream (on a site
with an access log) and to an https:// upstream (no log):

- ten tunnels on one connection idle past the quiet delay (1 s: relay and session trim
  their buffers), then each still echoes byte-exact;
- 1 MB both ways, byte-exact, to a client that grants its window back in small steps
  (nothing is ever sent beyond it);
- back-pressure towards the upstream: an upstream that reads nothing for a while holds the
  client to its windows (a bounded part of 32 MB gets through), then all of it passes;
- back-pressure towards the client: a client that grants no window holds an upstream flood
  back, and gets every byte once it reads;
- the client's END_STREAM reaches the upstream as EOF, whose last frame and close follow
  as END_STREAM; an upstream FIN ends the stream (END_STREAM), an upstream reset resets it
  (CONNECT_ERROR); a client RST_STREAM closes the upstream connection;
- the access log has one entry per tunnel, written when it ends: CONNECT, HTTP/2.0,
  status 200, size = the bytes the client got on the stream, the tunnel's whole duration.
Usage: proxy_h2_ws_relay_test.py <path-to-gatehouse>
"""
import hashlib
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import tls_pki  # noqa: E402
from harness import check  # noqa: E402
from h2_frames import DATA, frame  # noqa: E402
from ws_h2_peers import H2WsClient, TlsWsUpstream, WsUpstream, ws_frame  # noqa: E402

IDLE = 2.5  # seconds: past the quiet delay after which relays and sessions trim
CONNECT_ERROR = 0xA


def caddyfile(tmp, up, tls_up, ca, plain_port, tls_port, log_path):
    crt, key = tls_pki.make_leaf(tmp, "front", ["IP:127.0.0.1", "DNS:relay.test", "DNS:tlsup.test"], ca)
    site = ("\tlog {\n\t\toutput file %s\n\t\tformat json\n\t}\n\treverse_proxy 127.0.0.1:%d\n" % (log_path, up.port))
    tls_site = ("\treverse_proxy https://127.0.0.1:%d {\n\t\ttransport http {\n\t\t\ttls_trusted_ca_certs %s\n"
                "\t\t}\n\t}\n" % (tls_up.port, ca[0]))
    text = "{\n\tadmin off\n\tauto_https off\n\tservers {\n\t\tprotocols h1 h2 h2c\n\t}\n}\n"
    for host, body in (("relay.test", site), ("tlsup.test", tls_site)):
        text += "http://%s:%d {\n\tbind 127.0.0.1\n%s}\n" % (host, plain_port, body)
        text += "https://%s:%d {\n\tbind 127.0.0.1\n\ttls %s %s\n%s}\n" % (host, tls_port, crt, key, body)
    path = os.path.join(tmp, "Caddyfile")
    with open(path, "w") as f:
        f.write(text)
    return path


def connect(port, ca, auto_window=True):
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    if ca is None:
        return H2WsClient(raw, auto_window), "http"
    ctx = ssl.create_default_context(cafile=ca)
    ctx.set_alpn_protocols(["h2"])
    s = ctx.wrap_socket(raw, server_hostname="relay.test")
    check(s.selected_alpn_protocol() == "h2", "ALPN h2")
    return H2WsClient(s, auto_window), "https"


def echoes(c, sid, payload, opcode=0x2):
    """Sends one masked frame; True if exactly its unmasked form comes back."""
    c.send(sid, ws_frame(payload, opcode, os.urandom(4)))
    want = ws_frame(payload, opcode)
    return c.read(sid, len(want), timeout=60) == want


def wait_until(cond, timeout):
    deadline = time.time() + timeout
    while not cond() and time.time() < deadline:
        time.sleep(0.05)
    return cond()


class Tracker:
    """Bytes each tunnel's client got (what its access log entry's size must say)."""

    def __init__(self):
        self.got = {}

    def read(self, c, sid, tag, n, timeout=60):
        out = c.read(sid, n, timeout)
        self.got[tag] = self.got.get(tag, 0) + len(out)
        return out

    def drain(self, c, sid, tag):
        """Counts what is left on the stream up to its end."""
        st = c.streams[sid]
        c.pump(lambda: st.ended or st.reset is not None, 15)
        self.got[tag] = self.got.get(tag, 0) + len(st.data)
        st.data.clear()


def run_idle(port, ca, host, label, counts):
    c, scheme = connect(port, ca)
    sids = []
    for i in range(10):
        tag = "%s-idle%d" % (label, i)
        sids.append((c.open("/ws?tag=" + tag, host, scheme), tag))
    check(all(c.status(sid) == "200" for sid, _ in sids), label + ": ten tunnels open on one connection")
    time.sleep(IDLE)
    ok = 0
    for sid, tag in sids:
        payload = os.urandom(700)
        c.send(sid, ws_frame(payload, 0x2, os.urandom(4)))
        want = ws_frame(payload, 0x2)
        ok += counts.read(c, sid, tag, len(want)) == want
    check(ok == 10, label + ": every tunnel echoes after %.1f s idle (%d of 10)" % (IDLE, ok))
    # Half-close each: the upstream's last frame, then END_STREAM.
    last = ws_frame(b"upstream saw EOF", 0x1)
    ended = 0
    for sid, tag in sids:
        c.send(sid, b"", end=True)
        got = counts.read(c, sid, tag, len(last))
        counts.drain(c, sid, tag)
        ended += got == last and c.streams[sid].ended and c.streams[sid].reset is None
    check(ended == 10, label + ": END_STREAM -> upstream EOF -> its last frame and END_STREAM (%d of 10)" % ended)
    check(not c.flow_errors, label + ": within our windows: %r" % c.flow_errors[:3])
    c.close()


def run_megabyte(port, ca, host, label, up, counts):
    """1 MB both ways to a client that grants its window back 16 KB at a time."""
    c, scheme = connect(port, ca, auto_window=False)
    tag = label + "-mb"
    sid = c.open("/ws?tag=" + tag, host, scheme)
    big = os.urandom(1 << 20)
    c.send(sid, ws_frame(big, 0x2, os.urandom(4)), timeout=60)
    want = ws_frame(big, 0x2)
    st = c.streams[sid]
    got = bytearray()
    deadline = time.time() + 60
    while len(got) < len(want) and time.time() < deadline and st.reset is None:
        c._frames(0.2)
        if st.data:
            n = min(len(st.data), 16384)
            got += st.data[:n]
            del st.data[:n]
            c.grant(sid, n)
    counts.got[tag] = len(got)
    check(bytes(got) == want, label + ": 1 MB echoed byte-exact through small window grants (%d bytes)" % len(got))
    if up is not None:
        check((tag, 0x2, hashlib.sha256(big).hexdigest()) in up.received, label + ": upstream got the 1 MB intact")
    check(not c.flow_errors, label + ": never beyond our window: %r" % c.flow_errors[:3])
    c.reset(sid)  # ends it (the access log entry)
    check(wait_until(lambda: tag in up.ended, 5) if up is not None else True,
          label + ": client RST_STREAM closed the upstream connection")
    c.close()


def run_stall(port, ca, host, label, up, counts):
    """An upstream that reads nothing holds the client to its windows."""
    c, scheme = connect(port, ca)
    tag = label + "-stall"
    sid = c.open("/stall?ms=2500&tag=" + tag, host, scheme)
    total = 32 << 20
    payload = os.urandom(total)
    data = ws_frame(payload, 0x2, os.urandom(4))
    st = c.streams[sid]
    sent = 0
    deadline = time.time() + 1.8  # the upstream still sleeps
    while sent < len(data) and time.time() < deadline:
        c._frames(0.05)
        room = min(c.conn_send, st.send_window, 16384, len(data) - sent)
        if room <= 0:
            continue
        c.s.sendall(frame(DATA, 0, sid, data[sent:sent + room]))
        c.conn_send -= room
        st.send_window -= room
        sent += room
    check(sent < 16 << 20, label + ": a stalled upstream holds the client back (%d of %d bytes sent)" % (sent, len(data)))
    c.send(sid, data[sent:], timeout=60)
    want = ws_frame(payload, 0x2)
    back = counts.read(c, sid, tag, len(want), timeout=90)
    check(back == want, label + ": all 32 MB echoed byte-exact once the upstream reads")
    c.send(sid, b"", end=True)
    counts.drain(c, sid, tag)
    c.close()


def run_flood(port, ca, host, label, up, counts):
    c, scheme = connect(port, ca, auto_window=False)
    tag = label + "-flood"
    total = 48 << 20
    sid = c.open("/flood?n=%d&tag=%s" % (total, tag), host, scheme)
    time.sleep(1.5)
    held = up.flood_sent.get(tag, 0)
    check(held < 12 << 20, label + ": upstream held back while the client reads nothing (%d bytes sent)" % held)
    got = 0
    st = c.streams[sid]
    deadline = time.time() + 120
    while got < total and time.time() < deadline and st.reset is None:
        c._frames(0.5)
        n = len(st.data)
        if n:
            got += n
            st.data.clear()
            c.grant(sid, n)
    counts.got[tag] = got
    check(got == total, label + ": every flooded byte arrived once the client read (%d of %d)" % (got, total))
    c.pump(lambda: st.ended or st.reset is not None, 10)
    check(st.ended and st.reset is None, label + ": the upstream's FIN after its flood -> END_STREAM")
    check(not c.flow_errors, label + ": flood within our windows: %r" % c.flow_errors[:3])
    c.close()


def run_ends(port, ca, host, label, up, counts):
    c, scheme = connect(port, ca)
    last = ws_frame(b"last words", 0x1)
    tag = label + "-fin"
    sid = c.open("/die?how=fin&tag=" + tag, host, scheme)
    check(counts.read(c, sid, tag, len(last)) == last, label + ": upstream's last frame before its FIN")
    c.pump(lambda: c.streams[sid].ended or c.streams[sid].reset is not None, 10)
    check(c.streams[sid].ended and c.streams[sid].reset is None, label + ": upstream FIN -> END_STREAM")
    c.send(sid, b"", end=True)  # our side too: the stream closes
    tag = label + "-rst"
    sid = c.open("/die?how=rst&tag=" + tag, host, scheme)
    counts.read(c, sid, tag, len(last))
    c.pump(lambda: c.streams[sid].reset is not None, 10)
    check(c.streams[sid].reset == CONNECT_ERROR, label + ": upstream reset -> RST_STREAM CONNECT_ERROR (%r)" %
          c.streams[sid].reset)
    tag = label + "-cancel"
    sid = c.open("/ws?tag=" + tag, host, scheme)
    check(echoes(c, sid, b"before reset"), label + ": echo before the client's reset")
    counts.got[tag] = len(ws_frame(b"before reset", 0x2))
    c.reset(sid)
    check(wait_until(lambda: tag in up.ended, 5), label + ": client RST_STREAM closed the upstream connection")
    # The connection carries on.
    tag = label + "-after"
    sid = c.open("/ws?tag=" + tag, host, scheme)
    check(echoes(c, sid, b"still fine"), label + ": the connection serves new tunnels after the resets")
    counts.got[tag] = None  # what the upstream answers to our EOF may be sent but never read
    c.close()  # the connection's end ends the tunnel
    check(wait_until(lambda: tag in up.ended, 5), label + ": the connection's close closed the upstream connection")


def entries(log_path):
    out = []
    if os.path.exists(log_path):
        with open(log_path) as f:
            for line in f:
                if line.endswith("\n"):
                    out.append(json.loads(line))
    return out


def check_log(log_path, counts, label):
    tags = sorted(t for t in counts.got if t.startswith(label + "-"))
    by_tag = {}
    for e in entries(log_path):
        uri = e.get("request", {}).get("uri", "")
        if "tag=" in uri:
            by_tag.setdefault(uri.split("tag=")[1].split("&")[0], []).append(e)
    for tag in tags:
        es = by_tag.get(tag, [])
        check(len(es) == 1, "%s: one access log entry (%d)" % (tag, len(es)))
        if len(es) != 1:
            continue
        e = es[0]
        req = e.get("request", {})
        check(req.get("method") == "CONNECT" and req.get("proto") == "HTTP/2.0",
              "%s: entry for the CONNECT over HTTP/2.0: %r %r" % (tag, req.get("method"), req.get("proto")))
        check(e.get("status") == 200, "%s: status 200 (%r)" % (tag, e.get("status")))
        if counts.got[tag] is not None:
            check(e.get("size") == counts.got[tag], "%s: size %r = bytes the client got %r" % (
                tag, e.get("size"), counts.got[tag]))
        if "-idle" in tag:
            check(e.get("duration", 0) >= IDLE, "%s: the tunnel's whole duration (%r s)" % (tag, e.get("duration")))


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        ca = tls_pki.make_ca(tmp)
        up_crt, up_key = tls_pki.make_leaf(tmp, "upstream", ["IP:127.0.0.1"], ca)
        up, tls_up = WsUpstream(), TlsWsUpstream(up_crt, up_key)
        plain_port, tls_port = harness.free_port(), harness.free_port()
        log_path = os.path.join(tmp, "access.log")
        path = caddyfile(tmp, up, tls_up, ca, plain_port, tls_port, log_path)
        proc, _, drain, _ = harness.start(binary, path, adapter="caddyfile", workers=1)
        counts = Tracker()
        try:
            for port, ca_file, label in ((plain_port, None, "h2c"), (tls_port, ca[0], "h2")):
                for host, peer in (("relay.test", up), ("tlsup.test", tls_up)):
                    what = label + (" tls-upstream" if peer is tls_up else "")
                    try:
                        run_idle(port, ca_file, host, what.replace(" ", "_"), counts)
                        run_megabyte(port, ca_file, host, what.replace(" ", "_"), peer, counts)
                        if peer is up:
                            run_stall(port, ca_file, host, label, up, counts)
                            run_flood(port, ca_file, host, label, up, counts)
                            run_ends(port, ca_file, host, label, up, counts)
                    except (OSError, TimeoutError, ValueError) as e:
                        check(False, what + ": " + repr(e))
            # Every tunnel has ended: its entry is written (the log thread may lag a little).
            wait_until(lambda: len(entries(log_path)) >= sum(1 for t in counts.got if "_tls" not in t), 5)
            for label in ("h2c", "h2"):
                check_log(log_path, counts, label)
            tls_entries = [e for e in entries(log_path) if e.get("request", {}).get("host", "").startswith("tlsup")]
            check(not tls_entries, "the https:// upstream's site writes no entries (no log there)")
        finally:
            failures = []
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                failures.append("gatehouse did not stop")
            report = drain.finish()
            check(not report and not failures, "clean stop: %s %s" % (failures, report or ""))
    check(not up.errors and not tls_up.errors, "upstream errors: %r %r" % (up.errors[:3], tls_up.errors[:3]))
    up.close()
    tls_up.close()
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
