"""Shared by the acme_*_test.py scripts: runs Debian's pebble (Let's Encrypt's test CA) and
pebble-challtestsrv (its fake DNS) on loopback ports chosen here, and runs `gatehouse certs`.

Everything is bounded: each wait has a deadline, every process is stopped in stop().
Exits 77 (skip) when pebble is not installed.
"""
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import tempfile
import urllib.request

import harness
import tls_pki
import ports  # noqa: E402


free_port = ports.free_port


def require_pebble():
    for tool in ("pebble", "pebble-challtestsrv", "openssl"):
        if shutil.which(tool) is None:
            print(f"SKIP: {tool} not installed (scripts/install-deps.sh installs it)")
            sys.exit(77)


def run_with_pebble(scenario, **pebble_options):
    """The main() of a test that runs scenario(binary, tmp, pebble) against one fresh pebble.

    Skips (77) without pebble, always stops it, and returns harness.finish()'s exit code.
    """
    binary = sys.argv[1]
    require_pebble()
    with tempfile.TemporaryDirectory() as tmp:
        pebble = Pebble(tmp, **pebble_options)
        try:
            scenario(binary, tmp, pebble)
        finally:
            pebble.stop()
    return harness.finish()


class Pebble:
    def __init__(self, tmp, validity=None, nonce_reject=None, eab_keys=None, env=None, dnsserver=None,
                 nosleep=True, start_timeout=30):
        """dnsserver: "host:port" pebble's VA asks instead of challtestsrv (e.g. a BIND).
        nosleep=False leaves pebble's VA in its default mode: a random pause of up to
        PEBBLE_VA_SLEEPTIME seconds (default 5) before each validation. start_timeout: how long
        pebble may take to answer (longer chains and alternate roots take a while to generate
        on a loaded machine)."""
        self.tmp = tmp
        self.port = free_port()
        self.mgmt = free_port()
        self.http_port = free_port()   # where pebble's VA sends HTTP-01 requests: our listener
        self.tls_port = free_port()    # where it sends TLS-ALPN-01 handshakes (caddy's https_port)
        self.dns_port = free_port()
        self.chall_mgmt = free_port()
        self.cert = os.path.join(tmp, "pebble-cert.pem")
        key = self.key = os.path.join(tmp, "pebble-key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", key, "-out", self.cert, "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       check=True, capture_output=True, timeout=30)
        cfg = {"pebble": {
            "listenAddress": f"127.0.0.1:{self.port}",
            "managementListenAddress": f"127.0.0.1:{self.mgmt}",
            "certificate": self.cert, "privateKey": key,
            "httpPort": self.http_port, "tlsPort": self.tls_port,
            "ocspResponderURL": "", "externalAccountBindingRequired": bool(eab_keys),
        }}
        if eab_keys:
            cfg["pebble"]["externalAccountMACKeys"] = eab_keys
        if validity:
            cfg["pebble"]["certificateValidityPeriod"] = validity
        self.config = os.path.join(tmp, "pebble.json")
        with open(self.config, "w") as f:
            json.dump(cfg, f)
        extra_env = env or {}
        env = dict(os.environ, **extra_env)
        if nosleep:
            env["PEBBLE_VA_NOSLEEP"] = "1"
        else:
            env.pop("PEBBLE_VA_NOSLEEP", None)
        env.pop("PEBBLE_WFE_NONCEREJECT", None)
        if nonce_reject is not None:
            env["PEBBLE_WFE_NONCEREJECT"] = str(nonce_reject)
        self.env = env
        self.dnsserver = dnsserver
        self.log = open(os.path.join(tmp, "pebble.log"), "w")
        self.dns = subprocess.Popen(
            ["pebble-challtestsrv", "-http01", "", "-https01", "", "-tlsalpn01", "",
             "-dns01", f"127.0.0.1:{self.dns_port}", "-management", f"127.0.0.1:{self.chall_mgmt}",
             "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.ctx = ssl.create_default_context(cafile=self.cert)
        self._start_ca(nonce_reject, start_timeout)

    def _start_ca(self, nonce_reject, start_timeout):
        self.log.write("--- pebble starting ---\n")
        self.log.flush()
        seen = os.path.getsize(self.log.name)
        self.proc = subprocess.Popen(
            ["pebble", "-config", self.config, "-dnsserver", self.dnsserver or f"127.0.0.1:{self.dns_port}"],
            stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        self._wait_ready(start_timeout)
        # Every test runs with pebble's nonce rejection on (5% by default, 50% where asked):
        # its log says what it took.
        self.nonce_reject = 5 if nonce_reject is None else nonce_reject
        said = f"Configured to reject {self.nonce_reject}% of good nonces"
        with open(self.log.name) as f:
            f.seek(seen)
            if said not in f.read():
                self.stop()
                raise RuntimeError(f"pebble's log lacks '{said}'")

    def restart_ca(self, nonce_reject=None, start_timeout=120):
        """A fresh pebble (new roots, no accounts or orders) on the same ports and directory
        URL, e.g. with a different nonce rejection rate; challtestsrv keeps running."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.env.pop("PEBBLE_WFE_NONCEREJECT", None)
        if nonce_reject is not None:
            self.env["PEBBLE_WFE_NONCEREJECT"] = str(nonce_reject)
        self._start_ca(nonce_reject, start_timeout)

    @property
    def directory(self):
        return f"https://127.0.0.1:{self.port}/dir"

    def _wait_ready(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.directory, context=self.ctx, timeout=2).read()
                return
            except Exception:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("pebble did not start: " + open(self.log.name).read()[-2000:])

    def management(self, path):
        """GET from the management interface (roots, intermediates); same TLS certificate."""
        return urllib.request.urlopen(f"https://127.0.0.1:{self.mgmt}{path}", context=self.ctx,
                                      timeout=5).read().decode()

    def stop(self):
        for p in (self.proc, self.dns):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=10)
        self.log.close()


def write_certs_config(path, pebble, storage, blocks, extra=""):
    with open(path, "w") as f:
        f.write("{\n")
        f.write("\temail admin@a.test\n")
        f.write(f"\tacme_ca {pebble.directory}\n")
        f.write(f"\tacme_ca_root {pebble.cert}\n")
        f.write(f"\thttp_port {pebble.http_port}\n")
        f.write("\tdefault_bind 127.0.0.1\n")
        f.write(f"\tstorage file_system {storage}\n")
        f.write(extra)
        f.write("}\n\n")
        f.write(blocks)


def run_certs(binary, config, timeout=120, extra_args=()):
    """Runs `gatehouse certs` once; returns (exit code, log lines as dicts, raw stderr, seconds)."""
    start = time.time()
    p = subprocess.run([binary, "certs", "--config", config, *extra_args], capture_output=True,
                       text=True, timeout=timeout)
    elapsed = time.time() - start
    return p.returncode, parse_log(p.stderr), p.stderr, elapsed


def parse_log(text):
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            lines.append({"raw": line})
    return lines


def curl_https(name, port, roots, path="/"):
    """curl to https://name:port/path on 127.0.0.1, verifying against `roots`."""
    return tls_pki.curl(["--cacert", roots, "--resolve", "%s:%d:127.0.0.1" % (name, port),
                         "https://%s:%d%s" % (name, port, path)])


def handshake_verifies(name, port, roots):
    """Whether a TLS handshake for `name` on 127.0.0.1:port verifies against `roots` (no
    request: cheaper than curl when many names are polled)."""
    ctx = ssl.create_default_context(cafile=roots)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            with ctx.wrap_socket(sock, server_hostname=name):
                return True
    except (OSError, ssl.SSLError):
        return False


def wait_serving(name, port, roots, timeout):
    """Seconds until curl gets a verified response for `name`, or None."""
    start = time.time()
    while time.time() - start < timeout:
        rc, _, _ = curl_https(name, port, roots)
        if rc == 0:
            return time.time() - start
        time.sleep(0.1)
    return None


def stop_server(proc, drain, wait=20):
    """Stops a `gatehouse run` with SIGTERM (killing it after `wait` seconds). Returns its exit
    code (None when it had to be killed), the sanitizer report ("" when clean) and its log."""
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(wait)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        rc = None
    report = drain.finish()
    return rc, report, parse_log(drain.text())


def messages(lines):
    return [line.get("msg") for line in lines]
