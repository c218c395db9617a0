"""Small threaded TCP servers for the e2e tests' scripted upstreams: a listening socket on
loopback, an accept thread, one thread per connection (with a timeout, closed afterwards),
and reading one HTTP/1.1 request head."""
import socket
import threading


def listen(family=socket.AF_INET, port=0, backlog=64):
    """A socket listening on the loopback address of `family` (IPv6 only for AF_INET6)."""
    sock = socket.socket(family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    sock.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", port))
    sock.listen(backlog)
    return sock


def serve(sock, handler, timeout=10):
    """Calls handler(conn) for every accepted connection on a thread of its own until the
    socket is closed; OSError inside the handler ends that connection quietly."""

    def one(conn):
        conn.settimeout(timeout)
        try:
            handler(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def accept():
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            threading.Thread(target=one, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()


def read_head(conn, limit=65536):
    """Reads until the end of a request head (or `limit` bytes); returns what was read, or
    None when the peer closed first."""
    buf = b""
    while b"\r\n\r\n" not in buf and len(buf) < limit:
        data = conn.recv(65536)
        if not data:
            return None
        buf += data
    return buf
