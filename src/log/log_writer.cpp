#include "log/log_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <utility>

#include "log/net_writer.h"
#include "log/rolling_file.h"
#include "provision/provision_error.h"

namespace gatehouse::log {

using config::Json;
using provision::ProvisionError;

bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool StdStreamWriter::write(std::string_view lines) {
  return writeAll(fd_, lines);
}

bool StdStreamWriter::terminal() const {
  return isatty(fd_) != 0;
}

namespace {

// File writer options of Caddy releases after 2.6.2 that rolling here does not do yet.
constexpr std::pair<std::string_view, std::string_view> kNewerFileOptions[] = {
    {"dir_mode", "2.11"}, {"roll_compression", "2.11"}, {"roll_interval", "2.11"},
    {"roll_at", "2.11"},  {"roll_minutes", "2.11"},
};

// Caddy's fileMode: 1 to 4 octal digits ("644" == "0644"); 0 means the default.
std::optional<mode_t> fileMode(const Json& v, const std::string& path) {
  const std::string text = v.is_string() ? v.get<std::string>() : "";
  if (text.empty() || text.size() > 4 || text.find_first_not_of("01234567") != std::string::npos) {
    throw ProvisionError(path, "parsing mode: want 1 to 4 octal digits, as chmod takes");
  }
  const auto mode = static_cast<mode_t>(std::stoul(text, nullptr, 8));
  return mode == 0 ? std::nullopt : std::optional<mode_t>(mode);
}

std::unique_ptr<LogWriter> makeFileWriter(const Json& cfg, const std::string& path) {
  static constexpr std::string_view kKnown[] = {"output",    "filename",       "mode",
                                                "roll",      "roll_size_mb",   "roll_gzip",
                                                "roll_keep", "roll_keep_days", "roll_local_time"};
  for (const auto& [k, _] : cfg.items()) {
    for (const auto& [name, version] : kNewerFileOptions) {
      if (k == name) {
        throw ProvisionError(path + "." + k, "file log writer option '" + k + "' (Caddy " +
                                                 std::string(version) + "+) is not supported yet");
      }
    }
    if (std::find(std::begin(kKnown), std::end(kKnown), k) == std::end(kKnown)) {
      throw ProvisionError(path + "." + k, "file log writer option '" + k + "' is not supported yet");
    }
  }
  std::string filename = cfg.value("filename", "");
  if (filename.empty()) {
    throw ProvisionError(path + ".filename", "a file log writer needs a filename");
  }
  RollPolicy policy;
  policy.enabled = cfg.value("roll", true);
  if (int mb = cfg.value("roll_size_mb", 0); mb > 0) {
    policy.maxBytes = static_cast<uint64_t>(mb) << 20;
  }
  if (int keep = cfg.value("roll_keep", 0); keep > 0) {
    policy.keep = keep;
  }
  if (int days = cfg.value("roll_keep_days", 0); days > 0) {
    policy.keepDays = days;
  }
  policy.localTime = cfg.value("roll_local_time", false);
  policy.gzip = cfg.value("roll_gzip", true);
  if (cfg.contains("mode")) {
    policy.mode = fileMode(cfg["mode"], path + ".mode");
  }
  try {
    return std::make_unique<RollingFile>(std::move(filename), policy);
  } catch (const std::runtime_error& e) {
    throw ProvisionError(path + ".filename", e.what());
  }
}

std::unique_ptr<LogWriter> makeNetWriter(const Json& cfg, const std::string& path) {
  for (const auto& [k, _] : cfg.items()) {
    if (k != "output" && k != "address" && k != "dial_timeout" && k != "soft_start") {
      throw ProvisionError(path + "." + k, "net log writer option '" + k + "' is not supported yet");
    }
  }
  NetAddress addr;
  try {
    addr = parseNetAddress(cfg.value("address", ""));
  } catch (const std::invalid_argument& e) {
    throw ProvisionError(path + ".address", std::string("parsing network address: ") + e.what());
  }
  const auto& timeout = cfg.contains("dial_timeout") ? cfg["dial_timeout"] : Json(0);
  if (!timeout.is_number_integer() || timeout.get<int64_t>() < 0) {
    throw ProvisionError(path + ".dial_timeout", "dial timeout cannot be less than zero");
  }
  const auto dialTimeout = std::chrono::milliseconds(timeout.get<int64_t>() / 1000000);
  try {
    return std::make_unique<NetWriter>(std::move(addr), dialTimeout, cfg.value("soft_start", false));
  } catch (const std::runtime_error& e) {
    throw ProvisionError(path + ".address", e.what());
  }
}

}  // namespace

std::unique_ptr<LogWriter> makeWriter(const Json& cfg, const std::string& path) {
  if (cfg.is_null()) {
    return std::make_unique<StdStreamWriter>(STDERR_FILENO);
  }
  if (!cfg.is_object()) {
    throw ProvisionError(path, "expected a writer object");
  }
  const std::string output = cfg.value("output", "");
  if (output == "file") {
    return makeFileWriter(cfg, path);
  }
  if (output == "net") {
    return makeNetWriter(cfg, path);
  }
  for (const auto& [k, _] : cfg.items()) {
    if (k != "output") {
      throw ProvisionError(path + "." + k, "log writer option '" + k + "' is not supported yet");
    }
  }
  if (output == "stderr") {
    return std::make_unique<StdStreamWriter>(STDERR_FILENO);
  }
  if (output == "stdout") {
    return std::make_unique<StdStreamWriter>(STDOUT_FILENO);
  }
  if (output == "discard") {
    return std::make_unique<DiscardWriter>();
  }
  throw ProvisionError(path + ".output", "log writer '" + output + "' is not supported yet");
}

}  // namespace gatehouse::log
