#include <catch2/catch.hpp>

#include <string>

#include "http/field_syntax.h"

using gatehouse::http::lowerTokenChar;
using gatehouse::http::validFieldValue;

namespace {
bool badValueByte(int c) { return (c < 0x20 && c != '\t') || c == 0x7f; }
}  // namespace

TEST_CASE("field values: every byte at every position of the word-at-a-time check") {
  // validFieldValue reads eight bytes at a time; each byte value is tried at each offset of
  // values up to three words long, in text with and without a HTAB elsewhere.
  for (const char filler : {'a', '\t', '\x80'}) {
    for (size_t len = 1; len <= 24; ++len) {
      for (size_t at = 0; at < len; ++at) {
        for (int c = 0; c < 256; ++c) {
          std::string v(len, filler);
          v[at] = static_cast<char>(c);
          if (validFieldValue(v) == badValueByte(c)) {
            FAIL("byte " << c << " at " << at << " of " << len << " (filler " << int(filler) << ")");
          }
        }
      }
    }
  }
  CHECK(validFieldValue(""));
  CHECK(validFieldValue("text/plain; charset=utf-8"));
  CHECK_FALSE(validFieldValue("text/plain;\r\ncharset=utf-8"));
}

TEST_CASE("field names: lowerTokenChar lowercases token bytes and refuses the rest") {
  CHECK(lowerTokenChar('A') == 'a');
  CHECK(lowerTokenChar('z') == 'z');
  CHECK(lowerTokenChar('-') == '-');
  CHECK(lowerTokenChar('~') == '~');
  CHECK(lowerTokenChar(' ') == 0);
  CHECK(lowerTokenChar(':') == 0);
  CHECK(lowerTokenChar(0x80) == 0);
  CHECK(lowerTokenChar(0) == 0);
}
