#include "templates/go_parse_int.h"

#include <limits>

namespace gatehouse::templates {

namespace {

char lower(char c) {
  return static_cast<char>(c | 0x20);
}

// Go's underscoreOK: '_' only between digits (a base prefix counts as one), never last.
bool underscoresOk(std::string_view s) {
  char saw = '^';
  size_t i = 0;
  bool hex = false;
  if (s.size() >= 2 && s[0] == '0' && (lower(s[1]) == 'b' || lower(s[1]) == 'o' || lower(s[1]) == 'x')) {
    i = 2;
    saw = '0';
    hex = lower(s[1]) == 'x';
  }
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if ((c >= '0' && c <= '9') || (hex && lower(c) >= 'a' && lower(c) <= 'f')) {
      saw = '0';
    } else if (c == '_') {
      if (saw != '0') {
        return false;
      }
      saw = '_';
    } else {
      if (saw == '_') {
        return false;
      }
      saw = '!';
    }
  }
  return saw != '_';
}

int digitValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (lower(c) >= 'a' && lower(c) <= 'z') {
    return lower(c) - 'a' + 10;
  }
  return 99;
}

// strconv.ParseUint(s, base, 64) for base 10 or 0.
ParseIntResult parseUnsigned(std::string_view s, int base, uint64_t& out) {
  out = 0;
  if (s.empty()) {
    return ParseIntResult::Syntax;
  }
  const std::string_view whole = s;
  const bool base0 = base == 0;
  if (base0) {
    base = 10;
    if (s[0] == '0') {
      if (s.size() >= 3 && (lower(s[1]) == 'b' || lower(s[1]) == 'o' || lower(s[1]) == 'x')) {
        base = lower(s[1]) == 'b' ? 2 : lower(s[1]) == 'o' ? 8 : 16;
        s.remove_prefix(2);
      } else {
        base = 8;
        s.remove_prefix(1);
      }
    }
  }
  bool underscores = false;
  bool range = false;
  const auto ubase = static_cast<uint64_t>(base);
  for (char c : s) {
    if (c == '_' && base0) {
      underscores = true;
      continue;
    }
    const int d = digitValue(c);
    if (d >= base) {
      out = 0;
      return ParseIntResult::Syntax;
    }
    if (range) {
      continue;
    }
    if (out > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) / ubase) {
      range = true;
      out = std::numeric_limits<uint64_t>::max();
      continue;
    }
    out = out * ubase + static_cast<uint64_t>(d);
  }
  if (underscores && !underscoresOk(whole)) {
    out = 0;
    return ParseIntResult::Syntax;
  }
  return range ? ParseIntResult::Range : ParseIntResult::Ok;
}

}  // namespace

ParseIntResult goParseInt(std::string_view s, int base, int64_t& out) {
  out = 0;
  if (s.empty()) {
    return ParseIntResult::Syntax;
  }
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  uint64_t magnitude = 0;
  const ParseIntResult r = parseUnsigned(s, base, magnitude);
  if (r == ParseIntResult::Syntax) {
    return r;
  }
  constexpr uint64_t kCutoff = uint64_t{1} << 63;
  if (!negative && magnitude >= kCutoff) {
    out = std::numeric_limits<int64_t>::max();
    return ParseIntResult::Range;
  }
  if (negative && magnitude > kCutoff) {
    out = std::numeric_limits<int64_t>::min();
    return ParseIntResult::Range;
  }
  out = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return r;
}

int64_t castStringToInt64(std::string_view s) {
  // cast's trimZeroDecimal: "12.000" -> "12" (".0" -> "", which then fails).
  bool sawZero = false;
  for (size_t i = s.size(); i > 0; --i) {
    const char c = s[i - 1];
    if (c == '0') {
      sawZero = true;
      continue;
    }
    if (c == '.' && sawZero) {
      s = s.substr(0, i - 1);
    }
    break;
  }
  int64_t n = 0;
  return goParseInt(s, 0, n) == ParseIntResult::Ok ? n : 0;
}

int64_t goAtoi(std::string_view s) {
  int64_t n = 0;
  goParseInt(s, 10, n);
  return n;
}

}  // namespace gatehouse::templates
