// Path patterns as Caddy's path matcher and file_server's hide list use them.

#include <algorithm>
#include <optional>

#include "router/matchers.h"

namespace gatehouse::router {

bool globMatch(std::string_view pattern, std::string_view name) {
  // Iterative matcher with single-star backtracking; '*' and '?' never cross '/'.
  size_t p = 0;
  size_t n = 0;
  size_t starP = std::string_view::npos;
  size_t starN = 0;
  auto classMatch = [&](size_t& pp, char c) -> std::optional<bool> {
    size_t i = pp + 1;
    bool negate = i < pattern.size() && pattern[i] == '^';
    if (negate) {
      ++i;
    }
    bool matched = false;
    bool first = true;
    while (i < pattern.size() && (first || pattern[i] != ']')) {
      first = false;
      char lo = pattern[i];
      if (lo == '\\' && i + 1 < pattern.size()) {
        lo = pattern[++i];
      }
      char hi = lo;
      if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
        hi = pattern[i + 2];
        if (hi == '\\' && i + 3 < pattern.size()) {
          hi = pattern[i + 3];
          ++i;
        }
        i += 2;
      }
      if (lo <= c && c <= hi) {
        matched = true;
      }
      ++i;
    }
    if (i >= pattern.size()) {
      return std::nullopt;  // malformed: Go reports ErrBadPattern, which never matches
    }
    pp = i + 1;
    return matched != negate;
  };
  while (n < name.size()) {
    if (p < pattern.size()) {
      char pc = pattern[p];
      if (pc == '*') {
        starP = p++;
        starN = n;
        continue;
      }
      if (pc == '?' && name[n] != '/') {
        ++p;
        ++n;
        continue;
      }
      if (pc == '[' && name[n] != '/') {
        size_t pp = p;
        auto r = classMatch(pp, name[n]);
        if (!r) {
          return false;
        }
        if (*r) {
          p = pp;
          ++n;
          continue;
        }
      } else if (pc == '\\' && p + 1 < pattern.size()) {
        if (pattern[p + 1] == name[n]) {
          p += 2;
          ++n;
          continue;
        }
      } else if (pc != '?' && pc != '[' && pc == name[n]) {
        ++p;
        ++n;
        continue;
      }
    }
    if (starP != std::string_view::npos && name[starN] != '/') {
      p = starP + 1;
      n = ++starN;
      continue;
    }
    return false;
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

bool matchPathPattern(std::string_view pattern, std::string_view reqPath) {
  if (pattern.empty()) {
    return reqPath.empty();
  }
  if (pattern == "*") {
    return true;
  }
  const bool pre = pattern.front() == '*';
  const bool suf = pattern.size() > 1 && pattern.back() == '*';
  if (pre && suf) {
    return reqPath.find(pattern.substr(1, pattern.size() - 2)) != std::string_view::npos;
  }
  // The fast suffix and prefix forms only when that '*' is the only one: "/*/v1/*" is a
  // glob (Caddy's MatchPath counts the wildcards first).
  const bool single = std::count(pattern.begin(), pattern.end(), '*') == 1;
  if (pre && single) {
    return reqPath.ends_with(pattern.substr(1));
  }
  if (suf && single) {
    return reqPath.starts_with(pattern.substr(0, pattern.size() - 1));
  }
  return globMatch(pattern, reqPath);
}

}  // namespace gatehouse::router
