// Parse-time environment variables: {$NAME} and {$NAME:default}, replaced in the raw text
// before lexing (as Caddy does), so a value may become part of a token, a whole token, several
// tokens or even several lines.

#include <cstdlib>
#include <string>
#include <string_view>

#include "gatehouse/parser/caddyfile.h"

namespace gatehouse::parser {
namespace {

constexpr std::string_view kSpanOpen = "{$";

bool lookupEnv(const ParseOptions& options, const std::string& name, std::string& value) {
  if (options.getenv) {
    return options.getenv(name, value);
  }
  const char* raw = std::getenv(name.c_str());
  if (raw == nullptr) {
    return false;
  }
  value = raw;
  return true;
}

}  // namespace

std::string replaceEnvVars(std::string_view text, const ParseOptions& options) {
  std::string out(text);
  size_t offset = 0;
  while (true) {
    const size_t begin = out.find(kSpanOpen, offset);
    if (begin == std::string::npos) {
      break;
    }
    const size_t end = out.find('}', begin + kSpanOpen.size());
    if (end == std::string::npos) {
      break;
    }
    const std::string body = out.substr(begin + kSpanOpen.size(), end - begin - kSpanOpen.size());
    if (body.empty()) {
      offset = end + 1;
      continue;
    }
    // Only the first ':' separates the default, so defaults may contain colons.
    const size_t colon = body.find(':');
    const std::string name = body.substr(0, colon);
    std::string value;
    if (!lookupEnv(options, name, value) && colon != std::string::npos) {
      value = body.substr(colon + 1);
    }
    out.replace(begin, end + 1 - begin, value);
    // Resume after the value: a value is never expanded again.
    offset = begin + value.size();
  }
  return out;
}

}  // namespace gatehouse::parser
