#include "handlers/path_change.h"

#include <cctype>

#include "http/uri.h"

namespace gatehouse::handlers {

namespace {

bool sameFold(char a, char b) {
  return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
}

// One character of the escaped path at i (decoding a %XX unless the pattern writes '%'
// there); sets width to how many path bytes it spans. False on a malformed escape.
bool pathChar(std::string_view path, size_t i, bool patternEscapes, char& ch, size_t& width) {
  width = 1;
  ch = path[i];
  if (ch != '%' || patternEscapes || i + 3 > path.size()) {
    return true;
  }
  auto decoded = http::percentDecode(path.substr(i, 3));
  if (!decoded) {
    return false;
  }
  ch = (*decoded)[0];
  width = 3;
  return true;
}

}  // namespace

std::string cleanPathSlashes(std::string_view path, bool mergeSlashes) {
  if (mergeSlashes) {
    return http::cleanPath(path);
  }
  // Keep empty segments: mark each second slash of a pair with a byte no URI path holds,
  // clean, then drop the marks (as Caddy does).
  constexpr char kMark = '\xff';
  std::string marked;
  marked.reserve(path.size() * 2);
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '/' && i > 0 && path[i - 1] == '/') {
      marked += kMark;
    }
    marked += path[i];
  }
  std::string cleaned = http::cleanPath(marked);
  std::erase(cleaned, kMark);
  return cleaned;
}

std::string trimEscapedPrefix(std::string_view escapedPath, std::string_view prefix) {
  size_t ip = 0;
  size_t ix = 0;
  while (ip < escapedPath.size() && ix < prefix.size()) {
    char ch = 0;
    size_t width = 1;
    if (!pathChar(escapedPath, ip, prefix[ix] == '%', ch, width) || !sameFold(ch, prefix[ix])) {
      return std::string(escapedPath);
    }
    ip += width;
    ++ix;
  }
  if (ix < prefix.size()) {
    return std::string(escapedPath);  // the path ended first (2.6.2 trimmed it anyway)
  }
  return std::string(escapedPath.substr(ip));
}

std::string trimEscapedSuffix(std::string_view escapedPath, std::string_view suffix) {
  size_t ip = escapedPath.size();
  size_t ix = suffix.size();
  while (ip > 0 && ix > 0) {
    const bool pathEscape = ip >= 3 && escapedPath[ip - 3] == '%';
    const bool suffixEscape = ix >= 3 && suffix[ix - 3] == '%';
    char ch = escapedPath[ip - 1];
    size_t step = 1;
    if (pathEscape && !suffixEscape) {
      auto decoded = http::percentDecode(escapedPath.substr(ip - 3, 3));
      if (!decoded) {
        return std::string(escapedPath);
      }
      ch = (*decoded)[0];
      step = 3;
    }
    if (!sameFold(ch, suffix[ix - 1])) {
      return std::string(escapedPath);
    }
    ip -= step;
    --ix;
  }
  if (ix > 0) {
    return std::string(escapedPath);
  }
  return std::string(escapedPath.substr(0, ip));
}

void changePath(runtime::Request& r, const std::function<std::string(std::string_view)>& edit) {
  std::string raw = edit(r.rawPath);
  auto decoded = http::percentDecode(raw);
  if (decoded && !decoded->empty()) {
    r.path = std::move(*decoded);
  } else {
    r.path = edit(r.path);
  }
  // Caddy clears a RawPath equal to the path, so URL.EscapedPath escapes the path afresh
  // ("/x!" reads back "/x%21"); a raw form that differs stays while it spells the path.
  r.rawPath = raw == r.path ? http::goEscapePath(r.path) : http::goEscapedPath(r.path, raw);
}

}  // namespace gatehouse::handlers
