#!/usr/bin/env python3
"""`gatehouse trust` / `untrust` against an isolated trust store (GATEHOUSE_TRUST_STORE=DIR):
the real update-ca-certificates runs on DIR's own directories, so DIR/etc/ca-certificates.crt
is the bundle it builds, and the machine's /usr/local/share/ca-certificates is checked
unchanged at the end. Covered: trust --config (root from the config's storage, the CA created),
untrust --cert of that root; trust --address (caddy's way: the root from a running server's
admin API, GET /pki/ca/local, the same root the server's own storage holds), untrust --address;
untrust with nothing installed; each change verified with openssl against the bundle.
Usage: cli_trust_test.py <path-to-gatehouse>
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
from harness import check, finish, free_port, wait_port  # noqa: E402

SYSTEM_STORE = "/usr/local/share/ca-certificates"


def listing():
    return sorted(os.listdir(SYSTEM_STORE)) if os.path.isdir(SYSTEM_STORE) else []


def run(binary, args, env):
    r = subprocess.run([binary, *args], capture_output=True, text=True, env=env, timeout=180,
                       stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout, r.stderr


def in_bundle(store, root_pem_file):
    """True when openssl verifies the root against the bundle update-ca-certificates built."""
    bundle = os.path.join(store, "etc", "ca-certificates.crt")
    if not os.path.exists(bundle):
        return False
    r = subprocess.run(["openssl", "verify", "-no-CApath", "-CAfile", bundle, root_pem_file],
                       capture_output=True, text=True, timeout=30)
    return r.returncode == 0


def main():
    binary = os.path.abspath(sys.argv[1])
    before = listing()
    work = tempfile.mkdtemp(prefix="gh-cli-trust-")
    store = os.path.join(work, "truststore")
    storage = os.path.join(work, "storage")
    env = dict(os.environ, HOME=work, XDG_DATA_HOME=work + "/data", XDG_CONFIG_HOME=work + "/config",
               GATEHOUSE_TRUST_STORE=store)
    proc = None
    try:
        cfg = os.path.join(work, "Caddyfile")
        with open(cfg, "w") as f:
            f.write("{\n\tstorage file_system %s\n\tskip_install_trust\n}\n:%d {\n\trespond hi\n}\n"
                    % (storage, free_port()))
        rc, out, err = run(binary, ["trust", "--config", cfg], env)
        root = os.path.join(storage, "pki", "authorities", "local", "root.crt")
        installed = os.path.join(store, "local", "gatehouse-local-local.crt")
        check(rc == 0 and os.path.exists(root) and os.path.exists(installed), "trust --config: %r %r" % (out, err))
        check(in_bundle(store, root), "the config's root is in the rebuilt bundle")
        rc, out, err = run(binary, ["untrust", "--cert", root], env)
        check(rc == 0 and not os.path.exists(installed) and "removed" in out, "untrust --cert: %r %r" % (out, err))
        check(not in_bundle(store, root), "and out of the bundle")
        rc, out, err = run(binary, ["untrust"], env)
        check(rc == 0 and "was not installed" in out, "untrust with nothing installed: %r %r" % (out, err))

        # --address: a running server's CA, through its admin API
        admin = free_port()
        served = os.path.join(work, "served")
        config = {"admin": {"listen": "127.0.0.1:%d" % admin},
                  "storage": {"module": "file_system", "root": served},
                  "apps": {"pki": {"certificate_authorities": {"local": {"install_trust": False}}}}}
        jcfg = os.path.join(work, "served.json")
        with open(jcfg, "w") as f:
            json.dump(config, f)
        proc = subprocess.Popen([binary, "run", "--config", jcfg], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env)
        check(wait_port(admin, proc), "server with an admin endpoint runs")
        rc, out, err = run(binary, ["trust", "--address", "127.0.0.1:%d" % admin], env)
        served_root = os.path.join(served, "pki", "authorities", "local", "root.crt")
        check(rc == 0 and os.path.exists(installed), "trust --address: %r %r" % (out, err))
        check(os.path.exists(served_root) and in_bundle(store, served_root),
              "the server's own root is what was installed")
        rc, out, err = run(binary, ["trust", "--address", "127.0.0.1:%d" % admin, "--ca", "nosuch"], env)
        check(rc == 1 and err.startswith("Error: requesting CA info: gatehouse responded with error: HTTP 404"),
              "trust --address of an unknown CA: %r" % err)
        rc, out, err = run(binary, ["untrust", "--address", "127.0.0.1:%d" % admin], env)
        check(rc == 0 and not os.path.exists(installed) and not in_bundle(store, served_root),
              "untrust --address: %r %r" % (out, err))
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        shutil.rmtree(work, ignore_errors=True)
    check(listing() == before, "the machine's %s is unchanged" % SYSTEM_STORE)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
