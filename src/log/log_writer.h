#pragma once
// Where encoded log lines go (Caddy's caddy.logging.writers.*): stdout, stderr, discard, or
// a file. Writers are used by the log writer thread only, so they may block on the disk.

#include <memory>
#include <string>
#include <string_view>

#include "gatehouse/config/site_graph.h"

namespace gatehouse::log {

class LogWriter {
 public:
  virtual ~LogWriter() = default;
  // Writes whole lines; a failure is reported through the return value, never thrown.
  virtual bool write(std::string_view lines) = 0;
  // True for stdout/stderr (their default encoder depends on a terminal).
  [[nodiscard]] virtual bool standardStream() const { return false; }
  [[nodiscard]] virtual bool terminal() const { return false; }
  // What Caddy's "redirected default logger" line names: "stderr", a file's absolute path...
  [[nodiscard]] virtual std::string describe() const = 0;
  // True when nothing written is kept: entries for it need not be encoded at all.
  [[nodiscard]] virtual bool discards() const { return false; }
};

// Writes to an inherited descriptor (1 or 2); does not own it.
class StdStreamWriter final : public LogWriter {
 public:
  explicit StdStreamWriter(int fd) : fd_(fd) {}
  bool write(std::string_view lines) override;
  [[nodiscard]] bool standardStream() const override { return true; }
  [[nodiscard]] bool terminal() const override;
  [[nodiscard]] std::string describe() const override { return fd_ == 1 ? "stdout" : "stderr"; }

 private:
  int fd_;
};

class DiscardWriter final : public LogWriter {
 public:
  bool write(std::string_view /*lines*/) override { return true; }
  [[nodiscard]] std::string describe() const override { return "discard"; }
  [[nodiscard]] bool discards() const override { return true; }
};

// Writes all of `data` to `fd`, retrying short writes and EINTR.
bool writeAll(int fd, std::string_view data);

// Builds a writer from Caddy's JSON ({"output": "stderr"|"stdout"|"discard"|"file", ...});
// null means stderr. Opens files now (start-up, off any loop). Throws ProvisionError.
std::unique_ptr<LogWriter> makeWriter(const config::Json& cfg, const std::string& path);

}  // namespace gatehouse::log
