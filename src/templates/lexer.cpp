#include "templates/lexer.h"

#include <algorithm>
#include <cstdio>

#include "gatehouse/utf8.h"
#include "templates/value.h"

namespace gatehouse::templates {

namespace {

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool isAlnum(char c) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         static_cast<unsigned char>(c) >= 0x80;
}

class Lexer {
 public:
  Lexer(std::string_view name, std::string_view in, std::string_view left, std::string_view right)
      : name_(name), in_(in), left_(left), right_(right) {}

  std::vector<Token> run() {
    try {
      while (pos_ < in_.size()) {
        lexText();
      }
    } catch (const TemplateError& e) {
      std::string msg = e.what();
      // Go's parser names where an action that spans lines began
      if (actionLine_ != 0 && actionLine_ != line_) {
        const bool action = msg.ends_with(" action");
        msg += std::string(action ? "" : " in action") + " started at " + std::string(name_) + ":" +
               std::to_string(actionLine_);
      }
      emit(Tok::Error, msg);
    }
    emit(Tok::Eof, "");
    return std::move(out_);
  }

 private:
  [[noreturn]] void fail(const std::string& msg) const {
    throw TemplateError("template: " + std::string(name_) + ":" + std::to_string(line_) + ": " + msg);
  }
  void emit(Tok t, std::string text) {
    const int col = static_cast<int>(pos_ - lineStart_);  // (kept by advance: a long line stays linear)
    out_.push_back({t, std::move(text), line_, col, space_, {}});
    space_ = false;
  }
  // The token just emitted is spelled in the source by the next n bytes.
  void keepRaw(size_t n) { out_.back().raw = std::string(in_.substr(pos_, n)); }
  void advance(size_t n) {
    line_ += static_cast<int>(
        std::count(in_.begin() + static_cast<long>(pos_), in_.begin() + static_cast<long>(pos_ + n), '\n'));
    const size_t nl = n == 0 ? std::string_view::npos : in_.substr(pos_, n).rfind('\n');
    if (nl != std::string_view::npos) {
      lineStart_ = pos_ + nl + 1;
    }
    pos_ += n;
  }
  bool at(std::string_view s) const { return in_.substr(pos_).starts_with(s); }

  // The right delimiter, optionally preceded by a trim marker; sets `trim`.
  bool atRightDelim(bool& trim) const {
    if (at(right_)) {
      trim = false;
      return true;
    }
    if (pos_ + 2 <= in_.size() && isSpace(in_[pos_]) && in_[pos_ + 1] == '-' &&
        in_.substr(pos_ + 2).starts_with(right_)) {
      trim = true;
      return true;
    }
    return false;
  }

  void lexText() {
    const size_t start = pos_;
    size_t at = in_.find(left_, pos_);
    if (at == std::string_view::npos) {
      advance(in_.size() - pos_);
      emitText(in_.substr(start));
      return;
    }
    std::string_view text = in_.substr(start, at - start);
    const size_t after = at + left_.size();
    const bool trimLeft = after + 1 < in_.size() && in_[after] == '-' && isSpace(in_[after + 1]);
    if (trimLeft) {
      while (!text.empty() && isSpace(text.back())) {
        text.remove_suffix(1);
      }
    }
    advance(at - pos_);
    emitText(text);
    advance(left_.size() + (trimLeft ? 2 : 0));
    if (trimLeft) {
      while (pos_ < in_.size() && isSpace(in_[pos_]) && !at_comment()) {
        advance(1);
      }
    }
    if (at_comment()) {
      lexComment();
      return;
    }
    emit(Tok::LeftDelim, "");
    lexInsideAction();
  }
  bool at_comment() const { return at("/*"); }

  void emitText(std::string_view text) {
    if (!text.empty()) {
      out_.push_back({Tok::Text, std::string(text), line_, false});
    }
  }

  void lexComment() {
    const size_t end = in_.find("*/", pos_ + 2);
    if (end == std::string_view::npos) {
      fail("unclosed comment");
    }
    advance(end + 2 - pos_);
    bool trim = false;
    if (!atRightDelim(trim)) {
      fail("comment ends before closing delimiter");
    }
    advance((trim ? 2 : 0) + right_.size());
    if (trim) {
      skipSpaces();
    }
  }

  void skipSpaces() {
    while (pos_ < in_.size() && isSpace(in_[pos_])) {
      advance(1);
    }
  }

  void lexInsideAction() {
    actionLine_ = line_;
    int parens = 0;
    for (;;) {
      bool trim = false;
      if (atRightDelim(trim)) {
        if (parens > 0) {
          fail("unclosed left paren");
        }
        advance((trim ? 2 : 0) + right_.size());
        emit(Tok::RightDelim, "");
        actionLine_ = 0;
        if (trim) {
          skipSpaces();
        }
        return;
      }
      if (pos_ >= in_.size()) {
        fail("unclosed action");
      }
      const char c = in_[pos_];
      if (isSpace(c)) {
        space_ = true;
        advance(1);
      } else if (c == '=') {
        emit(Tok::Assign, "=");
        advance(1);
      } else if (c == ':') {
        if (!at(":=")) {
          fail("expected :=");
        }
        emit(Tok::Declare, ":=");
        advance(2);
      } else if (c == '|') {
        emit(Tok::Pipe, "|");
        advance(1);
      } else if (c == ',') {
        emit(Tok::Comma, ",");
        advance(1);
      } else if (c == '(') {
        ++parens;
        emit(Tok::LParen, "(");
        advance(1);
      } else if (c == ')') {
        parens = std::max(parens - 1, 0);  // a stray ')' is the parser's "unexpected" error
        emit(Tok::RParen, ")");
        advance(1);
      } else if (c == '"') {
        lexQuote();
      } else if (c == '`') {
        lexRawQuote();
      } else if (c == '\'') {
        lexChar();
      } else if (c == '$') {
        size_t e = pos_ + 1;
        while (e < in_.size() && isAlnum(in_[e])) {
          ++e;
        }
        requireTerminator(e);
        emit(Tok::Variable, std::string(in_.substr(pos_, e - pos_)));
        advance(e - pos_);
      } else if (c == '.') {
        if (pos_ + 1 < in_.size() && in_[pos_ + 1] >= '0' && in_[pos_ + 1] <= '9') {
          lexNumber();
          continue;
        }
        size_t e = pos_ + 1;
        while (e < in_.size() && isAlnum(in_[e])) {
          ++e;
        }
        requireTerminator(e);
        if (e == pos_ + 1) {
          emit(Tok::Dot, ".");
        } else {
          emit(Tok::Field, std::string(in_.substr(pos_ + 1, e - pos_ - 1)));
        }
        advance(e - pos_);
      } else if (c == '+' || c == '-' || (c >= '0' && c <= '9')) {
        lexNumber();
      } else if (isAlnum(c)) {
        size_t e = pos_;
        while (e < in_.size() && isAlnum(in_[e])) {
          ++e;
        }
        requireTerminator(e);
        std::string word(in_.substr(pos_, e - pos_));
        if (word == "true" || word == "false") {
          emit(Tok::Bool, word);
        } else if (word == "nil") {
          emit(Tok::Nil, word);
        } else {
          emit(Tok::Ident, word);
        }
        advance(e - pos_);
      } else {
        // Go's parser meets the byte after an operand of a command, or where one begins
        const Tok last = out_.empty() ? Tok::LeftDelim : out_.back().type;
        const bool afterOperand = last != Tok::LeftDelim && last != Tok::Pipe && last != Tok::LParen &&
                                  last != Tok::Declare && last != Tok::Assign && last != Tok::Comma;
        fail(std::string("unexpected \"") + c + "\" in " + (afterOperand ? "operand" : "command"));
      }
    }
  }

  // Go's atTerminator: a word (identifier, field, variable) must end at a space, the end,
  // one of . , | : ( ) or the right delimiter; anything else is a "bad character".
  void requireTerminator(size_t e) const {
    if (e >= in_.size() || std::string_view(" \t\r\n.,|:()").find(in_[e]) != std::string_view::npos ||
        in_.substr(e).starts_with(right_)) {
      return;
    }
    const auto u = static_cast<unsigned char>(in_[e]);
    char buf[48];  // Go's %#U
    if (u < 0x80) {
      if (u >= 0x20 && u < 0x7f) {
        std::snprintf(buf, sizeof buf, "U+%04X '%c'", u, in_[e]);
      } else {
        std::snprintf(buf, sizeof buf, "U+%04X", u);
      }
    } else {
      const size_t n = u >= 0xF0 ? 4 : u >= 0xE0 ? 3 : 2;
      uint32_t cp = u & (n == 4 ? 0x07u : n == 3 ? 0x0Fu : 0x1Fu);
      for (size_t k = 1; k < n && e + k < in_.size(); ++k) {
        cp = (cp << 6) | (static_cast<unsigned char>(in_[e + k]) & 0x3Fu);
      }
      std::snprintf(buf, sizeof buf, "U+%04X '%s'", cp, std::string(in_.substr(e, n)).c_str());
    }
    fail(std::string("bad character ") + buf);
  }

  void lexNumber() {
    size_t e = pos_;
    if (in_[e] == '+' || in_[e] == '-') {
      ++e;
    }
    while (e < in_.size() &&
           (isAlnum(in_[e]) || in_[e] == '.' ||
            ((in_[e] == '+' || in_[e] == '-') &&
             (in_[e - 1] == 'e' || in_[e - 1] == 'E' || in_[e - 1] == 'p' || in_[e - 1] == 'P')))) {
      ++e;
    }
    emit(Tok::Number, std::string(in_.substr(pos_, e - pos_)));
    advance(e - pos_);
  }

  // One escape after a backslash (Go's strconv.Unquote rules).
  void unescape(size_t& i, std::string& out, char quote) {
    const char c = in_[i++];
    auto hex = [&](int n) {
      uint32_t v = 0;
      for (int k = 0; k < n; ++k, ++i) {
        if (i >= in_.size() || !std::isxdigit(static_cast<unsigned char>(in_[i]))) {
          fail("bad syntax in string");
        }
        const char h = in_[i];
        v = v * 16 + static_cast<uint32_t>(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
      }
      return v;
    };
    switch (c) {
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case 'x':
        out += static_cast<char>(hex(2));
        break;
      case 'u':
        appendUtf8(out, hex(4));
        break;
      case 'U':
        appendUtf8(out, hex(8));
        break;
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7': {
        uint32_t v = static_cast<uint32_t>(c - '0');
        for (int k = 0; k < 2; ++k, ++i) {
          if (i >= in_.size() || in_[i] < '0' || in_[i] > '7') {
            fail("bad syntax in string");
          }
          v = v * 8 + static_cast<uint32_t>(in_[i] - '0');
        }
        out += static_cast<char>(v);
        break;
      }
      default:
        if (c != quote) {
          fail("bad syntax in string");
        }
        out += c;
    }
  }

  void lexQuote() {
    std::string value;
    size_t i = pos_ + 1;
    for (;;) {
      if (i >= in_.size() || in_[i] == '\n') {
        fail("unterminated quoted string");
      }
      const char c = in_[i++];
      if (c == '"') {
        break;
      }
      if (c == '\\') {
        if (i >= in_.size()) {
          fail("unterminated quoted string");
        }
        unescape(i, value, '"');
      } else {
        value += c;
      }
    }
    emit(Tok::String, std::move(value));
    keepRaw(i - pos_);
    advance(i - pos_);
  }

  void lexRawQuote() {
    const size_t end = in_.find('`', pos_ + 1);
    if (end == std::string_view::npos) {
      fail("unterminated raw quoted string");
    }
    std::string value(in_.substr(pos_ + 1, end - pos_ - 1));
    std::erase(value, '\r');
    emit(Tok::String, std::move(value));
    keepRaw(end + 1 - pos_);
    advance(end + 1 - pos_);
  }

  void lexChar() {
    size_t i = pos_ + 1;
    std::string value;
    if (i < in_.size() && in_[i] == '\\') {
      ++i;
      unescape(i, value, '\'');
    } else {
      while (i < in_.size() && in_[i] != '\'' && in_[i] != '\n') {
        value += in_[i++];
      }
    }
    if (i >= in_.size() || in_[i] != '\'' || value.empty()) {
      fail("unterminated character constant");
    }
    const auto lead = static_cast<unsigned char>(value[0]);
    const size_t runeLen = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (in_[pos_ + 1] != '\\' && value.size() > runeLen) {  // Go's parser: UnquoteChar must take it all
      fail("malformed character constant: " + std::string(in_.substr(pos_, i + 1 - pos_)));
    }
    // Decode the UTF-8 sequence into its code point.
    const auto* u = reinterpret_cast<const unsigned char*>(value.data());
    uint32_t cp = u[0];
    if (cp >= 0xF0 && value.size() >= 4) {
      cp = ((u[0] & 0x07u) << 18) | ((u[1] & 0x3Fu) << 12) | ((u[2] & 0x3Fu) << 6) | (u[3] & 0x3Fu);
    } else if (cp >= 0xE0 && value.size() >= 3) {
      cp = ((u[0] & 0x0Fu) << 12) | ((u[1] & 0x3Fu) << 6) | (u[2] & 0x3Fu);
    } else if (cp >= 0xC0 && value.size() >= 2) {
      cp = ((u[0] & 0x1Fu) << 6) | (u[1] & 0x3Fu);
    }
    emit(Tok::Char, std::to_string(cp));
    keepRaw(i + 1 - pos_);
    advance(i + 1 - pos_);
  }

  std::string_view name_;
  std::string_view in_;
  int actionLine_ = 0;  // the line the open action began on (0: outside one)
  std::string_view left_;
  std::string_view right_;
  size_t pos_ = 0;
  size_t lineStart_ = 0;  // offset of the current line's first byte
  int line_ = 1;
  bool space_ = false;
  std::vector<Token> out_;
};

}  // namespace

std::vector<Token> lexTemplate(std::string_view name, std::string_view input, std::string_view left,
                               std::string_view right) {
  return Lexer(name, input, left, right).run();
}

}  // namespace gatehouse::templates
