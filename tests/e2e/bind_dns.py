"""Shared by the DNS-01 tests: a real BIND (`named`) on a loopback port chosen here, as the
current user from a temp dir (-g -c conf), authoritative for one zone that takes RFC 2136
updates signed with a TSIG key. Pebble's VA can ask it directly (pebble -dnsserver).

Every wait is bounded; stop() ends the process. Exits 77 (skip) when named is missing.
"""
import base64
import os
import shutil
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
import ports  # noqa: E402


def require_bind():
    for tool in ("named", "nsupdate", "dig"):
        if shutil.which(tool) is None and not os.path.exists("/usr/sbin/" + tool):
            print(f"SKIP: {tool} not installed (scripts/install-deps.sh installs bind9, bind9-dnsutils)")
            sys.exit(77)


def free_udp_tcp_port():
    """A port free for both TCP and UDP on 127.0.0.1 (named listens on both), from ports.py
    (below the ephemeral range, reserved for this process)."""
    for _ in range(50):
        port = ports.free_port()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            u.close()
    raise RuntimeError("no free port")


NAMED_CONF = """options {{
    directory "{tmp}";
    pid-file "{tmp}/named.pid";
    session-keyfile "{tmp}/session.key";
    managed-keys-directory "{tmp}";
    listen-on port {port} {{ {host}; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    notify no;
    allow-query {{ any; }};
}};
controls {{ }};
key "{key_name}" {{
    algorithm hmac-sha256;
    secret "{secret}";
}};
zone "{zone}" {{
    type primary;
    file "{tmp}/{zone}.zone";
    journal "{tmp}/{zone}.jnl";
    allow-update {{ key "{key_name}"; }};
}};
"""

ZONE = """$TTL 60
@    IN SOA ns1.{zone}. hostmaster.{zone}. 1 60 60 600 60
@    IN NS  ns1.{zone}.
ns1  IN A   127.0.0.1
@    IN A   127.0.0.1
*    IN A   127.0.0.1
"""


class Bind:
    def __init__(self, tmp, zone="example.test", key_name="acme-key", host="127.0.0.1", port=None):
        """`host`/`port`: where named listens (a fixed port, e.g. 53 for a resolv.conf, is
        tried once); by default 127.0.0.1 on a free port."""
        self.dir = os.path.join(tmp, "bind")
        os.makedirs(self.dir, exist_ok=True)
        self.zone = zone
        self.key_name = key_name
        self.secret = base64.b64encode(os.urandom(32)).decode()
        self.log = open(os.path.join(self.dir, "named.log"), "w")
        self.host = host
        # A port found free can be taken by a parallel test before named binds it (UDP and
        # TCP are bound apart), so a start that never answers on both is retried elsewhere.
        tries = 1 if port else 3
        for attempt in range(tries):
            self.port = port or free_udp_tcp_port()
            self._start_named(zone, key_name)
            if self._wait_ready(last=attempt == tries - 1):
                return

    def _start_named(self, zone, key_name):
        conf = os.path.join(self.dir, "named.conf")
        with open(conf, "w") as f:
            f.write(NAMED_CONF.format(tmp=self.dir, host=self.host, port=self.port, key_name=key_name, secret=self.secret,
                                      zone=zone))
        with open(os.path.join(self.dir, zone + ".zone"), "w") as f:
            f.write(ZONE.format(zone=zone))
        named = shutil.which("named") or "/usr/sbin/named"
        self.proc = subprocess.Popen([named, "-g", "-n", "1", "-c", conf], stdout=self.log,
                                     stderr=subprocess.STDOUT)

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    def _wait_ready(self, last):
        """True once named answers over UDP and TCP (nsupdate uses TCP for large updates)."""
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            if self.txt("ns1." + self.zone, rtype="A") and self.txt("ns1." + self.zone, rtype="A", tcp=True):
                return True
            time.sleep(0.2)
        self._stop_named()
        if last:
            self.log.close()
            raise RuntimeError("named did not start: " + open(self.log.name).read()[-3000:])
        return False

    def txt(self, name, rtype="TXT", tcp=False):
        """The records of `name` as BIND serves them (dig +short), [] when none."""
        p = subprocess.run(["dig", "+short", "+time=2", "+tries=1"] + (["+tcp"] if tcp else []) +
                           ["-p", str(self.port), "@" + self.host, name, rtype],
                           capture_output=True, text=True, timeout=15)
        # dig prints its errors (";; connection timed out") on stdout too: not records
        return [line.strip().strip('"') for line in p.stdout.splitlines()
                if line.strip() and not line.startswith(";")]

    def nsupdate(self, commands):
        """Runs nsupdate with the TSIG key (the fakes of the cloud APIs use this)."""
        script = f"server {self.host} {self.port}\nzone {self.zone}\n" + commands + "\nsend\n"
        p = subprocess.run(["nsupdate", "-y", f"hmac-sha256:{self.key_name}:{self.secret}"], input=script,
                           capture_output=True, text=True, timeout=20)
        if p.returncode != 0:
            raise RuntimeError("nsupdate failed: " + p.stderr)

    def stop(self):
        self._stop_named()
        self.log.close()

    def _stop_named(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
