#include "provision/global_placeholders.h"

#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "router/system_placeholders.h"

namespace gatehouse::provision {

namespace {

std::string globalValue(std::string_view key) {
  const std::string braced = "{" + std::string(key) + "}";
  std::string out;
  if (key.starts_with("env.")) {
    const char* v = std::getenv(std::string(key.substr(4)).c_str());
    out = v != nullptr ? v : "";
  } else if (key.starts_with("system.")) {
    if (!router::systemPlaceholder(key.substr(7), out)) {
      throw std::runtime_error("unrecognized placeholder " + braced);
    }
  } else if (key.starts_with("time.now")) {
    throw std::runtime_error("placeholder " + braced + " is not supported yet here");
  } else {
    throw std::runtime_error("unrecognized placeholder " + braced);
  }
  if (out.empty()) {
    throw std::runtime_error("evaluated placeholder " + braced + " is empty");
  }
  return out;
}

}  // namespace

std::string replaceGlobalPlaceholders(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '{' || text[i + 1] == '}')) {
      out += text[++i];
      continue;
    }
    size_t close = c == '{' ? text.find('}', i + 1) : std::string::npos;
    // As Caddy's replacer: the key ends at the first '}' not escaped with '\\'.
    while (close != std::string::npos && close + 1 < text.size() && text[close - 1] == '\\') {
      close = text.find('}', close + 1);
    }
    if (close == std::string::npos) {
      out += c;  // no closing brace: a literal '{'
      continue;
    }
    out += globalValue(std::string_view(text).substr(i + 1, close - i - 1));
    i = close;
  }
  return out;
}

}  // namespace gatehouse::provision
