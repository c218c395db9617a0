#pragma once
// JSON-lines logging in Caddy's logger style: {"level","ts","logger","msg", fields...}.
// Issuance and renewal steps log through it so operators can follow (and grep) what
// happened with the same tools they use on Caddy's logs.

#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

namespace gatehouse::acme {

class AcmeLog {
 public:
  // Takes a line instead of `out` when set (`gatehouse run` hands lines to the default log).
  using Sink = std::function<void(const char* level, const std::string& logger, const std::string& msg,
                                  nlohmann::json fields)>;
  explicit AcmeLog(std::ostream& out, Sink sink = {}) : out_(out), sink_(std::move(sink)) {}
  void info(const std::string& logger, const std::string& msg, nlohmann::json fields = {}) const;
  void warn(const std::string& logger, const std::string& msg, nlohmann::json fields = {}) const;
  void error(const std::string& logger, const std::string& msg, nlohmann::json fields = {}) const;

 private:
  void write(const char* level, const std::string& logger, const std::string& msg,
             nlohmann::json fields) const;
  std::ostream& out_;
  Sink sink_;
};

}  // namespace gatehouse::acme
