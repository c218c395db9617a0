#!/usr/bin/env python3
"""End-to-end: pki CAs other than `local`, against Debian's caddy 2.6.2.

A CA `mine` whose root is the user's own PEM files (`root { cert key format pem_file }`)
signs `tls { issuer internal { ca mine } }` sites: Gatehouse and caddy, each run on the
same Caddyfile, serve chains that `curl --cacert` with the user's root verifies; the
generated intermediate is stored under pki/authorities/mine/ and the root is not copied
there. A CA named by no config, and 2.11's maintenance_interval, are refused at start-up
as caddy 2.6.2 refuses them. 127.0.0.1 only. Usage: pki_custom_ca_test.py <path-to-gatehouse>
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import tls_pki  # noqa: E402
from harness import check, finish, stop, wait_port  # noqa: E402


def caddyfile(store, hp, sp, root, extra_ca=""):
    return """{
	storage file_system %s
	admin off
	skip_install_trust
	http_port %d
	https_port %d
	pki {
		ca mine {
			name "Mine"
			intermediate_cn "Mine Intermediate"
			root {
				cert %s
				key %s
				format pem_file
			}
			%s
		}
	}
}

a.test {
	bind 127.0.0.1
	tls {
		issuer internal {
			ca mine
		}
	}
	respond "a"
}
""" % (store, hp, sp, root[0], root[1], extra_ca)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def fetch(sp, root):
    out, err = "", ""
    for _ in range(50):
        rc, out, err = tls_pki.curl(["--cacert", root, "--resolve", "a.test:%d:127.0.0.1" % sp,
                                     "https://a.test:%d/" % sp])
        if rc == 0:
            break
        time.sleep(0.2)
    return out, err


def issuer_of(sp):
    out = tls_pki.s_client(sp, ["-servername", "a.test"])
    return [line for line in out.splitlines() if line.strip().startswith("i:")]


def run_gatehouse(binary, tmp, root):
    store = os.path.join(tmp, "gh-store")
    sp = tls_pki.free_port()
    cfg = write(os.path.join(tmp, "gh.Caddyfile"), caddyfile(store, tls_pki.free_port(), sp, root))
    proc, _, drain, _ = tls_pki.start(binary, cfg, adapter="caddyfile")
    try:
        out, err = fetch(sp, root[0])
        check(out == "a", "gatehouse: a.test verifies with the user's root: %r %s" % (out, err.strip()))
        check(any("Mine Intermediate" in i for i in issuer_of(sp)), "gatehouse: leaf issued by 'Mine Intermediate'")
        ca_dir = os.path.join(store, "pki", "authorities", "mine")
        check(os.path.exists(os.path.join(ca_dir, "intermediate.crt")) and
              os.path.exists(os.path.join(ca_dir, "intermediate.key")), "gatehouse: intermediate stored for 'mine'")
        check(not os.path.exists(os.path.join(ca_dir, "root.crt")), "gatehouse: the user's root is not copied")
        leaf = os.path.join(store, "certificates", "mine", "a.test", "a.test.crt")
        check(os.path.exists(leaf), "gatehouse: leaf stored under certificates/mine (the issuer key is the CA id)")
    finally:
        stop(proc, drain)


def run_caddy(tmp, root):
    store = os.path.join(tmp, "caddy-store")
    sp = tls_pki.free_port()
    cfg = write(os.path.join(tmp, "caddy.Caddyfile"), caddyfile(store, tls_pki.free_port(), sp, root))
    log = open(os.path.join(tmp, "caddy.log"), "w")
    env = dict(os.environ, HOME=tmp, XDG_DATA_HOME=os.path.join(tmp, "xdg"), XDG_CONFIG_HOME=os.path.join(tmp, "xdg"))
    proc = subprocess.Popen(["caddy", "run", "--adapter", "caddyfile", "--config", cfg], stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    try:
        check(wait_port(sp, proc), "caddy started")
        out, err = fetch(sp, root[0])
        check(out == "a", "caddy 2.6.2: a.test verifies with the user's root: %r %s" % (out, err.strip()))
        ca_dir = os.path.join(store, "pki", "authorities", "mine")
        check(os.path.exists(os.path.join(ca_dir, "intermediate.crt")) and
              not os.path.exists(os.path.join(ca_dir, "root.crt")),
              "caddy 2.6.2 keeps the same layout (intermediate stored, root not)")
        leaf = os.path.join(store, "certificates", "mine", "a.test", "a.test.crt")
        check(os.path.exists(leaf), "caddy 2.6.2 stores the leaf under certificates/mine too")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


def refusals(binary, tmp, root):
    store = os.path.join(tmp, "refusal-store")
    cases = [
        ("maintenance_interval 1h", "maintenance_interval"),
    ]
    for extra, word in cases:
        cfg = write(os.path.join(tmp, "r.Caddyfile"), caddyfile(store, 1, 2, root, extra))
        p = subprocess.run([binary, "validate", "--config", cfg], capture_output=True, text=True, timeout=30)
        check(p.returncode != 0 and word in p.stderr and "2.11" in p.stderr,
              "%s refused naming Caddy 2.11: %s" % (word, p.stderr.strip()[-200:]))
    cfg = write(os.path.join(tmp, "n.Caddyfile"),
                caddyfile(store, 1, 2, root).replace("ca mine\n\t\t}", "ca nosuch\n\t\t}"))
    p = subprocess.run([binary, "validate", "--config", cfg], capture_output=True, text=True, timeout=30)
    check(p.returncode != 0 and "no certificate authority configured with id: nosuch" in p.stderr,
          "an unconfigured CA id is refused as caddy refuses it: %s" % p.stderr.strip()[-200:])


def main():
    binary = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="gh-pki-custom-")
    try:
        root = tls_pki.make_ca(tmp, "user-root")
        run_gatehouse(binary, tmp, root)
        if shutil.which("caddy"):
            run_caddy(tmp, root)
        refusals(binary, tmp, root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
