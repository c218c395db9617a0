#pragma once
// Caddy's `output net <address>` log writer: lines go to a TCP, UDP or Unix socket. Dialled
// at start-up (a failure stops start-up unless `soft_start`); when a write fails the writer
// re-dials at most every 10 seconds, and lines it cannot send go to stderr rather than
// being lost, as Caddy's redialing connection does. Used by the log writer thread only.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "handlers/file_body.h"
#include "log/log_writer.h"

namespace gatehouse::log {

struct NetAddress {
  std::string network;  // "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6", "unix", "unixgram"
  std::string address;  // "host:port" or a socket path
};

// "tcp/127.0.0.1:514", "udp/[::1]:514", "unix//run/log.sock", "localhost:9000" (tcp).
// Throws std::invalid_argument with a message for a malformed address.
NetAddress parseNetAddress(std::string_view text);

class NetWriter final : public LogWriter {
 public:
  // Dials now; throws std::runtime_error when that fails and !softStart.
  NetWriter(NetAddress addr, std::chrono::milliseconds dialTimeout, bool softStart);
  bool write(std::string_view lines) override;
  [[nodiscard]] std::string describe() const override { return addr_.network + "/" + addr_.address; }

 private:
  // A connected socket, or an invalid one (the error in `why`).
  handlers::UniqueFd dial(std::string& why) const;

  NetAddress addr_;
  std::chrono::milliseconds dialTimeout_;
  handlers::UniqueFd fd_;
  std::chrono::steady_clock::time_point lastRedial_{};
};

}  // namespace gatehouse::log
