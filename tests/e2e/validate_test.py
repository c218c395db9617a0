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
    return finish()


if __name__ == "__main__":
    sys.exit(main())
