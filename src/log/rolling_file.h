#pragma once
// A log file that rolls as Caddy's (lumberjack): when a write would take it past
// `maxBytes`, the file is renamed to "<name>-<UTC or local time>.<ext>" and a new one is
// started (no line is lost: the rename and reopen happen between two writes); then, on a
// thread of their own, the rolled file is gzipped and rolled files beyond `keep` or older
// than `keepDays` are deleted. With rolling disabled it is a plain append-only file.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "handlers/file_body.h"
#include "log/log_writer.h"
#include "log/roll_compressor.h"

namespace gatehouse::log {

struct RollPolicy {
  bool enabled = true;
  uint64_t maxBytes = 100ull << 20;  // roll_size_mb: 100
  int keep = 10;                     // roll_keep
  int keepDays = 90;                 // roll_keep_days
  bool localTime = false;            // roll_local_time
  bool gzip = true;                  // roll_gzip
  std::optional<mode_t> mode;        // `mode` (Caddy 2.8+); unset: 0600 rolled, 0644 plain
};

class RollingFile final : public LogWriter {
 public:
  // Opens (creating directories as needed); throws std::runtime_error naming the file.
  RollingFile(std::string filename, RollPolicy policy);
  bool write(std::string_view lines) override;
  [[nodiscard]] std::string describe() const override;
  // Waits for pending gzip and prune work (tests).
  void drainBackground();

  // For tests: the names rolled files get ("access-2023-11-14T22-13-20.000.log").
  static std::string backupName(const std::string& filename, std::chrono::system_clock::time_point t,
                                bool local);

 private:
  void open();
  bool roll();
  static void prune(const std::string& filename, const RollPolicy& policy);

  std::string filename_;
  RollPolicy policy_;
  handlers::UniqueFd fd_;
  uint64_t size_ = 0;
  std::unique_ptr<RollCompressor> background_;  // started on the first roll
};

}  // namespace gatehouse::log
