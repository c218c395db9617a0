"""An HTTP/1.1 upstream (raw sockets, stdlib only) whose chunked answers end with trailer
fields, shaped by the path:
  /announced    `Trailer: x-checksum, grpc-status`, then both in the trailer section
  /unannounced  no Trailer field; the same two trailers
  /partial      announces only x-checksum; sends x-checksum and x-extra
  /gzip         as /announced, gzip-encoded when the request accepts gzip
  /length       Content-Length framing with a Trailer field (Go keeps it out of Trailer)
  /sse          text/event-stream, 3 events, then a trailer
  /badkey       announces content-length as a trailer (Go's transport refuses it)
Every answer closes nothing: keep-alive, one request after another. Records the
Accept-Encoding each request carried (accept_encodings)."""
import gzip

from proxy_upstreams import KeepAliveUpstream

BODY = b"hello trailers " * 200  # past encode's minimum_length (512)
TRAILERS = [("x-checksum", "abc123"), ("grpc-status", "0")]


def _chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


def _trailer_section(fields):
    return b"0\r\n" + b"".join(b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in fields) + b"\r\n"


class TrailerUpstream(KeepAliveUpstream):
    def __init__(self):
        self.accept_encodings = []
        super().__init__("trailers", timeout=20)

    def respond(self, conn, head):
        lines = head.decode("latin-1").split("\r\n")
        path = lines[0].split(" ")[1].split("?")[0]
        fields = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            fields[k.strip().lower()] = v.strip()
        self.accept_encodings.append(fields.get("accept-encoding", ""))
        conn.sendall(self._answer(path, fields))
        return True

    def _answer(self, path, fields):
        head = [b"HTTP/1.1 200 OK", b"Content-Type: text/plain"]
        body = BODY
        trailers = TRAILERS
        chunked = True
        if path == "/announced":
            head.append(b"Trailer: x-checksum, grpc-status")
        elif path == "/partial":
            head.append(b"Trailer: x-checksum")
            trailers = [("x-checksum", "abc123"), ("x-extra", "more")]
        elif path == "/gzip":
            head.append(b"Trailer: x-checksum, grpc-status")
            if "gzip" in fields.get("accept-encoding", ""):
                head.append(b"Content-Encoding: gzip")
                body = gzip.compress(BODY)
        elif path == "/length":
            head.append(b"Trailer: x-checksum")
            chunked = False
        elif path == "/sse":
            head = [b"HTTP/1.1 200 OK", b"Content-Type: text/event-stream", b"Trailer: x-checksum"]
            body = b"".join(b"data: %d %s\n\n" % (i, b"x" * 300) for i in range(3))
            trailers = [("x-checksum", "sse")]
        elif path == "/badkey":
            head.append(b"Trailer: content-length")
            trailers = [("content-length", "5")]
        if not chunked:
            head.append(b"Content-Length: %d" % len(body))
            return b"\r\n".join(head) + b"\r\n\r\n" + body
        head.append(b"Transfer-Encoding: chunked")
        out = b"\r\n".join(head) + b"\r\n\r\n"
        for i in range(0, len(body), 100):
            out += _chunk(body[i:i + 100])
        return out + _trailer_section(trailers)
