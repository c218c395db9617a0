#!/usr/bin/env python3
"""End-to-end: `tls { insecure_secrets_log FILE }` (connection policy insecure_secrets_log).

curl runs with SSLKEYLOGFILE against a site whose policy names a key log file and against
one whose policy does not; both over TLS 1.2 and 1.3. The server's file must hold, for the
first site's client randoms, exactly the lines curl wrote with the labels Go's crypto/tls
writes (CLIENT_RANDOM; the four TLS 1.3 handshake/traffic secrets; no EXPORTER_SECRET),
and nothing for the second site; a resumed TLS 1.2 session is logged too (caddy 2.6.2, built with Go 1.19,
skips it). The file exists (mode 0600) from start-up and the start
logs Caddy's warning. The same config under caddy 2.6.2 gives the same labels, mode and
warning. Loopback only; every wait is bounded. Usage: tls_secrets_log_test.py <gatehouse>
"""
import os
import stat
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
import caddy_peer  # noqa: E402
import harness  # noqa: E402
import tls_pki  # noqa: E402

check = harness.check
GO_LABELS = {"CLIENT_RANDOM", "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
             "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"}


def caddyfile(port, crt, key, log_file):
    return ("{\n\tadmin off\n\tskip_install_trust\n\thttps_port %d\n\thttp_port %d\n\tdefault_bind 127.0.0.1\n}\n"
            "a.test {\n\ttls %s %s {\n\t\tinsecure_secrets_log %s\n\t}\n\trespond \"a\"\n}\n"
            "b.test {\n\ttls %s %s\n\trespond \"b\"\n}\n"
            % (port, tls_pki.free_port(), crt, key, log_file, crt, key))


def lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [tuple(line.split()) for line in f if line.strip()]


def fetch(name, port, ca, version, client_log):
    """One request; returns the client random(s) curl logged for it."""
    before = {l[1] for l in lines(client_log)}
    args = ["--resolve", "%s:%d:127.0.0.1" % (name, port), "--cacert", ca, "https://%s:%d/" % (name, port)]
    args = (["--tls-max", "1.2"] if version == "1.2" else ["--tlsv1.3"]) + args
    env = dict(os.environ, SSLKEYLOGFILE=client_log)
    p = subprocess.run(["curl", "-sS", "--max-time", "10", "--noproxy", "*"] + args, env=env,
                       capture_output=True, text=True, timeout=15)
    check(p.returncode == 0 and p.stdout == name[0], "%s over TLS %s answers (%r %s)" % (name, version, p.stdout,
                                                                                   p.stderr.strip()))
    return {l[1] for l in lines(client_log)} - before


def exercise(port, ca, server_log, tmp, who):
    """Requests to both sites; checks the server's key log against curl's. Returns the
    labels per TLS version the server logged for the a.test site."""
    client_log = os.path.join(tmp, who + "-client.log")
    randoms = {}
    for name in ("a.test", "b.test"):
        for version in ("1.2", "1.3"):
            randoms[(name, version)] = fetch(name, port, ca, version, client_log)
    server = lines(server_log)
    client = lines(client_log)
    labels = {}
    for version in ("1.2", "1.3"):
        mine = randoms[("a.test", version)]
        want = sorted(l for l in client if l[1] in mine and l[0] in GO_LABELS)
        got = sorted(l for l in server if l[1] in mine)
        check(mine and got == want, "%s: TLS %s: the server logged curl's lines for a.test (%d lines)"
              % (who, version, len(got)))
        labels[version] = sorted({l[0] for l in got})
        other = randoms[("b.test", version)]
        check(other and not [l for l in server if l[1] in other],
              "%s: TLS %s: nothing logged for b.test, whose policy has no insecure_secrets_log" % (who, version))
    check(labels["1.2"] == ["CLIENT_RANDOM"], "%s: TLS 1.2 logs CLIENT_RANDOM (%s)" % (who, labels["1.2"]))
    check(labels["1.3"] == sorted(GO_LABELS - {"CLIENT_RANDOM"}),
          "%s: TLS 1.3 logs the four handshake/traffic secrets, no EXPORTER_SECRET (%s)" % (who, labels["1.3"]))
    check(all(len(l) == 3 for l in server), "%s: every line is LABEL RANDOM SECRET" % who)
    # A resumed TLS 1.2 session (ticket) is logged too, as Go does.
    sess, resumed_log = os.path.join(tmp, who + ".sess"), os.path.join(tmp, who + "-resumed.log")
    common = ["-servername", "a.test", "-tls1_2", "-CAfile", ca]
    tls_pki.s_client(port, common + ["-sess_out", sess], stdin=b"Q\n")
    out = tls_pki.s_client(port, common + ["-sess_in", sess, "-keylogfile", resumed_log], stdin=b"Q\n")
    resumed = [l for l in lines(resumed_log) if l and l[0] == "CLIENT_RANDOM"]
    if who == "caddy":
        # Go 1.19's server skips the key log line of a resumed TLS 1.2 handshake; Gatehouse
        # writes it (Wireshark needs it to decrypt that connection): a deliberate difference.
        check("Reused, TLSv1.2" in out and resumed and resumed[0] not in lines(server_log),
              "caddy 2.6.2 does not log a resumed TLS 1.2 handshake (the difference is known)")
    else:
        check("Reused, TLSv1.2" in out and resumed and resumed[0] in lines(server_log),
              "%s: a resumed TLS 1.2 handshake is logged too" % who)
    return labels


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="gh-keylog-") as tmp:
        ca = tls_pki.make_ca(tmp)
        crt, key = tls_pki.make_leaf(tmp, "site", ["DNS:a.test", "DNS:b.test"], ca)
        # Gatehouse, with a relative file name (made absolute against the working directory).
        os.chdir(tmp)
        port = tls_pki.free_port()
        cfg = os.path.join(tmp, "Caddyfile")
        with open(cfg, "w") as f:
            f.write(caddyfile(port, crt, key, "keys/{env.GH_KEYLOG_NAME}.log"))
        os.mkdir(os.path.join(tmp, "keys"))
        server_log = os.path.join(tmp, "keys", "gatehouse.log")
        env = dict(os.environ, GH_KEYLOG_NAME="gatehouse")
        proc, _, drain, seen = harness.start(binary, cfg, adapter="caddyfile", env=env)
        try:
            check(os.path.exists(server_log), "the key log exists once serving")
            mode = stat.S_IMODE(os.stat(server_log).st_mode) if os.path.exists(server_log) else None
            check(mode == 0o600, "the key log's mode is 0600 (%s)" % (oct(mode) if mode is not None else None))
            warn = [l for l in seen if "TLS SECURITY COMPROMISED: secrets logging is enabled!" in l]
            check(len(warn) == 1 and '"logger":"tls"' in warn[0] and '"level":"warn"' in warn[0]
                  and '"log_filename":"%s"' % server_log in warn[0], "the start-up warning names the file: %s" % warn)
            mine = exercise(port, ca[0], server_log, tmp, "gatehouse")
        finally:
            harness.stop(proc, drain)
        # A placeholder that is not set fails the start as in Caddy.
        with open(cfg, "w") as f:
            f.write(caddyfile(port, crt, key, "keys/{env.GH_KEYLOG_UNSET_X}.log"))
        p = subprocess.run([binary, "run", "--config", cfg, "--adapter", "caddyfile"], capture_output=True,
                           text=True, timeout=20)
        check(p.returncode != 0 and "evaluated placeholder {env.GH_KEYLOG_UNSET_X} is empty" in p.stderr,
              "an empty placeholder in the file name refuses the config: %s" % p.stderr.strip()[-200:])
        # caddy 2.6.2, same site blocks.
        cport = tls_pki.free_port()
        caddy_log = os.path.join(tmp, "keys", "caddy.log")
        peer = caddy_peer.CaddyPeer(caddyfile(cport, crt, key, caddy_log), [cport])
        try:
            cmode = stat.S_IMODE(os.stat(caddy_log).st_mode)
            check(cmode == 0o600, "caddy 2.6.2 creates its key log 0600 too (%s)" % oct(cmode))
            check("TLS SECURITY COMPROMISED: secrets logging is enabled!" in peer.read_log(),
                  "caddy 2.6.2 logs the same warning")
            theirs = exercise(cport, ca[0], caddy_log, tmp, "caddy")
            check(theirs == mine, "the same labels per TLS version as caddy 2.6.2 (%s)" % theirs)
        finally:
            peer.stop()
    return harness.finish()


if __name__ == "__main__":
    sys.exit(main())
