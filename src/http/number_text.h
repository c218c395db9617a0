#pragma once
// Unsigned numbers appended to a string as text, without std::to_string's temporary: the
// HTTP/1.1 writers use them for status codes, Content-Length and chunk sizes.

#include <cstdint>
#include <string>

namespace gatehouse::http {

inline void appendDecimal(std::string& out, uint64_t v) {
  char buf[24];
  char* p = buf + sizeof(buf);
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out.append(p, static_cast<size_t>(buf + sizeof(buf) - p));
}

inline void appendHex(std::string& out, uint64_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[20];
  char* p = buf + sizeof(buf);
  do {
    *--p = kHex[v & 15];
    v >>= 4;
  } while (v != 0);
  out.append(p, static_cast<size_t>(buf + sizeof(buf) - p));
}

}  // namespace gatehouse::http
