#include "router/path_pattern.h"

#include <string_view>
#include <utility>

namespace gatehouse::router {

namespace {

std::string globOfEscaped(std::string_view pattern) {
  std::string glob;
  glob.reserve(pattern.size());
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size() && pattern[i + 1] == '*') {
      continue;  // "%*" globs as "*"
    }
    glob.push_back(pattern[i]);
  }
  return glob;
}

}  // namespace

PathPattern::PathPattern(std::string lowered)
    : text(std::move(lowered)),
      any(text == "*"),
      keepSlashes(text.find("//") != std::string::npos),
      escaped(text.find('%') != std::string::npos) {
  if (escaped) {
    escapedGlob = globOfEscaped(text);
  }
}

}  // namespace gatehouse::router
