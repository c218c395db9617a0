#include "router/escaped_path_match.h"

#include <algorithm>
#include <cctype>

#include "http/uri.h"
#include "router/matchers.h"

namespace gatehouse::router {

namespace {
// A byte no request path holds: it marks the empty segments between repeated slashes so
// the cleaning keeps them.
constexpr char kEmptySegment = '\xff';
}  // namespace

std::string cleanRequestPath(std::string_view path, bool mergeSlashes) {
  if (mergeSlashes) {
    return http::cleanPath(path);
  }
  std::string marked;
  marked.reserve(path.size() + 4);
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '/' && i > 0 && path[i - 1] == '/') {
      marked.push_back(kEmptySegment);
    }
    marked.push_back(path[i]);
  }
  std::string cleaned = http::cleanPath(marked);
  std::erase(cleaned, kEmptySegment);
  return cleaned;
}

bool matchEscapedPathPattern(const PathPattern& escapedPattern, std::string_view escapedPath) {
  const std::string_view pattern = escapedPattern.text;
  std::string built;
  size_t pi = 0;  // pattern cursor
  size_t si = 0;  // escaped path cursor
  while (pi < pattern.size() && si < escapedPath.size()) {
    // The path's next character: a decoded escape (its written form kept, hex lowercased)
    // or a plain byte. After an escape `si` rests on its last hex digit.
    std::string decoded(1, escapedPath[si]);
    std::string written;
    if (escapedPath[si] == '%' && si + 3 <= escapedPath.size()) {
      written = std::string(escapedPath.substr(si, 3));
      std::transform(written.begin(), written.end(), written.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      auto d = http::percentDecode(written);
      if (!d) {
        return false;
      }
      decoded = std::move(*d);
      si += 2;
    }
    const char pc = pattern[pi];
    if (pc == '%' && pi + 3 <= pattern.size() && pattern[pi + 1] != '*') {
      built += written;  // compared as written; empty when the path had no escape here
      si += 1;
      pi += 3;
      continue;
    }
    // "%*" (or a '%' too near the pattern's end to be an escape) is a wildcard whose span
    // stays escaped.
    const bool escapedWildcard = pc == '%';
    if (pc == '*' || escapedWildcard) {
      if (escapedWildcard) {
        ++pi;
      }
      // The span runs to the pattern's next character, or to the end of the path.
      std::string_view rest = escapedPath.substr(si);
      size_t span = rest.size();
      if (pi + 1 < pattern.size()) {
        span = rest.find(pattern[pi + 1]);
        if (span == std::string_view::npos) {
          return false;
        }
      }
      if (span > 0) {
        std::string_view piece = rest.substr(0, span);
        if (escapedWildcard) {
          built += piece;
        } else {
          auto d = http::percentDecode(piece);
          if (!d) {
            return false;
          }
          built += *d;
        }
        si += span;
      }
      ++pi;
      continue;
    }
    built += decoded;
    si += 1;
    pi += 1;
  }
  return globMatch(escapedPattern.escapedGlob, built);
}

}  // namespace gatehouse::router
