#pragma once
// The one error type of the config pipeline: "file:line:col: message".
//
// The Caddyfile front end is offline code (never on a loop), so parse and adapt steps throw
// ConfigError and the entry points (adapt(), validate) catch it and return it as a value.

#include <stdexcept>
#include <string>

#include "gatehouse/parser/token.h"

namespace gatehouse::parser {

class ConfigError : public std::runtime_error {
 public:
  ConfigError(Location loc, std::string message);
  // An error with no source position (e.g. a missing file given on the command line).
  explicit ConfigError(std::string message);

  [[nodiscard]] const Location& location() const { return loc_; }
  [[nodiscard]] const std::string& message() const { return message_; }
  [[nodiscard]] bool hasLocation() const { return !loc_.file().empty(); }

 private:
  Location loc_;
  std::string message_;
};

}  // namespace gatehouse::parser
