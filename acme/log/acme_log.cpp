#include "log/acme_log.h"

#include <chrono>

namespace gatehouse::acme {

void AcmeLog::info(const std::string& logger, const std::string& msg, nlohmann::json fields) const {
  write("info", logger, msg, std::move(fields));
}
void AcmeLog::warn(const std::string& logger, const std::string& msg, nlohmann::json fields) const {
  write("warn", logger, msg, std::move(fields));
}
void AcmeLog::error(const std::string& logger, const std::string& msg, nlohmann::json fields) const {
  write("error", logger, msg, std::move(fields));
}

void AcmeLog::write(const char* level, const std::string& logger, const std::string& msg,
                    nlohmann::json fields) const {
  if (sink_) {
    sink_(level, logger, msg, std::move(fields));
    return;
  }
  using namespace std::chrono;
  const double ts =
      static_cast<double>(duration_cast<microseconds>(system_clock::now().time_since_epoch()).count()) / 1e6;
  // ordered_json keeps Caddy's field order (level, ts, logger, msg, then the rest).
  nlohmann::ordered_json line;
  line["level"] = level;
  line["ts"] = ts;
  line["logger"] = logger;
  line["msg"] = msg;
  if (fields.is_object()) {
    for (auto& [k, v] : fields.items())
      line[k] = v;
  }
  // One write per line so concurrent loggers do not interleave within a line.
  out_ << (line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n") << std::flush;
}

}  // namespace gatehouse::acme
