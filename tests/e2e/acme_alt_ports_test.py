#!/usr/bin/env python3
"""End-to-end: alternate challenge ports (`alt_http_port`, `alt_tlsalpn_port`; JSON
challenges.http.alternate_port / challenges.tls-alpn.alternate_port) against Debian's pebble,
whose VA validates HTTP-01 on its config's httpPort (P1) and TLS-ALPN-01 on tlsPort (P2).

 1. HTTP-01 only, alt_http_port P1, the site's own listeners on other ports (http_port H,
    https_port S): the ACME client opens a listener of its own on 127.0.0.1:P1 (bind_host from
    default_bind) for the challenge, closes it afterwards; curl --cacert verifies the result.
    The adapted JSON matches `caddy adapt` for the issuer's challenges.
 2. TLS-ALPN-01 only, alt_tlsalpn_port P2: the same with a TLS listener of its own.
 3. alt_http_port is the port of a plain-HTTP site of the config: that site's listener answers
    the challenge (no listener of our own), as certmagic finds the port served.
 4. P1 held by another program: the order fails with a message saying so and what to change;
    the server keeps running.
 5. alt_http_port on a TLS listener of the config: refused at start-up, naming the JSON path.
Loopback only; every wait is bounded. Usage: acme_alt_ports_test.py <path-to-gatehouse>
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import acme_pebble  # noqa: E402
import harness  # noqa: E402
import tls_pki  # noqa: E402

check = harness.check
OWN_HTTP = "serving HTTP-01 challenges on a listener of our own"
OWN_TLS = "serving TLS-ALPN-01 challenges on a listener of our own"


def write_caddyfile(tmp, name, pebble, storage, http_port, https_port, issuer_opts, extra_sites="", globals_=""):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("{\n\temail a@b.test\n\tacme_ca %s\n\tacme_ca_root %s\n\thttp_port %d\n\thttps_port %d\n"
                "\tdefault_bind 127.0.0.1\n\tstorage file_system %s\n\tadmin off\n%s}\n\n"
                % (pebble.directory, pebble.cert, http_port, https_port, storage, globals_))
        f.write("a.test {\n")
        if issuer_opts is not None:
            f.write("\ttls {\n\t\tissuer acme {\n")
            for opt in issuer_opts:
                f.write("\t\t\t%s\n" % opt)
            f.write("\t\t}\n\t}\n")
        f.write("\trespond \"alt {http.request.tls.server_name}\"\n}\n")
        f.write(extra_sites)
    return path


def roots_file(tmp, pebble):
    path = os.path.join(tmp, "pebble-roots.pem")
    with open(path, "w") as f:
        f.write(pebble.management("/roots/0"))
    return path


def msgs(lines, msg):
    return [e for e in lines if e.get("msg") == msg]


def nobody_listens(port):
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        return False
    except ConnectionRefusedError:
        return True


def effective_challenges(cmd):
    """The HTTP-01 / TLS-ALPN-01 settings a.test's ACME issuer runs with, from the adapted JSON
    of `cmd`: the policy covering a.test, its first issuer's challenges, with the http app's
    http_port / https_port filled in where no alternate_port is set, as Caddy 2.6.2's http app
    does at provision (fillInACMEIssuer). The adapter follows newer Caddy, which writes those
    ports (and default_bind as bind_host) into the JSON itself; the effect is the same."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, "%s adapt succeeds: %s" % (cmd[0], p.stderr[-300:]))
    cfg = json.loads(p.stdout or "{}")
    http_app = cfg.get("apps", {}).get("http", {})
    for pol in cfg.get("apps", {}).get("tls", {}).get("automation", {}).get("policies", []):
        if pol.get("subjects") and "a.test" not in pol["subjects"]:
            continue
        challenges = pol.get("issuers", [{}])[0].get("challenges", {})
        out = {}
        for kind, app_port in (("http", "http_port"), ("tls-alpn", "https_port")):
            c = dict(challenges.get(kind, {}))
            if not c.get("alternate_port") and http_app.get(app_port):
                c["alternate_port"] = http_app[app_port]
            out[kind] = c
        return out
    return None


def compare_adapt(binary, cfg):
    ours = effective_challenges([binary, "adapt", "--config", cfg])
    if shutil.which("caddy") is None:
        print("note: caddy not installed; adapt comparison skipped")
        return ours
    theirs = effective_challenges(["caddy", "adapt", "--config", cfg, "--adapter", "caddyfile"])
    check(ours is not None and ours == theirs, "effective challenge ports match caddy adapt's: %s vs %s"
          % (ours, theirs))
    return ours


def run_site(binary, cfg, roots, https_port, want, solver_port):
    """Starts the server, waits for a.test to serve a pebble certificate; returns the log."""
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        took = acme_pebble.wait_serving("a.test", https_port, roots, 60)
        check(took is not None, "a.test served with a pebble certificate (%s)" % want)
        rc, out, err = acme_pebble.curl_https("a.test", https_port, roots)
        check(rc == 0 and out == "alt a.test", "curl --cacert verifies a.test: %r %s" % (out, err))
        check(nobody_listens(solver_port), "the solver's own listener on %d is closed after the challenge"
              % solver_port)
    finally:
        rc, report, lines = acme_pebble.stop_server(proc, drain, 20)
    check(rc == 0, "clean exit (rc=%s)" % rc)
    check(report == "", "no sanitizer report")
    return lines


def http01_alt_port(binary, tmp, pebble, roots):
    h, s = harness.free_port(), harness.free_port()
    cfg = write_caddyfile(tmp, "Caddyfile.http", pebble, os.path.join(tmp, "st-http"), h, s,
                          ["alt_http_port %d" % pebble.http_port, "disable_tlsalpn_challenge"])
    ch = compare_adapt(binary, cfg)
    check(ch and ch["http"].get("alternate_port") == pebble.http_port,
          "adapt: challenges.http.alternate_port = P1: %s" % ch)
    lines = run_site(binary, cfg, roots, s, "HTTP-01 on alt_http_port", pebble.http_port)
    own = msgs(lines, OWN_HTTP)
    check([e.get("address") for e in own][:1] == ["127.0.0.1:%d" % pebble.http_port],
          "log: own HTTP-01 listener on 127.0.0.1:P1: %s" % own)
    types = {e.get("challenge_type") for e in msgs(lines, "trying to solve challenge")}
    check(types == {"http-01"}, "only http-01 tried: %s" % types)


def tlsalpn01_alt_port(binary, tmp, pebble, roots):
    h, s = harness.free_port(), harness.free_port()
    cfg = write_caddyfile(tmp, "Caddyfile.alpn", pebble, os.path.join(tmp, "st-alpn"), h, s,
                          ["alt_tlsalpn_port %d" % pebble.tls_port, "disable_http_challenge"])
    ch = compare_adapt(binary, cfg)
    check(ch and ch["tls-alpn"].get("alternate_port") == pebble.tls_port,
          "adapt: challenges.tls-alpn.alternate_port = P2: %s" % ch)
    lines = run_site(binary, cfg, roots, s, "TLS-ALPN-01 on alt_tlsalpn_port", pebble.tls_port)
    own = msgs(lines, OWN_TLS)
    check([e.get("address") for e in own][:1] == ["127.0.0.1:%d" % pebble.tls_port],
          "log: own TLS-ALPN-01 listener on 127.0.0.1:P2: %s" % own)
    types = {e.get("challenge_type") for e in msgs(lines, "trying to solve challenge")}
    check(types == {"tls-alpn-01"}, "only tls-alpn-01 tried: %s" % types)


def http_port_without_server(binary, tmp, pebble, roots):
    """Global http_port P1 but no server there (auto_https disable_redirects): as Caddy (its http
    app fills http_port into the issuer), HTTP-01 is answered by a listener of our own on P1."""
    s = harness.free_port()
    cfg = write_caddyfile(tmp, "Caddyfile.noredir", pebble, os.path.join(tmp, "st-noredir"), pebble.http_port, s,
                          None, globals_="\tauto_https disable_redirects\n")
    ch = compare_adapt(binary, cfg)
    check(ch and ch["http"].get("alternate_port") == pebble.http_port, "effective HTTP-01 port is http_port: %s" % ch)
    lines = run_site(binary, cfg, roots, s, "HTTP-01 on http_port, no server there", pebble.http_port)
    own = [e.get("address") for e in msgs(lines, OWN_HTTP)]
    check(own[:1] == ["127.0.0.1:%d" % pebble.http_port], "log: own HTTP-01 listener on http_port: %s" % own)


def served_by_own_site(binary, tmp, pebble, roots):
    h, s = harness.free_port(), harness.free_port()
    plain = 'http://other.test:%d {\n\trespond "plain site"\n}\n' % pebble.http_port
    cfg = write_caddyfile(tmp, "Caddyfile.site", pebble, os.path.join(tmp, "st-site"), h, s,
                          ["alt_http_port %d" % pebble.http_port, "disable_tlsalpn_challenge"], plain)
    compare_adapt(binary, cfg)
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        check(acme_pebble.wait_serving("a.test", s, roots, 60) is not None,
              "a.test obtained through the plain site's listener on P1")
        rc, out, _ = tls_pki.curl(["-s", "-H", "Host: other.test", "http://127.0.0.1:%d/" % pebble.http_port])
        check(out == "plain site", "the plain site still answers on P1: %r" % out)
    finally:
        rc, report, lines = acme_pebble.stop_server(proc, drain, 20)
    check(rc == 0 and report == "", "clean exit, no sanitizer report")
    check(not msgs(lines, OWN_HTTP), "no listener of our own: the site's listener answered")
    check(len(msgs(lines, "certificate obtained successfully")) == 1, "log: certificate obtained")


def port_in_use(binary, tmp, pebble):
    h, s = harness.free_port(), harness.free_port()
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", pebble.http_port))
    holder.listen(1)
    cfg = write_caddyfile(tmp, "Caddyfile.busy", pebble, os.path.join(tmp, "st-busy"), h, s,
                          ["alt_http_port %d" % pebble.http_port, "disable_tlsalpn_challenge"])
    try:
        proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
        try:
            deadline = time.time() + 30
            while time.time() < deadline and "will retry" not in drain.text():
                time.sleep(0.2)
            rc, out, _ = tls_pki.curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: a.test",
                                       "http://127.0.0.1:%d/" % h])
            check(out == "308", "the server keeps running (redirect on http_port: %r)" % out)
        finally:
            rc, report, lines = acme_pebble.stop_server(proc, drain, 20)
    finally:
        holder.close()
    check(rc == 0 and report == "", "clean exit, no sanitizer report")
    errors = [json.dumps(e) for e in msgs(lines, "could not get certificate from issuer")]
    want = "another program holds port %d" % pebble.http_port
    check(errors and want in errors[0] and "alt_http_port" in errors[0],
          "the failure says the port is held and what to change: %s" % errors[:1])
    check(any(msgs(lines, "will retry")), "a retry is scheduled")


def tls_listener_refused(binary, tmp, pebble):
    h, s = harness.free_port(), harness.free_port()
    cfg = write_caddyfile(tmp, "Caddyfile.clash", pebble, os.path.join(tmp, "st-clash"), h, s,
                          ["alt_http_port %d" % s])
    p = subprocess.run([binary, "run", "--config", cfg, "--adapter", "caddyfile"], capture_output=True,
                       text=True, timeout=30)
    check(p.returncode != 0, "alt_http_port on the HTTPS listener: refused at start-up (rc=%s)" % p.returncode)
    check("challenges.http.alternate_port" in p.stderr and "is a TLS listener of this config" in p.stderr,
          "the error names the JSON path and the clash: %s" % p.stderr[-400:])


def main():
    binary = sys.argv[1]
    acme_pebble.require_pebble()
    with tempfile.TemporaryDirectory() as tmp:
        pebble = acme_pebble.Pebble(tmp)
        try:
            roots = roots_file(tmp, pebble)
            http01_alt_port(binary, tmp, pebble, roots)
            tlsalpn01_alt_port(binary, tmp, pebble, roots)
            http_port_without_server(binary, tmp, pebble, roots)
            served_by_own_site(binary, tmp, pebble, roots)
            port_in_use(binary, tmp, pebble)
            tls_listener_refused(binary, tmp, pebble)
        finally:
            pebble.stop()
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
