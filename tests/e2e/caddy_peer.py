"""A real Caddy (Debian's caddy 2.6.2) started by a test as a peer: an HTTP/2 upstream
(h2c, or h2 over TLS with `tls internal`), with its own data directory, its log on a file,
stopped by pid."""
import os
import shutil
import socket
import subprocess
import tempfile
import time


class CaddyPeer:
    """`config` is a Caddyfile, or with adapter="json" a JSON config's text."""

    def __init__(self, config, ports, name="caddy", adapter="caddyfile"):
        self.dir = tempfile.mkdtemp(prefix="gh-%s-" % name)
        path = os.path.join(self.dir, "caddy.json" if adapter == "json" else "Caddyfile")
        with open(path, "w") as f:
            f.write(config)
        env = dict(os.environ, XDG_DATA_HOME=self.dir, XDG_CONFIG_HOME=self.dir, HOME=self.dir)
        self.log_path = os.path.join(self.dir, "caddy.log")
        self.log = open(self.log_path, "w")
        adapt = [] if adapter == "json" else ["--adapter", adapter]  # caddy reads JSON with no adapter
        self.proc = subprocess.Popen(["caddy", "run", *adapt, "--config", path],
                                     stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
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


def connections_to(port):
    """The local ends of the TCP connections established to port right now (from `ss`)."""
    out = subprocess.run(["ss", "-Htn", "state", "established", "( dport = :%d )" % port],
                         capture_output=True, text=True, timeout=10).stdout
    return sorted(line.split()[2] for line in out.splitlines() if line.strip())


def established_to(port):
    """How many TCP connections are established to port right now."""
    return len(connections_to(port))
