#pragma once
// `run --pidfile FILE`: the process id in FILE (0600, as caddy writes it) while the server
// runs; removed when it stops.

#include <string>

namespace gatehouse::server {

class PidFile {
 public:
  // An empty path writes nothing. A file that cannot be written is logged, not fatal, as in
  // caddy.
  explicit PidFile(std::string path);
  ~PidFile();
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;
  // Removes the file now (before an exit that runs no destructors); idempotent.
  void remove();

 private:
  std::string path_;
  bool written_ = false;
};

}  // namespace gatehouse::server
