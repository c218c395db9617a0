"""`gatehouse list-modules` is what this build provisions, checked module by module against
`validate` (module_snippets.py has a minimal config for each):
- every module `gatehouse list-modules` names has a config that `gatehouse validate` passes,
  and every module of caddy 2.6.2's `list-modules` that it leaves out is refused by it
  (project rule: what is not implemented is refused, never ignored);
- each config of a 2.6.2 module passes `caddy validate` too (the config is right);
- the modules no config names alone (the admin API's) answer on a running gatehouse;
- caddy's layout: "Standard modules: N", "Non-standard modules: N", "Unknown modules: 0".
Own HOME/XDG directories; internal CAs never installed (install_trust false, trust store
checked unchanged)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.dont_write_bytecode = True
import module_snippets  # noqa: E402
from harness import check, finish  # noqa: E402
from ports import free_port  # noqa: E402
from quick_command import trusted  # noqa: E402


def listed(binary, env):
    """(standard, non-standard) module ids printed by `<binary> list-modules`."""
    out = subprocess.run([binary, "list-modules"], capture_output=True, text=True, env=env, timeout=60).stdout
    standard, other, current = set(), set(), set()
    for line in out.splitlines():
        if line.startswith("  Standard modules:"):
            check(int(line.split(":")[1]) == len(current), "%s: the standard count matches" % binary)
            standard, current = current, set()
        elif line.startswith("  Non-standard modules:"):
            check(int(line.split(":")[1]) == len(current), "%s: the non-standard count matches" % binary)
            other, current = current, set()
        elif line.strip() and not line.startswith("  "):
            current.add(line.strip())
    return standard, other


def validates(binary, config_path, env):
    args = [binary, "validate", "--config", config_path]
    if "caddy" not in os.path.basename(binary):
        args += ["--adapter", "json"]
    r = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
    return r.returncode == 0, (r.stderr.strip().splitlines() or [""])[-1][-200:]


def write_pairs(files):
    os.makedirs(files + "/pair")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", files + "/k.pem", "-out", files + "/c.pem", "-days", "30", "-subj", "/CN=a.test",
                    "-addext", "subjectAltName=DNS:a.test"], check=True, capture_output=True, timeout=60)
    with open(files + "/pair/both.pem", "w") as out:
        for name in ("c.pem", "k.pem"):
            with open(files + "/" + name) as f:
                out.write(f.read())


def admin_endpoints(binary, home, env):
    """The admin.api.* modules: each endpoint answers 200 on a running gatehouse."""
    admin, port = free_port(), free_port()
    cfg = {"admin": {"listen": "127.0.0.1:%d" % admin},
           "apps": {"http": {"servers": {"s": {"listen": ["127.0.0.1:%d" % port], "routes": []}}},
                    "pki": module_snippets.NO_TRUST}}
    path = os.path.join(home, "admin.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    proc = subprocess.Popen([binary, "run", "--config", path, "--adapter", "json", "--workers", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    got = {}
    try:
        base = "http://127.0.0.1:%d" % admin
        deadline = time.time() + 15
        for module, method, url, body in [("admin.api.metrics", "GET", "/metrics", None),
                                          ("admin.api.reverse_proxy", "GET", "/reverse_proxy/upstreams", None),
                                          ("admin.api.pki", "GET", "/pki/ca/local", None),
                                          ("admin.api.load", "POST", "/load", json.dumps(cfg).encode())]:
            while True:
                try:
                    req = urllib.request.Request(base + url, data=body, method=method,
                                                 headers={"Content-Type": "application/json"})
                    with urllib.request.urlopen(req, timeout=10) as r:
                        got[module] = r.status
                    break
                except urllib.error.HTTPError as e:
                    got[module] = e.code
                    break
                except OSError:
                    if time.time() > deadline:
                        got[module] = None
                        break
                    time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(15)
    return got


def main():
    binary = os.path.abspath(sys.argv[1])
    if not shutil.which("openssl"):
        print("SKIP: the openssl command makes the certificate pairs the load_* configs need")
        return 77
    caddy = shutil.which("caddy")
    before = trusted()
    home = tempfile.mkdtemp(prefix="gh-listmod-")
    env = dict(os.environ, HOME=home, XDG_DATA_HOME=os.path.join(home, "data"),
               XDG_CONFIG_HOME=os.path.join(home, "cfg"))
    try:
        files = os.path.join(home, "files")
        write_pairs(files)
        with open(files + "/c.pem") as c, open(files + "/k.pem") as k:
            cert, key = c.read(), k.read()
        snippets = module_snippets.snippets(files)
        standard, other = listed(binary, env)
        ours = standard | other
        theirs = listed(caddy, env)[0] if caddy else set()
        check(not (ours - set(snippets)), "every listed module has a config to check: %s" % sorted(ours - set(snippets)))
        check(not (theirs - set(snippets)), "every module of caddy 2.6.2 has a config: %s" % sorted(theirs - set(snippets)))
        config_path = os.path.join(home, "cfg.json")
        for module, cfg in sorted(snippets.items()):
            if cfg is None:
                continue
            with open(config_path, "w") as f:
                f.write(json.dumps(cfg).replace('"@CERT"', json.dumps(cert)).replace('"@KEY"', json.dumps(key)))
            ok, why = validates(binary, config_path, env)
            if module in ours:
                check(ok, "%s listed and provisioned (%s)" % (module, why))
            else:
                check(not ok and ("not supported" in why or "unknown module" in why),
                      "%s not listed and refused: %s" % (module, why))
            if module in theirs:
                ok, why = validates(caddy, config_path, env)
                check(ok, "%s: caddy 2.6.2 takes the config (%s)" % (module, why))
        got = admin_endpoints(binary, home, env)
        for module in [m for m, cfg in snippets.items() if cfg is None and m.startswith("admin.api.")]:
            check(got.get(module) == 200 and module in ours, "%s: listed, and its endpoint answers 200 (%s)"
                  % (module, got.get(module)))
        for module in ("caddy.adapters.caddyfile", "caddy.config_loaders.http", "http", "tls", "pki"):
            check(module in ours, "%s listed (every config above used it)" % module)
        check(sorted(other) == sorted(m for m in ours if m.startswith("dns.providers.")),
              "the non-standard modules are the caddy-dns providers: %s" % sorted(other))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    check(trusted() == before, "nothing was added to the trust store: %s" % trusted())
    return finish()


if __name__ == "__main__":
    sys.exit(main())
