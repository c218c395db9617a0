#include "router/cel/lexer.h"

#include <cerrno>
#include <cstdlib>

#include "gatehouse/utf8.h"

namespace gatehouse::router::cel {

namespace {

bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isHex(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int hexValue(char c) {
  if (isDigit(c)) {
    return c - '0';
  }
  return (c | 0x20) - 'a' + 10;
}

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    for (;;) {
      skipSpace();
      Token t;
      t.offset = pos_;
      if (pos_ >= src_.size()) {
        out.push_back(t);
        return out;
      }
      scan(t);
      out.push_back(std::move(t));
    }
  }

 private:
  char peek(size_t ahead = 0) const { return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0'; }

  void skipSpace() {
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        ++pos_;
      } else if (c == '/' && peek(1) == '/') {
        while (pos_ < src_.size() && src_[pos_] != '\n') {
          ++pos_;
        }
      } else {
        return;
      }
    }
  }

  void scan(Token& t) {
    char c = peek();
    if (isQuotePrefix()) {
      scanString(t);
    } else if (isIdentStart(c)) {
      size_t start = pos_;
      while (isIdentStart(peek()) || isDigit(peek())) {
        ++pos_;
      }
      t.kind = Tok::Ident;
      t.text = std::string(src_.substr(start, pos_ - start));
    } else if (isDigit(c) || (c == '.' && isDigit(peek(1)))) {
      scanNumber(t);
    } else {
      scanPunct(t);
    }
  }

  // r"..", b'..', rb"..", br"..", or a bare quote.
  bool isQuotePrefix() const {
    auto quote = [](char q) { return q == '"' || q == '\''; };
    char c = static_cast<char>(peek() | 0x20);
    if (quote(peek())) {
      return true;
    }
    if ((c == 'r' || c == 'b') && quote(peek(1))) {
      return true;
    }
    char c2 = static_cast<char>(peek(1) | 0x20);
    return ((c == 'r' && c2 == 'b') || (c == 'b' && c2 == 'r')) && quote(peek(2));
  }

  void scanString(Token& t) {
    bool raw = false;
    bool bytes = false;
    while (peek() != '"' && peek() != '\'') {
      char c = static_cast<char>(peek() | 0x20);
      raw = raw || c == 'r';
      bytes = bytes || c == 'b';
      ++pos_;
    }
    char q = peek();
    bool triple = peek(1) == q && peek(2) == q;
    size_t open = pos_;
    pos_ += triple ? 3 : 1;
    t.kind = bytes ? Tok::Bytes : Tok::String;
    for (;;) {
      if (pos_ >= src_.size()) {
        throw CelError(open, "Syntax error: unterminated string literal");
      }
      char c = src_[pos_];
      if (c == q && (!triple || (peek(1) == q && peek(2) == q))) {
        pos_ += triple ? 3 : 1;
        return;
      }
      if (!triple && (c == '\n' || c == '\r')) {
        throw CelError(open, "Syntax error: newline in string literal");
      }
      if (c == '\\' && !raw) {
        escape(t.text, bytes);
        continue;
      }
      t.text += c;
      ++pos_;
    }
  }

  uint32_t digits(size_t count, int base) {
    uint32_t v = 0;
    for (size_t n = 0; n < count; ++n) {
      char c = peek();
      bool ok = base == 16 ? isHex(c) : (c >= '0' && c <= '7');
      if (!ok) {
        throw CelError(pos_, "Syntax error: invalid escape sequence");
      }
      v = v * static_cast<uint32_t>(base) + static_cast<uint32_t>(hexValue(c));
      ++pos_;
    }
    return v;
  }

  void escape(std::string& out, bool bytes) {
    size_t at = pos_;
    ++pos_;  // the backslash
    char c = peek();
    ++pos_;
    switch (c) {
      case 'a':
        out += '\a';
        return;
      case 'b':
        out += '\b';
        return;
      case 'f':
        out += '\f';
        return;
      case 'n':
        out += '\n';
        return;
      case 'r':
        out += '\r';
        return;
      case 't':
        out += '\t';
        return;
      case 'v':
        out += '\v';
        return;
      case '\\':
      case '?':
      case '"':
      case '\'':
      case '`':
        out += c;
        return;
      case 'x':
      case 'X': {
        uint32_t v = digits(2, 16);
        bytes ? void(out += static_cast<char>(v)) : appendUtf8(out, v);
        return;
      }
      case 'u':
      case 'U': {
        if (bytes) {
          throw CelError(at, "Syntax error: unicode escape in a bytes literal");
        }
        uint32_t v = digits(c == 'u' ? 4 : 8, 16);
        if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)) {
          throw CelError(at, "Syntax error: invalid unicode code point");
        }
        appendUtf8(out, v);
        return;
      }
      default:
        if (c >= '0' && c <= '3') {
          --pos_;
          uint32_t v = digits(3, 8);
          bytes ? void(out += static_cast<char>(v)) : appendUtf8(out, v);
          return;
        }
        throw CelError(at, "Syntax error: invalid escape sequence");
    }
  }

  void scanNumber(Token& t) {
    size_t start = pos_;
    if (peek() == '0' && (peek(1) == 'x' || peek(1) == 'X')) {
      pos_ += 2;
      while (isHex(peek())) {
        ++pos_;
      }
      integer(t, start, 16);
      return;
    }
    while (isDigit(peek())) {
      ++pos_;
    }
    bool isFloat = false;
    if (peek() == '.' && isDigit(peek(1))) {
      isFloat = true;
      ++pos_;
      while (isDigit(peek())) {
        ++pos_;
      }
    }
    if ((peek() == 'e' || peek() == 'E') &&
        (isDigit(peek(1)) || ((peek(1) == '+' || peek(1) == '-') && isDigit(peek(2))))) {
      isFloat = true;
      pos_ += 2;
      while (isDigit(peek())) {
        ++pos_;
      }
    }
    if (isFloat) {
      t.kind = Tok::Double;
      t.text = std::string(src_.substr(start, pos_ - start));
      t.d = std::strtod(t.text.c_str(), nullptr);
      return;
    }
    integer(t, start, 10);
  }

  void integer(Token& t, size_t start, int base) {
    t.text = std::string(src_.substr(start, pos_ - start));
    errno = 0;
    t.u = std::strtoull(t.text.c_str() + (base == 16 ? 2 : 0), nullptr, base);
    bool overflow = errno == ERANGE || (base == 16 && t.text.size() == 2);
    t.kind = Tok::Int;
    if (peek() == 'u' || peek() == 'U') {
      ++pos_;
      t.kind = Tok::Uint;
    }
    if (overflow) {
      throw CelError(start, "invalid int literal");
    }
  }

  void scanPunct(Token& t) {
    static constexpr std::string_view kTwo[] = {"==", "!=", "<=", ">=", "&&", "||"};
    t.kind = Tok::Punct;
    for (std::string_view op : kTwo) {
      if (src_.substr(pos_, 2) == op) {
        t.text = std::string(op);
        pos_ += 2;
        return;
      }
    }
    char c = peek();
    if (std::string_view("<>!+-*/%?:.,[](){}").find(c) == std::string_view::npos) {
      throw CelError(pos_, std::string("Syntax error: token recognition error at: '") + c + "'");
    }
    t.text = std::string(1, c);
    ++pos_;
  }

  std::string_view src_;
  size_t pos_ = 0;
};

}  // namespace

std::vector<Token> lex(std::string_view src) {
  return Lexer(src).run();
}

}  // namespace gatehouse::router::cel
