#include "http/field_syntax.h"

#include <array>
#include <cstdint>
#include <cstring>

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

// kToken with letters lowercased; 0 outside it.
constexpr std::array<char, 256> kLowerToken = [] {
  std::array<char, 256> map{};
  for (int c = 0; c < 256; ++c) {
    if (kToken[static_cast<size_t>(c)]) {
      map[static_cast<size_t>(c)] = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
  }
  return map;
}();

// kToken with letters uppercased; 0 outside it.
constexpr std::array<char, 256> kUpperToken = [] {
  std::array<char, 256> map{};
  for (int c = 0; c < 256; ++c) {
    if (kToken[static_cast<size_t>(c)]) {
      map[static_cast<size_t>(c)] = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    }
  }
  return map;
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

bool isTokenChar(unsigned char c) {
  return kToken[c];
}

bool validFieldName(std::string_view name) {
  return !name.empty() && allIn(kToken, name);
}

char lowerTokenChar(unsigned char c) {
  return kLowerToken[c];
}

namespace {
// The fields most upstreams answer with, as they already spell them: one length switch and
// one fixed-size compare instead of a table lookup a byte (a proxied response's names are
// recased on every request).
bool knownCanonical(std::string_view n) {
  switch (n.size()) {
    case 4:
      return n == "Date" || n == "Vary" || n == "Etag";
    case 6:
      return n == "Server";
    case 7:
      return n == "Expires";
    case 10:
      return n == "Connection" || n == "Set-Cookie";
    case 12:
      return n == "Content-Type";
    case 13:
      return n == "Last-Modified" || n == "Accept-Ranges" || n == "Cache-Control";
    case 14:
      return n == "Content-Length";
    case 16:
      return n == "Content-Encoding";
    case 17:
      return n == "Transfer-Encoding";
    default:
      return false;
  }
}
}  // namespace

bool canonicalFieldName(std::string& name) {
  if (knownCanonical(name)) {
    return true;
  }
  if (name.empty()) {
    return false;
  }
  // A table per case: one lookup a byte both checks it and gives its new case.
  const std::array<char, 256>* map = &kUpperToken;
  for (char& c : name) {
    const char to = (*map)[static_cast<unsigned char>(c)];
    if (to == 0) {
      return false;
    }
    c = to;
    map = to == '-' ? &kUpperToken : &kLowerToken;
  }
  return true;
}

bool validFieldValue(std::string_view value) {
  // Eight bytes at a time while none is below 0x20 or DEL (the usual case); a word with
  // one (HTAB is allowed) is left to the exact byte loop.
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  const char* p = value.data();
  size_t n = value.size();
  while (n >= 8) {
    uint64_t x = 0;
    std::memcpy(&x, p, sizeof(x));
    const uint64_t del = x ^ (kOnes * 0x7f);
    if ((((x - kOnes * 0x20) & ~x) | ((del - kOnes) & ~del)) & kHighs) {
      break;
    }
    p += 8;
    n -= 8;
  }
  bool bad = false;
  for (; n > 0; --n, ++p) {
    bad |= kBadValue[static_cast<unsigned char>(*p)];  // no early exit: few bytes left
  }
  return !bad;
}

bool validHostHeader(std::string_view host) {
  return allIn(kHost, host);
}

}  // namespace gatehouse::http
