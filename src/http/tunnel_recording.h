#pragma once
// A session that takes a tunnel over from an HTTP/1.1 session or an HTTP/2 stream (a
// proxy's relay) and, on a server whose access log or metrics record exchanges, records the
// tunnel's exchange when the tunnel ends, as the exchange would have itself (Caddy logs a
// WebSocket then).

#include "gatehouse/runtime/exchange.h"
#include "http/session.h"

namespace gatehouse::http {

class TunnelRecording {
 public:
  virtual ~TunnelRecording() = default;
  // Called once, right after the hand-over: keeps what `recorder.finished()` will need of
  // `ex`, which goes away after this call. `recorder` outlives the session.
  virtual void recordWith(RequestHandler& recorder, const runtime::Exchange& ex) = 0;
  // An HTTP/2 stream's tunnel bytes are its response body (the access log's size): the
  // stream counts what its DATA frames carried in `sent`, which outlives the session, and
  // the exchange is recorded when the session is destroyed (the stream has closed), with
  // that count added. Called right after recordWith().
  virtual void recordAtEnd(const uint64_t& sent) = 0;
};

}  // namespace gatehouse::http
