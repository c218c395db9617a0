#!/usr/bin/env python3
"""What caddy 2.6.2 does with the local CA and `acme_ca_root` at start-up, gatehouse beside it.

- `auto_https off` next to a `tls internal` site: no certificate is signed, but the CA is
  made all the same (pki/authorities/local/: root.crt, root.key, intermediate.crt,
  intermediate.key, files 0600 in directories 0700, keys as "EC PRIVATE KEY" PEM).
- a JSON pki app naming a CA no site uses (install_trust false): that CA is made too.
- a global `acme_ca_root` naming a missing file while every site gets its certificate from
  the local CA (`tls internal`, localhost): both start and serve the local CA's leaves.
- the same root next to a site an ACME issuer serves: both refuse to start, naming the file
  as Go does ("open FILE: no such file or directory").
- a hostless site's catch-all policy whose `ca_root` file is missing, no name needing it
  yet: both refuse to start (2.6.2 provisions every policy's issuers at start).
Each server runs with its own storage; nothing is installed into trust stores
(`skip_install_trust`, `install_trust: false`). 127.0.0.1 only.
Usage: pki_start_vs_caddy_test.py <path-to-gatehouse>   (exit 77 when caddy is missing)
"""
import json
import os
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
from harness import check, finish, free_port, wait_port  # noqa: E402

CADDY = "/usr/bin/caddy"

AUTO_HTTPS_OFF = """{
	admin off
	auto_https off
	skip_install_trust
	storage file_system %(store)s
}
https://a.test:%(sp)d {
	bind 127.0.0.1
	tls internal
	respond "a"
}
"""

PKI_ONLY = {
    "admin": {"disabled": True},
    "storage": {"module": "file_system", "root": "%(store)s"},
    "apps": {
        "pki": {"certificate_authorities": {"corp": {"name": "Corp", "install_trust": False}}},
        "http": {"servers": {"srv0": {"listen": ["127.0.0.1:%(sp)d"],
                                      "routes": [{"handle": [{"handler": "static_response", "body": "p"}]}]}}},
    },
}

MISSING_ROOT_INTERNAL = """{
	admin off
	skip_install_trust
	acme_ca_root %(missing)s
	storage file_system %(store)s
	http_port %(hp)d
	https_port %(sp)d
}
localhost {
	bind 127.0.0.1
	respond "l"
}
a.test {
	bind 127.0.0.1
	tls internal
	respond "a"
}
"""

MISSING_ROOT_ACME = """{
	admin off
	skip_install_trust
	acme_ca_root %(missing)s
	acme_ca https://127.0.0.1:9/directory
	storage file_system %(store)s
	http_port %(hp)d
	https_port %(sp)d
}
b.test {
	bind 127.0.0.1
	respond "b"
}
"""

# A catch-all policy (the hostless site's) whose ACME issuer names a missing root file: no
# name needs it at start, yet 2.6.2 provisions every policy's issuers then, and refuses.
MISSING_ROOT_CATCH_ALL = """{
	admin off
	skip_install_trust
	storage file_system %(store)s
	http_port %(hp)d
	https_port %(sp)d
}
localhost {
	bind 127.0.0.1
	respond "l"
}
:%(sp)d {
	bind 127.0.0.1
	tls {
		ca_root %(missing)s
	}
	respond "any"
}
"""


class Server:
    """gatehouse or caddy on one config, with its own storage, home and ports."""

    def __init__(self, argv, tmp, name, template, json_config=False):
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir)
        self.hp, self.sp = free_port(), free_port()
        self.store = os.path.join(self.dir, "store")
        self.missing = os.path.join(tmp, "no-such-root.pem")
        values = {"store": self.store, "hp": self.hp, "sp": self.sp, "missing": self.missing}
        if json_config:
            text = json.dumps(template) % values
            cfg = os.path.join(self.dir, "config.json")
            adapter = []
        else:
            text = template % values
            cfg = os.path.join(self.dir, "Caddyfile")
            adapter = ["--adapter", "caddyfile"]
        with open(cfg, "w") as f:
            f.write(text)
        env = dict(os.environ, HOME=self.dir, XDG_DATA_HOME=os.path.join(self.dir, "data"),
                   XDG_CONFIG_HOME=os.path.join(self.dir, "config"))
        self.log_path = os.path.join(self.dir, "log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(argv + ["run", "--config", cfg] + adapter, stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)

    def up(self):
        return wait_port(self.sp, self.proc, 30)

    def exited(self, limit=20):
        """The exit code once the process ended by itself within `limit` seconds, else None."""
        try:
            return self.proc.wait(limit)
        except subprocess.TimeoutExpired:
            return None

    def output(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


def ca_files(store, ca_id):
    """{file: (mode, first PEM line)} under pki/authorities/<ca_id>/, and the directory modes."""
    base = os.path.join(store, "pki", "authorities", ca_id)
    files = {}
    if os.path.isdir(base):
        for name in sorted(os.listdir(base)):
            path = os.path.join(base, name)
            with open(path) as f:
                first = f.readline().strip()
            files[name] = (oct(stat.S_IMODE(os.stat(path).st_mode)), first)
    dirs = []
    path = base
    while path != store and path.startswith(store):
        dirs.append(oct(stat.S_IMODE(os.stat(path).st_mode)) if os.path.isdir(path) else None)
        path = os.path.dirname(path)
    return files, dirs


def subject_cn(path):
    out = subprocess.run(["openssl", "x509", "-noout", "-subject", "-nameopt", "multiline", "-in", path],
                         capture_output=True, text=True, timeout=10).stdout
    for line in out.splitlines():
        if "commonName" in line:
            return line.split("=", 1)[1].strip()
    return None


def leaf_issuer_cn(port, name):
    """The issuer CN of the leaf served for SNI `name` (no verification)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            with ctx.wrap_socket(s, server_hostname=name) as t:
                der = t.getpeercert(binary_form=True)
    except OSError as e:
        return "error: %s" % e
    pem = ssl.DER_cert_to_PEM_cert(der)
    out = subprocess.run(["openssl", "x509", "-noout", "-issuer", "-nameopt", "multiline"], input=pem,
                         capture_output=True, text=True, timeout=10).stdout
    for line in out.splitlines():
        if "commonName" in line:
            return line.split("=", 1)[1].strip()
    return None


def served_leaf_issuer_cn(port, name, limit=20):
    """leaf_issuer_cn once a handshake succeeds: caddy 2.6.2 accepts on its HTTPS port before
    its background issuance of the internal leaf has finished (a handshake then fails with
    an internal error alert), so a loaded machine can see that first. The last answer at
    `limit`."""
    deadline = time.time() + limit
    while True:
        cn = leaf_issuer_cn(port, name)
        if not (cn or "").startswith("error:") or time.time() >= deadline:
            return cn
        time.sleep(0.2)


def both(binary, tmp, label, template, json_config=False):
    return (Server([binary], tmp, "gh-" + label, template, json_config),
            Server([CADDY], tmp, "caddy-" + label, template, json_config))


def compare_ca(label, gh, caddy, ca_id):
    g_files, g_dirs = ca_files(gh.store, ca_id)
    c_files, c_dirs = ca_files(caddy.store, ca_id)
    check(sorted(c_files) == ["intermediate.crt", "intermediate.key", "root.crt", "root.key"],
          "%s: caddy made the %s CA (%s)" % (label, ca_id, sorted(c_files)))
    check(g_files == c_files and g_dirs == c_dirs,
          "%s: the same %s CA files, modes and PEM kinds as caddy (gatehouse %s %s, caddy %s %s)"
          % (label, ca_id, g_files, g_dirs, c_files, c_dirs))
    for name in ("root.crt", "intermediate.crt"):
        g = subject_cn(os.path.join(gh.store, "pki", "authorities", ca_id, name))
        c = subject_cn(os.path.join(caddy.store, "pki", "authorities", ca_id, name))
        check(g is not None and g == c, "%s: %s subject CN as caddy's (%r, %r)" % (label, name, g, c))


def wait_files(store, ca_id, count=4, limit=10):
    deadline = time.time() + limit
    while time.time() < deadline and len(ca_files(store, ca_id)[0]) < count:
        time.sleep(0.1)


def main():
    binary = sys.argv[1]
    if not os.path.exists(CADDY):
        print("caddy not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="gh-pkistart-")
    servers = []
    try:
        gh, caddy = both(binary, tmp, "off", AUTO_HTTPS_OFF)
        servers += [gh, caddy]
        check(gh.up() and caddy.up(), "auto_https off: both start")
        for s in (gh, caddy):
            wait_files(s.store, "local")
        compare_ca("auto_https off + tls internal", gh, caddy, "local")
        check(not os.path.exists(os.path.join(gh.store, "certificates")),
              "auto_https off: gatehouse signs no leaf (caddy neither: %s)"
              % os.path.exists(os.path.join(caddy.store, "certificates")))

        gh, caddy = both(binary, tmp, "pki", PKI_ONLY, json_config=True)
        servers += [gh, caddy]
        check(gh.up() and caddy.up(), "pki app alone: both start")
        for s in (gh, caddy):
            wait_files(s.store, "corp")
        compare_ca("a pki CA no site uses", gh, caddy, "corp")
        check(ca_files(gh.store, "local")[0] == ca_files(caddy.store, "local")[0] == {},
              "a pki app listing a CA makes no `local` CA, as caddy")

        gh, caddy = both(binary, tmp, "rootint", MISSING_ROOT_INTERNAL)
        servers += [gh, caddy]
        started = gh.up() and caddy.up()
        check(started, "acme_ca_root naming a missing file, every site internal: both start")
        if not started:
            print("  gatehouse: %s\n  caddy: %s" % (gh.output()[-600:], caddy.output()[-600:]))
        for name in ("localhost", "a.test"):
            g, c = served_leaf_issuer_cn(gh.sp, name), served_leaf_issuer_cn(caddy.sp, name)
            check(g == c and g is not None and "Intermediate" in g,
                  "%s: the local CA's leaf on both (gatehouse %r, caddy %r)" % (name, g, c))

        gh, caddy = both(binary, tmp, "rootacme", MISSING_ROOT_ACME)
        servers += [gh, caddy]
        g_rc, c_rc = gh.exited(), caddy.exited()
        check(c_rc not in (None, 0) and g_rc not in (None, 0),
              "acme_ca_root naming a missing file for an ACME site: both refuse to start (%s, %s)" % (g_rc, c_rc))
        want = "loading trusted root CA's PEM file: %s: open %s: no such file or directory" % (
            gh.missing, gh.missing)
        named = want in caddy.output() and want in gh.output()
        check(named, "both name the missing file as Go does")
        if not named:
            print("  gatehouse: %s\n  caddy: %s" % (gh.output().strip()[-300:], caddy.output().strip()[-300:]))

        gh, caddy = both(binary, tmp, "rootcatchall", MISSING_ROOT_CATCH_ALL)
        servers += [gh, caddy]
        g_rc, c_rc = gh.exited(), caddy.exited()
        check(c_rc not in (None, 0) and g_rc not in (None, 0),
              "a catch-all policy's missing ca_root, no name using it: both refuse to start (%s, %s)"
              % (g_rc, c_rc))
        named = want in caddy.output() and want in gh.output() and \
            "policies[0].issuers[0].trusted_roots_pem_files" in gh.output()
        check(named, "both name the missing file (gatehouse with the policy's JSON path)")
        if not named:
            print("  gatehouse: %s\n  caddy: %s" % (gh.output().strip()[-300:], caddy.output().strip()[-300:]))
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
