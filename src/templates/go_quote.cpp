#include "templates/go_quote.h"

#include <cstdio>

#include "gatehouse/utf8.h"

namespace gatehouse::templates {

namespace {

// unicode.IsPrint outside ASCII, for the code points text meets: the C1 controls, the
// non-ASCII spaces, format characters, separators, private use and non-characters are
// not printable (strconv escapes them).
bool goIsPrint(uint32_t r) {
  if (r < 0xA0) {
    return r >= 0x20 && r < 0x7F;
  }
  if (r == 0xA0 || r == 0xAD || r == 0x1680 || r == 0x180E || r == 0x3000 || r == 0xFEFF) {
    return false;
  }
  if ((r >= 0x2000 && r <= 0x200F) || (r >= 0x2028 && r <= 0x202F) || (r >= 0x205F && r <= 0x206F)) {
    return false;
  }
  if ((r >= 0xE000 && r <= 0xF8FF) || (r >= 0xFFF0 && r <= 0xFFFB) || (r & 0xFFFE) == 0xFFFE) {
    return false;
  }
  return r < 0xE0000;  // tags and the private use planes are not
}

uint32_t decodeValid(std::string_view s, size_t n) {
  const auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(s[i])); };
  switch (n) {
    case 1:
      return b(0);
    case 2:
      return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3:
      return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    default:
      return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
}

}  // namespace

// strconv.Quote: Go's short escapes, \x for control bytes and invalid UTF-8, \u/\U for
// code points that are not printable (any non-ASCII one with `asciiOnly`: QuoteToASCII).
std::string goQuote(const std::string& s, bool asciiOnly) {
  std::string out = "\"";
  std::string_view rest(s);
  while (!rest.empty()) {
    const auto c = static_cast<unsigned char>(rest[0]);
    const size_t n = validUtf8Length(rest);
    char buf[16];
    if (n == 0) {
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
      rest.remove_prefix(1);
      continue;
    }
    if (n > 1) {
      const uint32_t r = decodeValid(rest, n);
      if (goIsPrint(r) && !asciiOnly) {
        out.append(rest.substr(0, n));
      } else {
        std::snprintf(buf, sizeof buf, r < 0x10000 ? "\\u%04x" : "\\U%08x", r);
        out += buf;
      }
      rest.remove_prefix(n);
      continue;
    }
    rest.remove_prefix(1);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// strconv.QuoteRune (QuoteRuneToASCII with `asciiOnly`, %+q).
std::string goQuoteRune(int64_t r, bool asciiOnly) {
  switch (r) {
    case '\a':
      return "'\\a'";
    case '\b':
      return "'\\b'";
    case '\f':
      return "'\\f'";
    case '\n':
      return "'\\n'";
    case '\r':
      return "'\\r'";
    case '\t':
      return "'\\t'";
    case '\v':
      return "'\\v'";
    case '\\':
      return "'\\\\'";
    case '\'':
      return "'\\''";
    default:
      break;
  }
  char buf[16];
  if (r >= 0 && (r < 0x20 || r == 0x7f)) {
    std::snprintf(buf, sizeof buf, "'\\x%02x'", static_cast<unsigned>(r));
    return buf;
  }
  if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) {
    r = 0xFFFD;  // Go quotes an invalid rune as U+FFFD
  }
  const auto cp = static_cast<uint32_t>(r);
  if (cp >= 0x80 && (asciiOnly || !goIsPrint(cp))) {
    std::snprintf(buf, sizeof buf, cp < 0x10000 ? "'\\u%04x'" : "'\\U%08x'", cp);
    return buf;
  }
  std::string out = "'";
  appendUtf8(out, cp);
  return out + "'";
}

// strconv.CanBackquote, for %#q: no control byte but tab, no backquote, valid UTF-8, no U+FEFF.
bool canBackquote(const std::string& s) {
  std::string_view rest(s);
  while (!rest.empty()) {
    const auto c = static_cast<unsigned char>(rest[0]);
    const size_t n = validUtf8Length(rest);
    if (n == 0 || (c < 0x20 && c != '\t') || c == '`' || c == 0x7f || rest.substr(0, n) == "\xEF\xBB\xBF") {
      return false;
    }
    rest.remove_prefix(n);
  }
  return true;
}

}  // namespace gatehouse::templates
