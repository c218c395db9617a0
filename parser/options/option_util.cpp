// Caddy's duration and size syntaxes, and argument shortcuts for option parsers.
#include "options/option_util.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "gatehouse/parser/go_duration.h"

namespace gatehouse::parser::options {
namespace {

std::string quoteGo(const std::string& s) { return "\"" + s + "\""; }

bool isDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<int64_t> parseDuration(const std::string& text, std::string* error) {
  if (text.size() > 1024) {
    if (error) *error = "parsing duration: input string too long";
    return std::nullopt;
  }
  // Caddy rewrites each "<number>d" as hours before handing the text to Go's parser.
  std::string rewritten;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != 'd') continue;
    size_t j = i;
    while (j > start && (isDigit(text[j - 1]) || text[j - 1] == '.')) --j;
    auto days = parseFloat(text.substr(j, i - j));
    if (!days) {
      if (error) *error = "strconv.ParseFloat: parsing " + quoteGo(text.substr(j, i - j)) + ": invalid syntax";
      return std::nullopt;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6fh", *days * 24);
    rewritten += text.substr(start, j - start);
    rewritten += buf;
    start = i + 1;
  }
  rewritten += text.substr(start);
  return parseGoDuration(rewritten, error);
}

int64_t durationArg(const Dispenser& d, const std::string& text, const std::string& what) {
  std::string error;
  auto ns = parseDuration(text, &error);
  if (!ns) {
    throw d.err(what.empty() ? error : what + ": " + error);
  }
  return *ns;
}

std::string oneArg(Dispenser& d) {
  if (!d.nextArg()) {
    throw d.argErr();
  }
  return d.val();
}

std::string onlyArg(Dispenser& d) {
  std::string v = oneArg(d);
  if (d.nextArg()) {
    throw d.argErr();
  }
  return v;
}

std::optional<long long> parseInt(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t i = (text[0] == '-' || text[0] == '+') ? 1 : 0;
  if (i == text.size()) return std::nullopt;
  for (size_t k = i; k < text.size(); ++k) {
    if (!isDigit(text[k])) return std::nullopt;
  }
  errno = 0;
  long long v = std::strtoll(text.c_str(), nullptr, 10);
  if (errno != 0) return std::nullopt;
  return v;
}

std::optional<double> parseFloat(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return std::nullopt;
  return v;
}

std::optional<uint64_t> parseBytes(const std::string& text) {
  // humanize.ParseBytes: a number, optional spaces, an optional SI or IEC unit.
  size_t i = 0;
  while (i < text.size() && (isDigit(text[i]) || text[i] == '.' || text[i] == ',')) ++i;
  std::string num;
  for (char c : text.substr(0, i)) {
    if (c != ',') num += c;
  }
  auto value = parseFloat(num);
  if (!value) return std::nullopt;
  size_t j = i;
  while (j < text.size() && text[j] == ' ') ++j;
  std::string unit;
  for (char c : text.substr(j)) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::pair<const char*, double> kUnits[] = {
      {"", 1},        {"b", 1},          {"k", 1e3},         {"kb", 1e3},        {"kib", 1024.0},
      {"ki", 1024.0}, {"m", 1e6},        {"mb", 1e6},        {"mib", 1048576.0}, {"mi", 1048576.0},
      {"g", 1e9},     {"gb", 1e9},       {"gib", 1073741824.0}, {"gi", 1073741824.0},
      {"t", 1e12},    {"tb", 1e12},      {"tib", 1099511627776.0}, {"ti", 1099511627776.0},
      {"p", 1e15},    {"pb", 1e15},      {"pib", 1125899906842624.0}, {"pi", 1125899906842624.0},
  };
  for (const auto& [name, mult] : kUnits) {
    if (unit == name) return static_cast<uint64_t>(*value * mult);
  }
  return std::nullopt;
}

void appendUnique(Json& arr, const std::string& value) {
  if (!arr.is_array()) arr = Json::array();
  for (const auto& v : arr) {
    if (v == value) return;
  }
  arr.push_back(value);
}

}  // namespace gatehouse::parser::options
