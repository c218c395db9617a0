#!/usr/bin/env python3
"""HTTP/2 against caddy 2.6.2 (h2c): the stream limit and Go's response buffer.

1. A client opening more streams than SETTINGS_MAX_CONCURRENT_STREAMS (250), each waiting
   for its request body: Go refuses each stream over the limit alone (RST_STREAM
   REFUSED_STREAM while its SETTINGS are unacknowledged, PROTOCOL_ERROR after) and keeps
   the connection; the 250 open streams are answered once their bodies end, and a new
   stream is served on the same connection. Compared: the resets of the excess streams,
   the count answered, the later stream's answer.
2. PHP (a real php-fpm) over h2: Go never flushes a FastCGI body, so one that ends within
   its 4096-byte buffer gets a content-length, however PHP printed it; a longer one has
   none. Compared per script: every HEADERS block (Date, Server, Alt-Svc aside), where
   END_STREAM is, the body. An event stream still passes each event at once.
Usage: h2_streams_buffer_vs_caddy_test.py <path-to-gatehouse>
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import h2_frames as h2  # noqa: E402
import php_fpm  # noqa: E402
from caddy_peer import CaddyPeer  # noqa: E402
from h2_frames import DATA, END_HEADERS as EH, END_STREAM as ES, HEADERS, frame  # noqa: E402
from h2_tls_client import Conn, base, block  # noqa: E402
from harness import FAILURES, check, finish, free_port, wait_port  # noqa: E402

CADDYFILE = """{
	admin off
	skip_install_trust
	auto_https off
	servers {
		protocols h1 h2 h2c
	}
}
:%(port)d {
	root * %(root)s
	respond /body "body=[{http.request.body}]"
	handle /php/* {
		uri strip_prefix /php
		php_fastcgi 127.0.0.1:%(fpm)d
	}
	respond "hi"
}
"""

# Printed in pieces, each flushed by PHP (which Caddy does not pass on).
SCRIPTS = {
    "small.php": "<?php echo 'a'; echo 'b'; echo str_repeat('c', 100);",
    "flushed.php": "<?php echo 'a'; flush(); usleep(100000); echo 'b';",
    "3k.php": "<?php for ($i = 0; $i < 30; $i++) { echo str_repeat('x', 100); flush(); usleep(5000); }",
    "4096.php": "<?php for ($i = 0; $i < 4; $i++) { echo str_repeat('x', 1024); flush(); usleep(5000); }",
    "4097.php": "<?php for ($i = 0; $i < 4; $i++) { echo str_repeat('x', 1024); flush(); usleep(5000); } echo 'y';",
    "5k.php": "<?php for ($i = 0; $i < 50; $i++) { echo str_repeat('x', 100); flush(); usleep(5000); }",
    "20k.php": "<?php echo str_repeat('x', 20000);",
    "empty.php": "<?php ",
    "typed.php": "<?php header('Content-Type: text/plain'); for ($i = 0; $i < 9; $i++) { echo \"$i\"; flush(); }",
    "events.php": "<?php header('Content-Type: text/event-stream'); while (ob_get_level()) ob_end_flush();\n"
                  "for ($i = 0; $i < 3; $i++) { echo \"data: $i\\n\\n\"; flush(); usleep(600000); }",
}
REFUSED_STREAM, PROTOCOL_ERROR = 7, 1


def streams_over_limit(port, acked, n=252):
    """n streams whose bodies are held back, then all bodies ended; what the excess got,
    how many were answered, and the answer to one more stream after them."""
    c = Conn(port, False)
    resets = {}
    try:
        if acked:  # Conn acknowledges the server's SETTINGS as it reads them
            deadline = time.time() + 3
            while True:
                f = c.read_frame(deadline)
                if f is None or (f[0] == h2.SETTINGS and not f[1] & h2.ACK):
                    break
            time.sleep(0.2)
        c.send(b"".join(frame(HEADERS, EH, 2 * i + 1, block(base("/body", "POST"), False)) for i in range(n)))
        deadline = time.time() + 2
        while time.time() < deadline and len(resets) < n - 250:
            f = c.read_frame(deadline)
            if f is None or f[0] == h2.GOAWAY:
                resets["GOAWAY"] = f and struct.unpack(">I", f[3][4:8])[0]
                break
            if f[0] == h2.RST_STREAM:
                resets[f[2]] = struct.unpack(">I", f[3])[0]
        answered = set()
        try:
            c.send(b"".join(frame(DATA, ES, 2 * i + 1, b"x") for i in range(250)))
            deadline = time.time() + 10
            while time.time() < deadline and len(answered) < 250:
                f = c.read_frame(deadline)
                if f is None or f[0] == h2.GOAWAY:
                    break
                if f[0] in (HEADERS, DATA) and f[1] & ES:
                    answered.add(f[2])
            time.sleep(0.2)  # Go counts a stream closed once its last frame was written
            c.send(frame(HEADERS, EH | ES, 2 * n + 1, block(base("/"), False)))
            later, deadline = None, time.time() + 5
            while time.time() < deadline:
                f = c.read_frame(deadline)
                if f is None:
                    break
                if f[2] == 2 * n + 1 and f[0] == DATA:
                    later = f[3]
                    break
        except OSError:
            later = "connection closed"
    finally:
        c.close()
    return {"resets": resets, "answered": len(answered), "later stream": later}


def frames_of(port, path, split=None):
    """HEADERS blocks and the body of one GET, with where END_STREAM came; `split`, a list,
    gets each DATA frame's length."""
    c = Conn(port, False)
    out, body, stamps = [], b"", []
    try:
        c.send(frame(HEADERS, EH | ES, 1, block(base(path), False)))
        deadline = time.time() + 10
        while time.time() < deadline:
            f = c.read_frame(deadline)
            if f is None:
                out.append("no end")
                break
            ftype, flags, sid, payload = f
            if sid != 1:
                continue
            if ftype == HEADERS:
                # Sorted: Go's HTTP/2 server writes fields sorted by name (a known difference
                # in order alone, README).
                fields = sorted((k, v) for k, v in c.inflater.decode(payload) if k not in ("date", "server", "alt-svc"))
                out.append(("HEADERS", fields, "END_STREAM" if flags & ES else ""))
            elif ftype == DATA:
                body += payload
                if payload:
                    stamps.append(time.time())
                if flags & ES:
                    out.append(("END_STREAM on DATA", "empty" if not payload else "with bytes"))
                if split is not None:
                    split.append(len(payload))
            elif ftype == h2.RST_STREAM:
                out.append(("RST", struct.unpack(">I", payload)[0]))
                break
            if flags & ES:
                break
    finally:
        c.close()
    return out, body, stamps


def main():
    if len(sys.argv) < 2:
        print("usage: h2_streams_buffer_vs_caddy_test.py <gatehouse>")
        return 2
    if shutil.which("caddy") is None:
        print("skip: caddy not installed")
        return 77
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="gh-h2sb-")
    root = os.path.join(tmp, "root")
    os.makedirs(root)
    for name, text in SCRIPTS.items():
        with open(os.path.join(root, name), "w") as f:
            f.write(text)
    fpm = php_fpm.PhpFpm(free_port()) if php_fpm.binary() else None
    ports = {"caddy": free_port(), "gatehouse": free_port()}

    def caddyfile(port):
        return CADDYFILE % {"port": port, "root": root, "fpm": fpm.port if fpm else free_port()}

    peer = None
    gh = None
    log = open(os.path.join(tmp, "gatehouse.log"), "w")
    try:
        peer = CaddyPeer(caddyfile(ports["caddy"]), [ports["caddy"]], name="h2sb")
        path = os.path.join(tmp, "Caddyfile")
        with open(path, "w") as f:
            f.write(caddyfile(ports["gatehouse"]))
        gh = subprocess.Popen([binary, "run", "--config", path, "--adapter", "caddyfile", "--workers", "1"],
                              stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        check(wait_port(ports["gatehouse"], gh), "gatehouse listens")
        for acked, code in ((False, REFUSED_STREAM), (True, PROTOCOL_ERROR)):
            what = "acknowledged" if acked else "unacknowledged"
            want = streams_over_limit(ports["caddy"], acked)
            got = streams_over_limit(ports["gatehouse"], acked)
            check(want == got, "252 streams, SETTINGS %s: as caddy" % what)
            check(got == {"resets": {501: code, 503: code}, "answered": 250, "later stream": b"hi"},
                  "252 streams, SETTINGS %s: 2 refused (%d), 250 answered, the connection kept: %r"
                  % (what, code, got))
        if fpm is None:
            print("skip: php-fpm not installed (FastCGI over h2 not compared)")
        else:
            for name in SCRIPTS:
                want_split, got_split = [], []
                want = frames_of(ports["caddy"], "/php/" + name, want_split)
                got = frames_of(ports["gatehouse"], "/php/" + name, got_split)
                if name in ("20k.php", "events.php"):
                    # Where END_STREAM goes after pieces over 4096 bytes (written through Go's
                    # buffer) follows the sizes each server happened to read; an event
                    # stream's last read races its end.
                    want, got = (want[0][:1], want[1]), (got[0][:1], got[1])
                check(want[:2] == got[:2], "h2 PHP %s: heads, END_STREAM and body as caddy" % name)
                if want[:2] != got[:2]:
                    print("  caddy:     %r\n  gatehouse: %r" % (want[0], got[0]), flush=True)
                if name in ("small.php", "3k.php", "4096.php", "4097.php", "5k.php"):
                    # Pieces PHP flushed leave in Go's 4096-byte buffer loads: same DATA frames.
                    check(want_split == got_split, "h2 PHP %s: DATA frames of %r as caddy (%r)"
                          % (name, want_split, got_split))
            _, body, stamps = frames_of(ports["gatehouse"], "/php/events.php")
            check(body.count(b"data:") == 3 and len(stamps) >= 3 and stamps[-1] - stamps[0] > 0.9,
                  "h2 PHP event stream: each event at once (%d pieces over %.2f s)"
                  % (len(stamps), stamps[-1] - stamps[0] if stamps else 0))
    finally:
        if peer:
            peer.stop()
        if gh and gh.poll() is None:
            gh.terminate()
            try:
                gh.wait(10)
            except subprocess.TimeoutExpired:
                gh.kill()
                gh.wait(5)
        log.close()
        if fpm:
            fpm.stop()
        if FAILURES:
            with open(os.path.join(tmp, "gatehouse.log")) as f:
                print("--- gatehouse log (last lines) ---\n" + "".join(f.readlines()[-30:]))
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
