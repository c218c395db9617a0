// Go's time.ParseDuration: each "<number><unit>" term summed in unsigned 64-bit arithmetic,
// so results and overflow limits are Go's exactly (a double loses nanoseconds past 2^53).
#include "gatehouse/parser/go_duration.h"

#include <limits>

namespace gatehouse::parser {
namespace {

constexpr uint64_t kMaxInt64 = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

std::optional<uint64_t> unitNanos(std::string_view u) {
  if (u == "ns")
    return 1;
  if (u == "us" || u == "\xC2\xB5s" || u == "\xCE\xBCs")
    return 1000;
  if (u == "ms")
    return 1000000;
  if (u == "s")
    return 1000000000;
  if (u == "m")
    return 60ULL * 1000000000;
  if (u == "h")
    return 3600ULL * 1000000000;
  return std::nullopt;
}

// The time package's own quoting: `"` and `\` escaped, bytes outside printable ASCII as \xNN.
std::string quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x80) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
      continue;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += ch;
  }
  return out + "\"";
}

struct Term {
  uint64_t whole = 0;     // the integer part
  uint64_t fraction = 0;  // the fraction's digits that fit, over `scale`
  double scale = 1;
  bool ok = false;  // digits on at least one side of the '.'
  bool overflow = false;
};

// Reads "123.456" off the front of s; fraction digits past int64's precision are dropped.
Term readNumber(std::string_view& s) {
  Term t;
  size_t i = 0;
  for (; i < s.size() && isDigit(s[i]); ++i) {
    if (t.whole > kMaxInt64 / 10) {
      t.overflow = true;
      return t;
    }
    t.whole = t.whole * 10 + static_cast<uint64_t>(s[i] - '0');
    if (t.whole > kMaxInt64) {
      t.overflow = true;
      return t;
    }
  }
  bool digits = i > 0;
  s.remove_prefix(i);
  if (!s.empty() && s[0] == '.') {
    s.remove_prefix(1);
    size_t j = 0;
    bool full = false;
    for (; j < s.size() && isDigit(s[j]); ++j) {
      if (full) {
        continue;
      }
      const uint64_t next = t.fraction * 10 + static_cast<uint64_t>(s[j] - '0');
      if (t.fraction > kMaxInt64 / 10 || next > kMaxInt64) {
        full = true;
        continue;
      }
      t.fraction = next;
      t.scale *= 10;
    }
    digits = digits || j > 0;
    s.remove_prefix(j);
  }
  t.ok = digits;
  return t;
}

}  // namespace

std::optional<int64_t> parseGoDuration(std::string_view text, std::string* error) {
  const auto fail = [&](std::string msg) -> std::optional<int64_t> {
    if (error != nullptr) {
      *error = std::move(msg);
    }
    return std::nullopt;
  };
  const auto invalid = [&]() { return fail("time: invalid duration " + quote(text)); };
  std::string_view s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    return 0;
  }
  if (s.empty()) {
    return invalid();
  }
  uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || isDigit(s[0]))) {
      return invalid();
    }
    const Term t = readNumber(s);
    if (t.overflow || !t.ok) {
      return invalid();
    }
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !isDigit(s[u])) {
      ++u;
    }
    if (u == 0) {
      return fail("time: missing unit in duration " + quote(text));
    }
    const auto unit = unitNanos(s.substr(0, u));
    if (!unit) {
      return fail("time: unknown unit " + quote(s.substr(0, u)) + " in duration " + quote(text));
    }
    s.remove_prefix(u);
    if (t.whole > kMaxInt64 / *unit) {
      return invalid();
    }
    uint64_t v = t.whole * *unit;
    if (t.fraction > 0) {
      v += static_cast<uint64_t>(static_cast<double>(t.fraction) * (static_cast<double>(*unit) / t.scale));
      if (v > kMaxInt64) {
        return invalid();
      }
    }
    total += v;
    if (total > kMaxInt64) {
      return invalid();
    }
  }
  return neg ? -static_cast<int64_t>(total) : static_cast<int64_t>(total);
}

std::string goDurationString(int64_t nanos) {
  if (nanos == 0) {
    return "0s";
  }
  // Built backwards, as Go does: unit, fraction, then larger units.
  const bool neg = nanos < 0;
  uint64_t u = neg ? static_cast<uint64_t>(-(nanos + 1)) + 1 : static_cast<uint64_t>(nanos);
  std::string rev;
  auto putInt = [&rev](uint64_t v) {
    do {
      rev += static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v > 0);
  };
  // Writes u's low `prec` digits as a fraction (trailing zeros dropped), returns u / 10^prec.
  auto putFrac = [&rev](uint64_t v, int prec) {
    bool print = false;
    for (int i = 0; i < prec; ++i) {
      const auto digit = static_cast<char>(v % 10);
      print = print || digit != 0;
      if (print) {
        rev += static_cast<char>('0' + digit);
      }
      v /= 10;
    }
    if (print) {
      rev += '.';
    }
    return v;
  };
  if (u < 1000000000ull) {
    int prec = 0;
    if (u < 1000) {
      rev += "sn";
    } else if (u < 1000000) {
      rev += "s\xb5\xc2";  // "µs" (U+00B5 is C2 B5) byte-reversed
      prec = 3;
    } else {
      rev += "sm";
      prec = 6;
    }
    u = putFrac(u, prec);
    putInt(u);
  } else {
    rev += 's';
    u = putFrac(u, 9);
    putInt(u % 60);
    u /= 60;
    if (u > 0) {
      rev += 'm';
      putInt(u % 60);
      u /= 60;
      if (u > 0) {
        rev += 'h';
        putInt(u);
      }
    }
  }
  if (neg) {
    rev += '-';
  }
  return std::string(rev.rbegin(), rev.rend());
}

}  // namespace gatehouse::parser
