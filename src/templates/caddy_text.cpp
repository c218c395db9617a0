// Caddy's stripHTML and humanize "size" (go-humanize's Bytes, SI units).

#include <cmath>
#include <cstdio>

#include "templates/caddy_context.h"

namespace gatehouse::templates {

std::string stripHtml(const std::string& s) {
  // As Caddy's naive stripper: drops <...> (quotes may hold '>'); a '<' inside a tag
  // restarts it and keeps the false start; an unclosed tag is kept as text.
  std::string out;
  bool inTag = false;
  bool inQuotes = false;
  size_t tagStart = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (inTag) {
      if (c == '>' && !inQuotes) {
        inTag = false;
      } else if (c == '<' && !inQuotes) {
        out.append(s, tagStart, i - tagStart);
        tagStart = i;
      } else if (c == '"') {
        inQuotes = !inQuotes;
      }
      continue;
    }
    if (c == '<') {
      inTag = true;
      tagStart = i;
      continue;
    }
    out += c;
  }
  if (inTag) {
    out.append(s, tagStart, std::string::npos);
  }
  return out;
}

std::string humanizeBytes(uint64_t n) {
  if (n < 10) {
    return std::to_string(n) + " B";
  }
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  const double e = std::floor(std::log(static_cast<double>(n)) / std::log(1000.0));
  const double val = std::floor(static_cast<double>(n) / std::pow(1000.0, e) * 10 + 0.5) / 10;
  char buf[64];
  std::snprintf(buf, sizeof buf, val < 10 ? "%.1f %s" : "%.0f %s", val, kUnits[static_cast<int>(e)]);
  return buf;
}

}  // namespace gatehouse::templates
