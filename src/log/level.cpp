#include "log/level.h"

#include <cctype>
#include <string>

namespace gatehouse::log {

std::optional<Level> parseLevel(std::string_view name) {
  std::string n;
  for (char c : name) {
    n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (n == "debug") {
    return Level::Debug;
  }
  if (n.empty() || n == "info") {
    return Level::Info;
  }
  if (n == "warn" || n == "warning") {
    return Level::Warn;
  }
  if (n == "error") {
    return Level::Error;
  }
  if (n == "dpanic") {
    return Level::DPanic;
  }
  if (n == "panic") {
    return Level::Panic;
  }
  if (n == "fatal") {
    return Level::Fatal;
  }
  return std::nullopt;
}

std::string_view levelName(Level level) {
  switch (level) {
    case Level::Debug:
      return "debug";
    case Level::Info:
      return "info";
    case Level::Warn:
      return "warn";
    case Level::Error:
      return "error";
    case Level::DPanic:
      return "dpanic";
    case Level::Panic:
      return "panic";
    case Level::Fatal:
      return "fatal";
  }
  return "info";
}

}  // namespace gatehouse::log
