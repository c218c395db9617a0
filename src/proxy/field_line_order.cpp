#include "proxy/field_line_order.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

namespace gatehouse::proxy {

namespace {

struct Line {
  uint32_t at;    // offset in head
  uint32_t size;  // with its CRLF
  uint32_t name;  // the name's length
};

// The lines of head[from, end), counted all; only the first `cap` are stored in out. A
// line ends at its LF (the proxy writes no bare CR or LF inside a value).
size_t splitLines(const std::string& head, size_t from, Line* out, size_t cap) {
  size_t n = 0;
  const char* const base = head.data();
  const char* at = base + from;
  const char* const end = base + head.size();
  while (at < end) {
    const auto* lf = static_cast<const char*>(std::memchr(at, '\n', static_cast<size_t>(end - at)));
    const char* next = lf == nullptr ? end : lf + 1;
    if (n < cap) {
      const auto* colon = static_cast<const char*>(std::memchr(at, ':', static_cast<size_t>(next - at)));
      out[n] = Line{static_cast<uint32_t>(at - base), static_cast<uint32_t>(next - at),
                    static_cast<uint32_t>((colon == nullptr ? next : colon) - at)};
    }
    ++n;
    at = next;
  }
  return n;
}

// Bytewise, as Go compares its header keys.
bool nameBefore(const char* base, const Line& a, const Line& b) {
  const int c = std::memcmp(base + a.at, base + b.at, std::min(a.name, b.name));
  return c < 0 || (c == 0 && a.name < b.name);
}

// Sorts the lines by name (stable), then writes them back over head[from, end) through a
// copy (on the stack when small).
void rewrite(std::string& head, size_t from, Line* lines, size_t n) {
  const char* base = head.data();
  const auto byName = [base](const Line& a, const Line& b) { return nameBefore(base, a, b); };
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
  const size_t size = head.size() - from;
  std::array<char, 2048> small;
  std::string large;
  char* copy = small.data();
  if (size > small.size()) {
    large.resize(size);
    copy = large.data();
  }
  char* to = copy;
  for (size_t i = 0; i < n; ++i) {
    std::memcpy(to, base + lines[i].at, lines[i].size);
    to += lines[i].size;
  }
  std::memcpy(head.data() + from, copy, size);
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
