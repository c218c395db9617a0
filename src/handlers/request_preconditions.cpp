#include "handlers/request_preconditions.h"

#include <algorithm>
#include <charconv>

namespace gatehouse::handlers {

RangeResult parseRange(std::string_view h, uint64_t size, ByteRange& out, std::vector<ByteRange>& all) {
  if (!h.starts_with("bytes=")) {
    return RangeResult::Invalid;
  }
  h.remove_prefix(6);
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
      s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
      s.remove_suffix(1);
    }
    return s;
  };
  auto num = [](std::string_view s, uint64_t& v) {
    if (!s.empty() && s.front() == '+') {
      s.remove_prefix(1);  // strconv.ParseInt accepts a sign
    }
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size() && !s.empty() &&
           v <= static_cast<uint64_t>(INT64_MAX);
  };
  size_t count = 0;
  uint64_t total = 0;
  bool noOverlap = false;
  while (true) {
    size_t comma = h.find(',');
    std::string_view ra = trim(h.substr(0, comma));
    if (!ra.empty()) {
      size_t dash = ra.find('-');
      if (dash == std::string_view::npos) {
        return RangeResult::Invalid;
      }
      std::string_view a = trim(ra.substr(0, dash));
      std::string_view b = trim(ra.substr(dash + 1));
      uint64_t x = 0;
      uint64_t y = 0;
      ByteRange r;
      bool skip = false;
      if (a.empty()) {
        if (b.empty() || b.front() == '-' || !num(b, y)) {
          return RangeResult::Invalid;
        }
        y = std::min(y, size);
        r = ByteRange{size - y, y};
      } else {
        if (!num(a, x)) {
          return RangeResult::Invalid;
        }
        if (x >= size) {
          noOverlap = true;
          skip = true;
        } else if (b.empty()) {
          r = ByteRange{x, size - x};
        } else {
          if (!num(b, y) || x > y) {
            return RangeResult::Invalid;
          }
          y = std::min(y, size - 1);
          r = ByteRange{x, y - x + 1};
        }
      }
      if (!skip) {
        if (count == 0) {
          out = r;
        }
        all.push_back(r);
        ++count;
        total += r.length;
      }
    }
    if (comma == std::string_view::npos) {
      break;
    }
    h.remove_prefix(comma + 1);
  }
  if (count == 0) {
    return noOverlap ? RangeResult::NoOverlap : RangeResult::None;
  }
  if (total > size) {
    return RangeResult::None;  // Go ignores ranges that add up to more than the file
  }
  if (count > 1) {
    return RangeResult::Several;
  }
  // A zero-length suffix ("bytes=-0") is an empty 206 in Go 1.19 ("bytes 100-99/100"); on an
  // empty file that range would print as "0--1/0", so it stays unsatisfiable there.
  return out.length == 0 && size == 0 ? RangeResult::NoOverlap : RangeResult::One;
}

bool etagMatches(std::string_view header, std::string_view etag, bool weak) {
  auto strip = [](std::string_view t) { return t.starts_with("W/") ? t.substr(2) : t; };
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view tok = header.substr(0, comma);
    while (!tok.empty() && (tok.front() == ' ' || tok.front() == '\t')) {
      tok.remove_prefix(1);
    }
    while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\t')) {
      tok.remove_suffix(1);
    }
    if (tok == "*") {
      return true;
    }
    if (weak ? strip(tok) == strip(etag) : (tok == etag && !tok.starts_with("W/"))) {
      return true;
    }
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
  }
  return false;
}

}  // namespace gatehouse::handlers
