// Go's time.ParseDuration in integer arithmetic, as Go does it: exact fractions, overflow
// reported as an invalid duration, units ns us µs μs ms s m h.

#include "templates/go_duration.h"

#include <limits>
#include <optional>
#include <string_view>

#include "templates/format.h"
#include "templates/value.h"

namespace gatehouse::templates {

namespace {

constexpr uint64_t kMaxInt64 = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

std::optional<uint64_t> unitNanos(std::string_view u) {
  if (u == "ns") return 1;
  if (u == "us" || u == "\xC2\xB5s" || u == "\xCE\xBCs") return 1000;
  if (u == "ms") return 1000000;
  if (u == "s") return 1000000000;
  if (u == "m") return 60ULL * 1000000000;
  if (u == "h") return 3600ULL * 1000000000;
  return std::nullopt;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

int64_t goParseDuration(const std::string& orig) {
  const auto invalid = [&orig]() { return TemplateError("time: invalid duration " + goQuote(orig)); };
  std::string_view s = orig;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    return 0;
  }
  if (s.empty()) {
    throw invalid();
  }
  uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || isDigit(s[0]))) {
      throw invalid();
    }
    // The integer part; more than int64 can hold is an invalid duration.
    uint64_t v = 0;
    size_t i = 0;
    for (; i < s.size() && isDigit(s[i]); ++i) {
      if (v > kMaxInt64 / 10) {
        throw invalid();
      }
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
      if (v > kMaxInt64) {
        throw invalid();
      }
    }
    const bool pre = i > 0;
    s.remove_prefix(i);
    // The fraction: digits past int64's precision are dropped, as Go's leadingFraction does.
    uint64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      size_t j = 0;
      bool overflow = false;
      for (; j < s.size() && isDigit(s[j]); ++j) {
        if (overflow) {
          continue;
        }
        if (f > kMaxInt64 / 10) {
          overflow = true;
          continue;
        }
        const uint64_t y = f * 10 + static_cast<uint64_t>(s[j] - '0');
        if (y > kMaxInt64) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s.remove_prefix(j);
    }
    if (!pre && !post) {
      throw invalid();
    }
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !isDigit(s[u])) {
      ++u;
    }
    if (u == 0) {
      throw TemplateError("time: missing unit in duration " + goQuote(orig));
    }
    const auto unit = unitNanos(s.substr(0, u));
    if (!unit) {
      throw TemplateError("time: unknown unit " + goQuote(std::string(s.substr(0, u))) + " in duration " +
                          goQuote(orig));
    }
    s.remove_prefix(u);
    if (v > kMaxInt64 / *unit) {
      throw invalid();
    }
    v *= *unit;
    if (f > 0) {
      v += static_cast<uint64_t>(static_cast<double>(f) * (static_cast<double>(*unit) / scale));
      if (v > kMaxInt64) {
        throw invalid();
      }
    }
    total += v;
    if (total > kMaxInt64) {
      throw invalid();
    }
  }
  return neg ? -static_cast<int64_t>(total) : static_cast<int64_t>(total);
}

}  // namespace gatehouse::templates
