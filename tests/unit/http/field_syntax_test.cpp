#include "http/field_syntax.h"

#include <catch2/catch.hpp>
#include <cctype>
#include <string>

using gatehouse::http::lowerTokenChar;
using gatehouse::http::validFieldValue;

namespace {
bool badValueByte(int c) {
  return (c < 0x20 && c != '\t') || c == 0x7f;
}
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

TEST_CASE("field names: canonicalFieldName recases a token as Go's CanonicalMIMEHeaderKey") {
  using gatehouse::http::canonicalFieldName;
  auto canon = [](std::string n) {
    const bool ok = canonicalFieldName(n);
    return ok ? n : "<invalid>";
  };
  CHECK(canon("content-type") == "Content-Type");
  CHECK(canon("CONTENT-LENGTH") == "Content-Length");
  CHECK(canon("x-a--b") == "X-A--B");
  CHECK(canon("te") == "Te");
  CHECK(canon("x_foo-bar") == "X_foo-Bar");  // '_' starts no word, as in Go
  CHECK(canon("-x") == "-X");
  CHECK(canon("1st-2nd") == "1st-2nd");
  CHECK(canon("etag") == "Etag");
  CHECK(canon("") == "<invalid>");
  CHECK(canon("bad name") == "<invalid>");
  CHECK(canon("bad:name") == "<invalid>");
  CHECK(canon("caf\xc3\xa9") == "<invalid>");
  // Names that already are canonical (the common upstream ones take a shortcut) and their
  // other spellings give the same result.
  for (const char* known : {"Date", "Vary", "Etag", "Server", "Expires", "Connection", "Set-Cookie",
                            "Content-Type", "Last-Modified", "Accept-Ranges", "Cache-Control",
                            "Content-Length", "Content-Encoding", "Transfer-Encoding"}) {
    std::string upper(known);
    std::string lower(known);
    for (size_t i = 0; i < upper.size(); ++i) {
      upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
      lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(lower[i])));
    }
    CHECK(canon(known) == known);
    CHECK(canon(upper) == known);
    CHECK(canon(lower) == known);
  }
  CHECK(canon("ETag") == "Etag");
  CHECK(canon("Content-type") == "Content-Type");
  CHECK(canon("Date ") == "<invalid>");
  CHECK(canon("Server:") == "<invalid>");
  // Every byte: a token byte keeps the name valid, any other byte makes it invalid.
  for (int c = 0; c < 256; ++c) {
    std::string n = std::string("a") + static_cast<char>(c);
    CHECK(canonicalFieldName(n) == (lowerTokenChar(static_cast<unsigned char>(c)) != 0));
  }
}
