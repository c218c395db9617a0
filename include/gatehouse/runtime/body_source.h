#pragma once
// A response body produced piece by piece (a file read through the libuv thread pool,
// later an upstream). The session pulls: it asks for the next piece only when the socket
// has taken the previous one, so a slow client never makes us buffer a whole file.

#include <uv.h>

#include <cstdint>
#include <string_view>

namespace gatehouse::runtime {

// Receives pieces of a BodySource. Implemented by sessions. Loop thread only.
class BodySink {
 public:
  virtual ~BodySink() = default;
  // `data` is valid only during the call. `eof` marks the last piece (it may be empty).
  virtual void onBodyData(std::string_view data, bool eof) = 0;
  // The source failed (a read error); the session must abort the connection, since the
  // head already promised a length.
  virtual void onBodyError(int uvError) = 0;
};

class BodySource {
 public:
  virtual ~BodySource() = default;
  // Starts producing the next piece; the sink is called later, never from inside pull().
  // At most one pull is in flight. Destroying the source cancels delivery.
  virtual void pull(uv_loop_t* loop, BodySink& sink) = 0;
};

}  // namespace gatehouse::runtime
