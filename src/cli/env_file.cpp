#include "cli/env_file.h"

#include <stdexcept>

namespace gatehouse::cli {

namespace {

std::string_view trim(std::string_view s, std::string_view set = " \t\r\n\v\f") {
  const auto first = s.find_first_not_of(set);
  if (first == std::string_view::npos) {
    return {};
  }
  return s.substr(first, s.find_last_not_of(set) - first + 1);
}

std::vector<std::string_view> splitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  return lines;
}

std::runtime_error lineError(size_t number, const std::string& what) {
  return std::runtime_error(what + " on line " + std::to_string(number));
}

}  // namespace

EnvVars parseEnvFile(std::string_view text) {
  EnvVars vars;
  const auto lines = splitLines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    const size_t number = i + 1;
    std::string_view line = trim(lines[i]);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      throw std::runtime_error("can't parse line " + std::to_string(number) +
                               "; line should be in KEY=VALUE format");
    }
    std::string_view key = line.substr(0, eq);
    std::string value(line.substr(eq + 1));
    if (key.starts_with("export ")) {
      key.remove_prefix(7);
    }
    if (key.empty()) {
      throw lineError(number, "missing or empty key");
    }
    if (key.find_first_of(" \t") != std::string_view::npos) {
      throw std::runtime_error("invalid key on line " + std::to_string(number) +
                               ": contains whitespace: " + std::string(key));
    }
    if (value.starts_with(' ') || value.starts_with('\t')) {
      throw std::runtime_error("invalid value on line " + std::to_string(number) +
                               ": whitespace before value: '" + value + "'");
    }
    if (const auto hash = value.find('#'); hash != std::string::npos) {
      value = std::string(trim(std::string_view(value).substr(0, hash), " \t"));
    }
    if (value.starts_with('"')) {
      // The raw line decides where a quoted value ends, comment or not.
      for (std::string_view last = line; !last.ends_with('"') && i + 1 < lines.size();) {
        last = trim(lines[++i]);
        value += "\n" + std::string(last);
      }
      value = std::string(trim(value, "\""));
    }
    vars.emplace_back(std::string(key), std::move(value));
  }
  return vars;
}

}  // namespace gatehouse::cli
