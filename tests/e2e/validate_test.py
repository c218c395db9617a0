"""`gatehouse validate` provisions the config as `caddy validate` does: a config that adapts but
cannot be provisioned (missing certificate files, a handler the runtime lacks) is refused with
its JSON path, and a good one is accepted. Caddy 2.6.2 is asked the same where it is installed."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
from harness import check, finish  # noqa: E402

CONFIGS = {
    "good": (":8080 {\n\trespond ok\n}\n", True, None),
    "missing_cert": (":8080 {\n\ttls /nonexistent/c.pem /nonexistent/k.pem\n\trespond ok\n}\n", False,
                     "apps.tls.certificates.load_files[0]: cannot read certificate file '/nonexistent/c.pem'"),
    "unknown_handler": (":8080 {\n\tlog_append k v\n\trespond ok\n}\n", False, "handler 'log_append'"),
}


def run(cmd, cwd):
    env = dict(os.environ, XDG_DATA_HOME=os.path.join(cwd, "data"), XDG_CONFIG_HOME=os.path.join(cwd, "cfg"))
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=30, env=env)


def main():
    binary = os.path.abspath(sys.argv[1])
    caddy = shutil.which("caddy")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (text, valid, message) in CONFIGS.items():
            path = os.path.join(tmp, name + ".Caddyfile")
            with open(path, "w") as f:
                f.write(text)
            ours = run([binary, "validate", "--config", path], tmp)
            check((ours.returncode == 0) == valid, "%s: gatehouse exit %d (valid=%s)" % (name, ours.returncode, valid))
            if valid:
                check("Valid configuration" in ours.stdout, "%s: says valid" % name)
            else:
                check(message in ours.stderr, "%s: error names %r: %s" % (name, message, ours.stderr.strip()))
            if caddy and name != "unknown_handler":  # log_append is Caddy 2.8+: caddy 2.6.2 does not know it
                theirs = run([caddy, "validate", "--adapter", "caddyfile", "--config", path], tmp)
                check((theirs.returncode == 0) == valid, "%s: caddy agrees (exit %d)" % (name, theirs.returncode))
        storage_effects(binary, caddy, tmp)
    return finish()


INTERNAL = "{\n\tskip_install_trust\n\tadmin off\n}\nexample.test {\n\ttls internal\n\trespond ok\n}\n"


def stored_files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def storage_effects(binary, caddy, tmp):
    """validate makes the local CA (the pki app provisions it) but obtains no certificate:
    caddy 2.6.2 never starts the TLS app when it validates."""
    found = {}
    for kind, cmd in (("gatehouse", [binary, "validate"]), ("caddy", [caddy, "validate", "--adapter", "caddyfile"])):
        if kind == "caddy" and not caddy:
            continue
        work = os.path.join(tmp, "store-" + kind)
        os.makedirs(work)
        path = os.path.join(work, "Caddyfile")
        with open(path, "w") as f:
            f.write(INTERNAL)
        result = run(cmd + ["--config", path], work)
        check(result.returncode == 0, "%s: tls internal config valid%s" %
              (kind, "" if result.returncode == 0 else ": " + result.stderr[-300:]))
        found[kind] = stored_files(os.path.join(work, "data"))
        check(not any(p.startswith("caddy/certificates") for p in found[kind]),
              "%s: validate obtains no certificate: %s" % (kind, found[kind]))
        check("caddy/pki/authorities/local/root.crt" in found[kind], "%s: validate makes the local CA" % kind)
    if len(found) == 2:
        check(found["gatehouse"] == found["caddy"], "same files stored: %s" % found)


if __name__ == "__main__":
    sys.exit(main())
