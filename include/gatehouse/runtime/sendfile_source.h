#pragma once
// A BodySource that is a file range can also implement this: on a cleartext HTTP/1.1
// connection the session then copies the file straight into the socket (sendfile(2) on the
// loop: page-cache reads, no copy through user space) instead of pulling pieces.

#include <cstdint>

namespace gatehouse::runtime {

class SendfileSource {
 public:
  virtual ~SendfileSource() = default;
  // Sends the next bytes into `socketFd` for as long as the socket takes them without
  // blocking. Returns the bytes sent (0: the socket is full; pull() the next piece
  // instead) or a negative uv error; `done` is set once the range is exhausted.
  virtual int64_t sendTo(int socketFd, bool& done) = 0;
};

}  // namespace gatehouse::runtime
