#include "server/pid_file.h"

#include <unistd.h>

#include "log/process_log.h"
#include "storage/atomic_file.h"

namespace gatehouse::server {

PidFile::PidFile(std::string path) : path_(std::move(path)) {
  if (path_.empty()) {
    return;
  }
  try {
    acme::writeFileAtomic(path_, std::to_string(::getpid()) + "\n", 0600);
    written_ = true;
  } catch (const std::exception& e) {
    log::logOwn(log::Level::Error, "", "unable to write PID file", {{"pidfile", path_}, {"error", e.what()}});
  }
}

PidFile::~PidFile() {
  remove();
}

void PidFile::remove() {
  if (written_) {
    ::unlink(path_.c_str());
    written_ = false;
  }
}

}  // namespace gatehouse::server
