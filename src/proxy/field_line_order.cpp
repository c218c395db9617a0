#include "proxy/field_line_order.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace gatehouse::proxy {

namespace {

struct Line {
  uint32_t at;    // offset in head
  uint32_t size;  // with its CRLF
  uint32_t name;  // the name's length
};

// The lines of head[from, end), counted all; only the first `cap` are stored in out.
size_t splitLines(const std::string& head, size_t from, Line* out, size_t cap) {
  size_t n = 0;
  size_t at = from;
  while (at < head.size()) {
    const size_t eol = head.find("\r\n", at);
    const size_t colon = head.find(':', at);
    const size_t end = eol == std::string::npos ? head.size() : eol + 2;
    if (n < cap) {
      out[n] = Line{static_cast<uint32_t>(at), static_cast<uint32_t>(end - at),
                    static_cast<uint32_t>(std::min(colon, end) - at)};
    }
    ++n;
    at = end;
  }
  return n;
}

// Writes the lines in order by name (stable), then moves them back over head[from, end).
void rewrite(std::string& head, size_t from, Line* lines, size_t n) {
  const auto byName = [&head](const Line& a, const Line& b) {
    return std::string_view(head.data() + a.at, a.name) < std::string_view(head.data() + b.at, b.name);
  };
  if (std::is_sorted(lines, lines + n, byName)) {
    return;
  }
  if (n <= 64) {
    // Insertion sort: stable and allocation-free (std::stable_sort takes a buffer).
    for (size_t i = 1; i < n; ++i) {
      const Line cur = lines[i];
      size_t j = i;
      for (; j > 0 && byName(cur, lines[j - 1]); --j) {
        lines[j] = lines[j - 1];
      }
      lines[j] = cur;
    }
  } else {
    std::stable_sort(lines, lines + n, byName);
  }
  const size_t end = head.size();
  head.resize(end + (end - from));  // the sorted copy goes past the end: offsets stay valid
  char* to = head.data() + end;
  for (size_t i = 0; i < n; ++i) {
    std::memcpy(to, head.data() + lines[i].at, lines[i].size);
    to += lines[i].size;
  }
  std::memmove(head.data() + from, head.data() + end, end - from);
  head.resize(end);
}

}  // namespace

void sortFieldLines(std::string& head, size_t from) {
  std::array<Line, 64> small;
  const size_t n = splitLines(head, from, small.data(), small.size());
  if (n <= small.size()) {
    rewrite(head, from, small.data(), n);
    return;
  }
  std::vector<Line> lines(n);
  splitLines(head, from, lines.data(), n);
  rewrite(head, from, lines.data(), n);
}

}  // namespace gatehouse::proxy
