#pragma once
// The admin endpoint on a unix socket, as caddy 2.6.2 takes it: "unix//run/a.sock" names the
// path "/run/a.sock" (2.6.2 has no "|mode" suffix: it is part of the path). Before binding,
// a socket file nobody answers on (left by a crash) is removed; anything else at the path
// (a live socket, a regular file) is left alone and refused, which is safer than Caddy's
// unconditional removal. At stop the socket is removed only if it is still the one bound.

#include <sys/types.h>

#include <optional>
#include <string>

namespace gatehouse::admin {

// The socket path of a "unix/..." address; nullopt when `address` names no unix network.
// Sets `error` for the unix networks the admin API cannot serve (unixgram, unixpacket).
std::optional<std::string> unixSocketPath(const std::string& address, std::string& error);

// Makes `path` free to bind: "" on success, else why not.
std::string clearStaleSocket(const std::string& path);

// The socket file a listener created (identity taken right after bind).
class OwnedSocketFile {
 public:
  // Records the file at `path` as ours; false when it cannot be stat'ed.
  bool adopt(const std::string& path);
  // Unlinks the file if it is still the one adopted (another server may have replaced it).
  void remove();

 private:
  std::string path_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  bool owned_ = false;
};

}  // namespace gatehouse::admin
