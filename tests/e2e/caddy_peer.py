"""A real Caddy (Debian's caddy 2.6.2) started by a test as a peer: an HTTP/2 upstream
(h2c, or h2 over TLS with `tls internal`), with its own data directory, its log on a file,
stopped by pid. serving(): the same Caddyfile under gatehouse or caddy, for the tests that
compare the two answer by answer."""
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time

import harness


class CaddyPeer:
    """`config` is a Caddyfile, or with adapter="json" a JSON config's text. The constructor
    returns once every port in `ports` accepts (with no ports, at once: for a test whose
    first request must go out as soon as caddy's port accepts)."""

    def __init__(self, config, ports, name="caddy", adapter="caddyfile"):
        self.dir = tempfile.mkdtemp(prefix="gh-%s-" % name)
        self.config_path = os.path.join(self.dir, "caddy.json" if adapter == "json" else "Caddyfile")
        self._write_config(config)
        self.env = dict(os.environ, XDG_DATA_HOME=self.dir, XDG_CONFIG_HOME=self.dir, HOME=self.dir)
        self.log_path = os.path.join(self.dir, "caddy.log")
        self.log = open(self.log_path, "w")
        self.adapt = [] if adapter == "json" else ["--adapter", adapter]  # caddy reads JSON with no adapter
        self.proc = subprocess.Popen(["caddy", "run", *self.adapt, "--config", self.config_path], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env)
        deadline = time.time() + 20
        waiting = list(ports)
        while waiting and time.time() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", waiting[0]), timeout=1).close()
                waiting.pop(0)
            except OSError:
                time.sleep(0.1)
        if waiting:
            log = self.read_log()  # before stop(), which removes the directory
            self.stop()
            raise RuntimeError("caddy did not start:\n" + log)

    def _write_config(self, config):
        with open(self.config_path, "w") as f:
            f.write(config)

    def reload(self, config, admin_port):
        """`caddy reload` to `config` (same adapter) through the admin endpoint on
        127.0.0.1:admin_port; its exit code."""
        self._write_config(config)
        return subprocess.run(["caddy", "reload", *self.adapt, "--config", self.config_path, "--address",
                               "127.0.0.1:%d" % admin_port], capture_output=True, env=self.env,
                              timeout=60).returncode

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def kill(self):
        """Dies at once (SIGKILL), as a crashing upstream does."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def h2c_proxy_caddyfile(port, upstream, directives=""):
    """A Caddyfile serving HTTP/1.1 and h2c on 127.0.0.1:port, where `directives` (if any)
    come before a reverse_proxy to `upstream` ("127.0.0.1:PORT", "h2c://127.0.0.1:PORT")."""
    return """{
	admin off
	servers {
		protocols h1 h2c
	}
}
http://127.0.0.1:%d {
%s	reverse_proxy %s
}
""" % (port, "\t%s\n" % directives if directives else "", upstream)


@contextlib.contextmanager
def serving(who, binary, caddyfile, ports, workers=1):
    """For a with-block: `who` ("gatehouse": `binary` with `workers` workers, once it logged
    that it serves; or "caddy", once every port in `ports` accepts) serving the Caddyfile
    text `caddyfile`; stopped after."""
    if who == "caddy":
        peer = CaddyPeer(caddyfile, ports)
        try:
            yield
        finally:
            peer.stop()
        return
    fd, path = tempfile.mkstemp(suffix=".Caddyfile")
    with os.fdopen(fd, "w") as f:
        f.write(caddyfile)
    proc, _, drain, _ = harness.start(binary, path, adapter="caddyfile", workers=workers)
    os.unlink(path)
    try:
        yield
    finally:
        harness.stop(proc, drain)


def connections_to(port):
    """The local ends of the TCP connections established to port right now (from `ss`)."""
    out = subprocess.run(["ss", "-Htn", "state", "established", "( dport = :%d )" % port],
                         capture_output=True, text=True, timeout=10).stdout
    return sorted(line.split()[2] for line in out.splitlines() if line.strip())


def established_to(port):
    """How many TCP connections are established to port right now."""
    return len(connections_to(port))
