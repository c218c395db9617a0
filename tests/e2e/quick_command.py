"""A quick-start command (`file-server`, `respond`...) of gatehouse or of the real caddy
2.6.2, run with its own HOME/XDG directories (caddy's storage never mixes with anyone's),
stdout and stderr on files, stopped by pid. fetch() answers one plain HTTP request as
(status, headers without Date/Server, body) for comparing the two servers."""
import http.client
import os
import shutil
import socket
import subprocess
import tempfile
import time

import harness

# Headers that differ by nature (Date, Server) or by a documented choice: Gatehouse's
# file_server always sends Vary: Accept-Encoding, as current Caddy (#5849), 2.6.2 does not.
SKIPPED = {"date", "server", "vary"}


class Quick:
    def __init__(self, kind, binary, command, args, cwd=None, stdin_data=None, wait_port=None):
        self.kind = kind
        self.home = tempfile.mkdtemp(prefix="gh-quick-%s-" % kind)
        env = dict(os.environ, HOME=self.home, XDG_CONFIG_HOME=os.path.join(self.home, "cfg"),
                   XDG_DATA_HOME=os.path.join(self.home, "data"))
        self.out_path = os.path.join(self.home, "stdout")
        self.err_path = os.path.join(self.home, "stderr")
        self.out = open(self.out_path, "w")
        self.err = open(self.err_path, "w")
        extra = ["--workers", "1"] if kind == "gatehouse" else []
        self.proc = subprocess.Popen([binary, command, *args, *extra], env=env, cwd=cwd or self.home,
                                     stdout=self.out, stderr=self.err,
                                     stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL)
        if stdin_data is not None:
            self.proc.stdin.write(stdin_data.encode())
            self.proc.stdin.close()
        if wait_port:
            harness.wait_port(wait_port, self.proc, 15)

    def wait_stdout(self, text, timeout=15):
        """True once `text` is in stdout (or False when the process exits or time runs out)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.stdout():
                return True
            if self.proc.poll() is not None:
                return text in self.stdout()
            time.sleep(0.05)
        return False

    def wait_stderr(self, text, timeout=10):
        """True once `text` is in stderr (log lines may be written a moment after the answer)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.stderr():
                return True
            time.sleep(0.05)
        return text in self.stderr()

    def exit_code(self, timeout=10):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stdout(self):
        with open(self.out_path) as f:
            return f.read()

    def stderr(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def error_line(self):
        """The "Error: ..." line the command printed, if any."""
        for line in self.stderr().splitlines():
            if line.startswith("Error: "):
                return line
        return None

    def stop(self):
        harness.interrupt(self.proc)
        self.out.close()
        self.err.close()
        shutil.rmtree(self.home, ignore_errors=True)


def trusted():
    """The machine's extra trusted roots: a run that installed its CA there shows up."""
    store = "/usr/local/share/ca-certificates"
    return sorted(os.listdir(store)) if os.path.isdir(store) else []


def fetch(port, path="/", method="GET", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        body = r.read()
        kept = sorted((k.lower(), v) for k, v in r.getheaders() if k.lower() not in SKIPPED)
        return r.status, kept, body
    except OSError as e:
        return None, [], str(e).encode()
    finally:
        conn.close()


def raw_status(port, head):
    """The status line answering the raw request `head` (bytes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(head)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.split(b"\r\n")[0].decode(errors="replace")
