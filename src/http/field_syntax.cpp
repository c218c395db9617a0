#include "http/field_syntax.h"

#include <array>

namespace gatehouse::http {

namespace {
// Byte classes as tables: these run over every field of every request and response.
using ByteSet = std::array<bool, 256>;

constexpr ByteSet makeSet(std::string_view extra, bool alnum) {
  ByteSet set{};
  for (int c = 0; c < 256 && alnum; ++c) {
    set[static_cast<size_t>(c)] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }
  for (char c : extra) {
    set[static_cast<unsigned char>(c)] = true;
  }
  return set;
}

constexpr ByteSet kToken = makeSet("!#$%&'*+-.^_`|~", true);
constexpr ByteSet kHost = makeSet("!$%&'()*+,-.:;=[]_~", true);

// 1 for a control byte other than HTAB, and DEL.
constexpr ByteSet kBadValue = [] {
  ByteSet set{};
  for (int c = 0; c < 0x20; ++c) {
    set[static_cast<size_t>(c)] = c != '\t';
  }
  set[0x7f] = true;
  return set;
}();

bool allIn(const ByteSet& set, std::string_view s) {
  for (char c : s) {
    if (!set[static_cast<unsigned char>(c)]) {
      return false;
    }
  }
  return true;
}
}  // namespace

bool isTokenChar(unsigned char c) { return kToken[c]; }

bool validFieldName(std::string_view name) { return !name.empty() && allIn(kToken, name); }

bool validFieldValue(std::string_view value) {
  bool bad = false;
  for (char c : value) {
    bad |= kBadValue[static_cast<unsigned char>(c)];  // no early exit: values are short
  }
  return !bad;
}

bool validHostHeader(std::string_view host) { return allIn(kHost, host); }

}  // namespace gatehouse::http
