#include "log/json_text.h"

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>

#include "log/log_entry.h"

namespace gatehouse::log {

int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// Length of the valid UTF-8 sequence at s[0], or 0 when it is not one.
size_t utf8Length(std::string_view s) {
  const auto c = static_cast<unsigned char>(s[0]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || n > s.size()) {
    return 0;
  }
  for (size_t i = 1; i < n; ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      return 0;
    }
  }
  // Overlong forms and surrogates are invalid, as Go's utf8.DecodeRuneInString says.
  const auto c1 = static_cast<unsigned char>(s.size() > 1 ? s[1] : 0);
  if ((n == 2 && c < 0xC2) || (n == 3 && c == 0xE0 && c1 < 0xA0) || (n == 3 && c == 0xED && c1 >= 0xA0) ||
      (n == 4 && c == 0xF0 && c1 < 0x90) || (n == 4 && (c > 0xF4 || (c == 0xF4 && c1 >= 0x90)))) {
    return 0;
  }
  return n;
}

}  // namespace

void appendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  while (!s.empty()) {
    const auto c = static_cast<unsigned char>(s[0]);
    if (c >= 0x80) {
      size_t n = utf8Length(s);
      if (n == 0) {
        out += "\\ufffd";
        s.remove_prefix(1);
      } else {
        out.append(s.substr(0, n));
        s.remove_prefix(n);
      }
      continue;
    }
    s.remove_prefix(1);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void appendJsonNumber(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "\"NaN\"";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "\"+Inf\"" : "\"-Inf\"";
    return;
  }
  std::array<char, 512> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed);
  if (ec != std::errc()) {
    out += "0";
    return;
  }
  out.append(buf.data(), end);
}

void appendJson(std::string& out, const config::Json& v, bool spaced) {
  switch (v.type()) {
    case config::Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, val] : v.items()) {
        if (!first) {
          out += spaced ? ", " : ",";
        }
        first = false;
        appendJsonString(out, k);
        out += spaced ? ": " : ":";
        appendJson(out, val, spaced);
      }
      out += '}';
      break;
    }
    case config::Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& val : v) {
        if (!first) {
          out += spaced ? ", " : ",";
        }
        first = false;
        appendJson(out, val, spaced);
      }
      out += ']';
      break;
    }
    case config::Json::value_t::string:
      appendJsonString(out, v.get_ref<const std::string&>());
      break;
    case config::Json::value_t::number_float:
      appendJsonNumber(out, v.get<double>());
      break;
    case config::Json::value_t::number_integer:
      out += std::to_string(v.get<int64_t>());
      break;
    case config::Json::value_t::number_unsigned:
      out += std::to_string(v.get<uint64_t>());
      break;
    case config::Json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      break;
    default:
      out += "null";
  }
}

}  // namespace gatehouse::log
