#pragma once
// The handshake between `gatehouse start` and the `run --pingback ADDR` child it launches,
// as caddy's: start writes random bytes to the child's stdin; the child, once serving,
// sends them back over TCP to ADDR; start waits for those exact bytes or the child's exit.

#include <string>

#include "handlers/file_body.h"

namespace gatehouse::cli {

// The child's side: reads stdin to its end and sends it to `address` (HOST:PORT). False
// with caddy's error text.
bool sendPingback(const std::string& address, std::string& error);

// The parent's side: a listener on 127.0.0.1, a free port.
class PingbackListener {
 public:
  // False with `error` when no socket could be opened.
  bool open(std::string& error);
  [[nodiscard]] const std::string& address() const { return address_; }
  // Waits up to `timeoutMs` for a connection and reads what it sends (bounded in time); true
  // when that is `expect`. A connection with other bytes is logged and answered false.
  bool confirmed(const std::string& expect, int timeoutMs);

 private:
  handlers::UniqueFd fd_;
  std::string address_;
};

}  // namespace gatehouse::cli
