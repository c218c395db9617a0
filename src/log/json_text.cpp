#include "log/json_text.h"

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>

#include "gatehouse/utf8.h"
#include "log/log_entry.h"

namespace gatehouse::log {

int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void appendJsonString(std::string& out, std::string_view s, JsonEscapes escapes) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  while (!s.empty()) {
    const auto c = static_cast<unsigned char>(s[0]);
    if (c >= 0x80) {
      const size_t n = validUtf8Length(s);
      if (n == 0) {
        out += "\\ufffd";
        s.remove_prefix(1);
      } else if (escapes.lineSeparators && (s.substr(0, n) == "\u2028" || s.substr(0, n) == "\u2029")) {
        out += s.substr(0, n) == "\u2028" ? "\\u2028" : "\\u2029";
        s.remove_prefix(n);
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
        if (c < 0x20 || (escapes.html && (c == '<' || c == '>' || c == '&'))) {
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
