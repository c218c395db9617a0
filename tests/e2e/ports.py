"""Ports for test servers that bind them later (gatehouse, caddy, pebble, chromium).

A port the kernel hands out for bind(("127.0.0.1", 0)) comes from the ephemeral range, the
same range every outgoing connection on the machine takes its local port from; between our
release and the server's bind, a parallel test's client could take it and the server's
listen fail with "Address already in use" (CI saw it). So ports come from below the
ephemeral range, which the kernel never hands out on its own, picked at random and checked
free on the IPv4 and IPv6 wildcards (servers listen on `:PORT` too).
"""

import random
import socket

_LOW = 20000
_given = set()


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(port):
    for family, host in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        s = socket.socket(family, socket.SOCK_STREAM)
        try:
            if family == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((host, port))
        except OSError as e:
            if family == socket.AF_INET6 and e.errno in (97, 99):  # no IPv6 here
                continue
            return False
        finally:
            s.close()
    return True


def free_port():
    """A port nothing is bound to, below the ephemeral range, not given before by this process."""
    high = _ephemeral_low() - 1
    if high - _LOW < 1000:  # an unusual port range: fall back to the kernel's choice
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randint(_LOW, high)
        if port not in _given and _bindable(port):
            _given.add(port)
            return port
    raise RuntimeError("no free port found between %d and %d" % (_LOW, high))
