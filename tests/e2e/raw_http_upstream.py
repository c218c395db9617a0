"""A hand-written HTTP/1.1 upstream for the tests that script an upstream's misbehaviour
(late heads, stalls, cut bodies, WebSocket echoes, SSE): it accepts on a loopback port 0,
reads each connection's request head (up to 64 KiB) and hands it to the subclass's
`answer(conn, head, rest)`; the connection is closed when `answer` returns or the socket
fails (tcp_servers: a thread a connection). One request a connection, with the bytes read
past its head: proxy_upstreams.KeepAliveUpstream is the keep-alive kind.

  head    the request head as text (latin-1), without the blank line that ends it
  rest    the bytes read past the head (the start of a request body, if any)

`request_line` and `head_fields` read a head for the scripts that need its parts."""
import socket

import tcp_servers


def split_head(data):
    """(head text, bytes past it) of what tcp_servers.read_head read."""
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.decode("latin1"), rest


def request_line(head):
    """(method, target) of a request head."""
    parts = head.split("\r\n", 1)[0].split(" ")
    return parts[0], parts[1] if len(parts) > 1 else ""


def head_fields(head):
    """The head's fields as {lower-case name: value} (a repeated name keeps its last value)."""
    fields = {}
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return fields


class RawHttpUpstream:
    """`timeout`: each connection's socket timeout; `rcvbuf`: SO_RCVBUF of the listener, set
    before any connection arrives so that each inherits it (for upstreams that must stop
    taking a request body soon)."""

    def __init__(self, backlog=32, timeout=15, rcvbuf=None):
        self.sock = tcp_servers.listen(backlog=backlog)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.port = self.sock.getsockname()[1]
        tcp_servers.serve(self.sock, self._serve, timeout=timeout)

    def answer(self, conn, head, rest):
        raise NotImplementedError

    def close(self):
        self.sock.close()

    def _serve(self, conn):
        data = tcp_servers.read_head(conn)
        if data is not None:
            self.answer(conn, *split_head(data))
