"""Ports for test servers that bind them later (gatehouse, caddy, pebble, chromium).

A port the kernel hands out for bind(("127.0.0.1", 0)) comes from the ephemeral range, the
same range every outgoing connection on the machine takes its local port from; between our
release and the server's bind, a parallel test's client could take it and the server's
listen fail with "Address already in use" (CI saw it). So ports come from below the
ephemeral range, which the kernel never hands out on its own, picked at random and checked
free on the IPv4 and IPv6 wildcards (servers listen on `:PORT` too).

Tests run in parallel (ctest -j) pick from that same range: two of them could pick one
number in the moment between the pick and their servers' bind, and a port a test keeps
unbound on purpose (an upstream that refuses) could be bound by another test later. So each
port given is also reserved for the life of the process that took it: an flock on a file
named after it in a shared directory, which the kernel releases when the process ends,
however it ends. A long-lived process (the compat runner's hundreds of cases) keeps only its
latest _MAX_HELD reservations: a port given that long ago is bound or done with.
"""

import fcntl
import os
import random
import socket
import tempfile

_LOW = 20000
_given = set()
_LOCK_DIR = os.path.join(tempfile.gettempdir(), "gatehouse-test-ports")
_held = {}  # port -> its lock file, open (and locked) while this process lives; oldest first
_MAX_HELD = 256


def _reserve(port):
    """True once this process holds port's lock; False when another process holds it."""
    try:
        os.makedirs(_LOCK_DIR, mode=0o777, exist_ok=True)
        f = open(os.path.join(_LOCK_DIR, str(port)), "a")
    except OSError:
        return True  # no shared directory: the bind check alone, as before
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        return False
    _held[port] = f
    while len(_held) > _MAX_HELD:
        _release(next(iter(_held)))
    return True


def _release(port):
    f = _held.pop(port, None)
    if f is not None:
        f.close()


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
        if port in _given or not _reserve(port):
            continue
        if _bindable(port):
            _given.add(port)
            return port
        _release(port)
    raise RuntimeError("no free port found between %d and %d" % (_LOW, high))


def free_port_run(count):
    """The first of `count` consecutive free ports, all reserved (a listen port range)."""
    high = _ephemeral_low() - count
    rng = random.SystemRandom()
    for _ in range(200):
        first = rng.randint(_LOW, high)
        taken = []
        for port in range(first, first + count):
            if port in _given or not _reserve(port):
                break
            taken.append(port)
            if not _bindable(port):
                break
        else:
            _given.update(taken)
            return first
        for port in taken:
            _release(port)
    raise RuntimeError("no %d consecutive free ports found" % count)
