#pragma once
// HTML escaping as Go's html.EscapeString does it, which caddy's browse pages, redirect
// pages and templates all rely on; outputs must match theirs byte for byte.

#include <string>
#include <string_view>

namespace gatehouse {

// The entity Go writes for `c`, or nullptr when `c` stands as it is.
inline const char* goHtmlEntity(char c) {
  switch (c) {
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '&':
      return "&amp;";
    case '\'':
      return "&#39;";
    case '"':
      return "&#34;";
    default:
      return nullptr;
  }
}

inline std::string htmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (const char* entity = goHtmlEntity(c))
      out += entity;
    else
      out += c;
  }
  return out;
}

}  // namespace gatehouse
