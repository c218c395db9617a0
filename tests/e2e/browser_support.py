"""Shared by the browser e2e scripts: Caddyfiles with `tls internal` on test ports, and the
Chromium flags that trust the local CA's intermediate by its public key pin.

Trust: Chromium's --ignore-certificate-errors-spki-list accepts a chain when one of its
certificates has a listed SubjectPublicKeyInfo SHA-256 (base64). We pin the intermediate of the
server's local CA (pki/authorities/local/intermediate.crt, served right behind the leaf), so
only chains issued by that CA are accepted: acceptInsecureCerts stays off.
Names: --host-resolver-rules maps the test names to 127.0.0.1, and name:443 / name:80 to
the test's https_port / http_port, so redirects to the default ports land on our listeners.
"""
import base64
import hashlib
import json
import os
import subprocess


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def global_options(store, http_port, https_port, extra=""):
    return ("{\n\tadmin off\n\tskip_install_trust\n\tstorage file_system %s\n\thttp_port %d\n\thttps_port %d\n%s}\n\n"
            % (store, http_port, https_port, extra))


def intermediate_of(store):
    return os.path.join(store, "pki", "authorities", "local", "intermediate.crt")


def spki_pin(cert_path):
    """base64(SHA-256(DER SubjectPublicKeyInfo)) of a PEM certificate."""
    pub = subprocess.run(["openssl", "x509", "-in", cert_path, "-noout", "-pubkey"], capture_output=True,
                         check=True, timeout=10).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub, capture_output=True,
                         check=True, timeout=10).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def chromium_args(names, http_port, https_port, pins=()):
    rules = []
    for name in names:
        rules += ["MAP %s:443 127.0.0.1:%d" % (name, https_port), "MAP %s:80 127.0.0.1:%d" % (name, http_port),
                  "MAP %s 127.0.0.1" % name]
    args = ["--host-resolver-rules=" + ", ".join(rules),
            # Keep navigations as typed: no automatic http:// -> https:// upgrade attempts, so a
            # page reached over HTTPS got there through the server's redirect.
            "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable"]
    if pins:
        args.append("--ignore-certificate-errors-spki-list=" + ",".join(pins))
    return args


def access_log(path):
    """The JSON entries of an access log file (missing file: none)."""
    if not os.path.exists(path):
        return []
    out = []
    with open(path) as f:
        for line in f:
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out
