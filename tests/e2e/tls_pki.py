"""Shared by the TLS e2e scripts: a throwaway CA and leaf certificates made with the
openssl CLI, and a helper that starts gatehouse and reads its bound addresses.

Keys are P-256 (fast to make); everything lives in the caller's temporary directory.
"""
import os
import subprocess

# start() and free_port() live in harness.py; re-exported for the scripts that use them here.
from harness import free_port, start  # noqa: F401


def _run(args, cwd):
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=30)


def make_ca(tmp, name="ca"):
    key, crt = os.path.join(tmp, name + ".key"), os.path.join(tmp, name + ".crt")
    _run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
          "-keyout", key, "-out", crt, "-subj", "/CN=Gatehouse Test " + name, "-days", "2",
          "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"], tmp)
    return crt, key


def make_leaf(tmp, name, sans, ca, client=False):
    """sans: ["DNS:a.test", "IP:127.0.0.1"]. Returns (cert, key) paths."""
    key, csr, crt = (os.path.join(tmp, name + ext) for ext in (".key", ".csr", ".crt"))
    ext = os.path.join(tmp, name + ".ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\n")
        f.write("extendedKeyUsage=%s\n" % ("clientAuth" if client else "serverAuth"))
        if sans:
            f.write("subjectAltName=" + ",".join(sans) + "\n")
    _run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
          "-keyout", key, "-out", csr, "-subj", "/O=Gatehouse/CN=" + name], tmp)
    _run(["openssl", "x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial",
          "-out", crt, "-days", "2", "-extfile", ext], tmp)
    return crt, key


def port_of(address):
    return int(address.rsplit(":", 1)[1])


def curl(args, timeout=10):
    """Runs curl; returns (exit code, stdout text, stderr text)."""
    p = subprocess.run(["curl", "-sS", "--max-time", str(timeout), "--noproxy", "*"] + args,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout + 5)
    return p.returncode, p.stdout, p.stderr


def s_client(port, extra, stdin=b"", timeout=10):
    """openssl s_client against 127.0.0.1:port; returns its combined output."""
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port] + extra,
                       input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    return p.stdout.decode("utf-8", "replace")
