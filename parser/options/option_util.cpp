// Caddy's duration and size syntaxes, and argument shortcuts for option parsers.
#include "options/option_util.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string_view>

#include "gatehouse/parser/go_duration.h"

namespace gatehouse::parser::options {
namespace {

std::string quoteGo(const std::string& s) {
  return "\"" + s + "\"";
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

std::optional<int64_t> parseDuration(const std::string& text, std::string* error) {
  if (text.size() > 1024) {
    if (error)
      *error = "parsing duration: input string too long";
    return std::nullopt;
  }
  // Caddy rewrites each "<number>d" as hours before handing the text to Go's parser.
  std::string rewritten;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != 'd')
      continue;
    size_t j = i;
    while (j > start && (isDigit(text[j - 1]) || text[j - 1] == '.'))
      --j;
    auto days = parseFloat(text.substr(j, i - j));
    if (!days) {
      if (error)
        *error = "strconv.ParseFloat: parsing " + quoteGo(text.substr(j, i - j)) + ": invalid syntax";
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
  if (text.empty())
    return std::nullopt;
  size_t i = (text[0] == '-' || text[0] == '+') ? 1 : 0;
  if (i == text.size())
    return std::nullopt;
  for (size_t k = i; k < text.size(); ++k) {
    if (!isDigit(text[k]))
      return std::nullopt;
  }
  errno = 0;
  long long v = std::strtoll(text.c_str(), nullptr, 10);
  if (errno != 0)
    return std::nullopt;
  return v;
}

std::optional<double> parseFloat(const std::string& text) {
  if (text.empty())
    return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size())
    return std::nullopt;
  return v;
}

// humanize.ParseBytes: digits (with '.' and ','), then a unit after optional spaces, any case.
std::optional<uint64_t> parseBytes(const std::string& text, std::string* error) {
  static const std::map<std::string, double> kUnits = {
      {"", 1},
      {"b", 1},
      {"kib", 1024.0},
      {"ki", 1024.0},
      {"kb", 1e3},
      {"k", 1e3},
      {"mib", 1048576.0},
      {"mi", 1048576.0},
      {"mb", 1e6},
      {"m", 1e6},
      {"gib", 1073741824.0},
      {"gi", 1073741824.0},
      {"gb", 1e9},
      {"g", 1e9},
      {"tib", 1099511627776.0},
      {"ti", 1099511627776.0},
      {"tb", 1e12},
      {"t", 1e12},
      {"pib", 1125899906842624.0},
      {"pi", 1125899906842624.0},
      {"pb", 1e15},
      {"p", 1e15},
      {"eib", 1152921504606846976.0},
      {"ei", 1152921504606846976.0},
      {"eb", 1e18},
      {"e", 1e18},
  };
  size_t digits = 0;
  std::string num;
  while (digits < text.size() && (std::isdigit(static_cast<unsigned char>(text[digits])) != 0 ||
                                  text[digits] == '.' || text[digits] == ',')) {
    if (text[digits] != ',') {
      num += text[digits];
    }
    ++digits;
  }
  char* end = nullptr;
  double f = num.empty() ? 0 : std::strtod(num.c_str(), &end);
  if (num.empty() || end != num.c_str() + num.size()) {
    if (error != nullptr) {
      *error = "strconv.ParseFloat: parsing \"" + num + "\": invalid syntax";
    }
    return std::nullopt;
  }
  std::string unit = text.substr(digits);
  while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.front())) != 0) {
    unit.erase(unit.begin());
  }
  while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.back())) != 0) {
    unit.pop_back();
  }
  std::transform(unit.begin(), unit.end(), unit.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto it = kUnits.find(unit);
  if (it == kUnits.end()) {
    if (error != nullptr) {
      *error = "unhandled size name: " + unit;
    }
    return std::nullopt;
  }
  f *= it->second;
  if (f >= 18446744073709551615.0) {
    if (error != nullptr) {
      *error = "too large: " + text;
    }
    return std::nullopt;
  }
  return static_cast<uint64_t>(f);
}

void appendUnique(Json& arr, const std::string& value) {
  if (!arr.is_array())
    arr = Json::array();
  for (const auto& v : arr) {
    if (v == value)
      return;
  }
  arr.push_back(value);
}

}  // namespace gatehouse::parser::options
