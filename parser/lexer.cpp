// Caddyfile lexer. Rules follow Caddy's lexer: tokens split on Unicode whitespace; "quoted"
// tokens keep everything but unescape \" ; `backtick` tokens are fully literal; <<MARKER
// heredocs strip the closing marker's indentation from every line; # starts a comment only at
// the start of a token; a backslash before a newline joins lines (the line count stays, so
// the joined tokens count as one line); a leading BOM is dropped.

#include "gatehouse/parser/lexer.h"

#include <cctype>
#include <string>

#include "gatehouse/parser/config_error.h"

namespace gatehouse::parser {
namespace {

bool isSpace(unsigned char ch) {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

bool validHeredocMarker(const std::string& marker) {
  if (marker.empty()) {
    return false;
  }
  for (unsigned char c : marker) {
    if (!std::isalnum(c) && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

class Lexer {
 public:
  Lexer(std::string_view input, const std::string& file)
      : in_(input), source_(std::make_shared<const Source>(Source{file, {}, {}})) {
    if (in_.substr(0, 3) == "\xEF\xBB\xBF") {
      pos_ = 3;
    }
  }

  std::vector<Token> run() {
    std::vector<Token> tokens;
    tokens.reserve(in_.size() / 8);  // about one token per 8 bytes of a typical config
    Token tok;
    while (next(tok)) {
      tokens.push_back(std::move(tok));
    }
    tokens.shrink_to_fit();
    return tokens;
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw ConfigError(Location{source_, tokenLine_, tokenCol_}, message);
  }

  // Strips the closing marker's indentation from each heredoc line (Caddy's rule: every
  // non-empty line must start with exactly that whitespace).
  std::string finalizeHeredoc(const std::string& val, const std::string& marker) const {
    const size_t nl = val.rfind('\n');
    const size_t bodyEnd = nl == std::string::npos ? 0 : nl + 1;
    std::string padding = val.substr(bodyEnd, val.size() - marker.size() - bodyEnd);
    std::string body = val.substr(0, bodyEnd);
    std::string out;
    int lineNum = 0;
    size_t start = 0;
    while (start < body.size()) {
      size_t eol = body.find('\n', start);
      std::string line = body.substr(start, eol - start);
      start = eol + 1;
      ++lineNum;
      if (line.empty() || line == "\r") {
        out += '\n';
        continue;
      }
      if (line.compare(0, padding.size(), padding) != 0) {
        fail("mismatched leading whitespace in heredoc <<" + marker + " on line #" +
             std::to_string(tokenLine_ + lineNum) + " [" + line + "], expected whitespace [" + padding +
             "] to match the closing marker");
      }
      for (char c : line.substr(padding.size())) {
        if (c != '\r') {
          out += c;
        }
      }
      out += '\n';
    }
    if (!out.empty() && out.back() == '\n') {
      out.pop_back();
    }
    return out;
  }

  bool next(Token& tok) {
    std::string val;
    bool comment = false, quoted = false, btQuoted = false, inHeredoc = false;
    bool heredocEscaped = false, escaped = false;
    std::string marker;

    auto make = [&](char quote) {
      tok.text = std::move(val);
      tok.quote = quote;
      tok.loc = Location{source_, tokenLine_, tokenCol_};
      return true;
    };

    while (true) {
      if (pos_ >= in_.size()) {
        if (inHeredoc) {
          fail("incomplete heredoc <<" + marker + " on line #" + std::to_string(tokenLine_) +
               ", expected ending marker " + marker);
        }
        if (!val.empty()) {
          return make(0);
        }
        return false;
      }
      const char ch = in_[pos_++];
      const int chCol = col_;
      if (ch == '\n') {
        col_ = 1;
      } else {
        ++col_;
      }

      if (!quoted && !btQuoted && !inHeredoc && !heredocEscaped && val.size() > 1 &&
          val.compare(0, 2, "<<") == 0) {
        if (ch == ' ') {
          return make(0);  // "<< " is an ordinary token
        }
        if (ch == '\r') {
          continue;
        }
        if (ch == '\n') {
          if (val.size() == 2) {
            fail("missing opening heredoc marker on line #" + std::to_string(line_) +
                 "; must contain only alphanumeric characters, dashes and underscores; got empty string");
          }
          if (val.compare(0, 3, "<<<") == 0) {
            fail("too many '<' for heredoc on line #" + std::to_string(line_) +
                 "; only use two, for example <<END");
          }
          marker = val.substr(2);
          if (!validHeredocMarker(marker)) {
            fail("heredoc marker on line #" + std::to_string(line_) +
                 " must contain only alphanumeric characters, dashes and underscores; got '" + marker + "'");
          }
          inHeredoc = true;
          ++skippedLines_;
          val.clear();
          continue;
        }
        val += ch;
        continue;
      }

      if (inHeredoc) {
        val += ch;
        if (ch == '\n') {
          ++skippedLines_;
        }
        if (val.size() >= marker.size() &&
            val.compare(val.size() - marker.size(), marker.size(), marker) == 0) {
          val = finalizeHeredoc(val, marker);
          line_ += skippedLines_;
          skippedLines_ = 0;
          return make('<');
        }
        continue;
      }

      if (!escaped && !btQuoted && ch == '\\') {
        escaped = true;
        continue;
      }

      if (quoted || btQuoted) {
        if (quoted && escaped) {
          // Inside "quotes" only \" is an escape; any other backslash stays.
          if (ch != '"') {
            val += '\\';
          }
          escaped = false;
        } else if ((quoted && ch == '"') || (btQuoted && ch == '`')) {
          return make(ch);
        }
        if (ch == '\n') {
          line_ += 1 + skippedLines_;
          skippedLines_ = 0;
        }
        val += ch;
        continue;
      }

      if (isSpace(static_cast<unsigned char>(ch))) {
        if (ch == '\r') {
          continue;
        }
        if (ch == '\n') {
          if (escaped) {
            ++skippedLines_;
            escaped = false;
          } else {
            line_ += 1 + skippedLines_;
            skippedLines_ = 0;
          }
          comment = false;
        }
        if (!val.empty()) {
          return make(0);
        }
        continue;
      }

      if (ch == '#' && val.empty()) {
        comment = true;
      }
      if (comment) {
        continue;
      }

      if (val.empty()) {
        tokenLine_ = line_;
        tokenCol_ = escaped ? chCol - 1 : chCol;
        if (ch == '"') {
          quoted = true;
          continue;
        }
        if (ch == '`') {
          btQuoted = true;
          continue;
        }
      }

      if (escaped) {
        // "\<" suppresses heredoc syntax; any other escape keeps its backslash.
        if (ch == '<') {
          heredocEscaped = true;
        } else {
          val += '\\';
        }
        escaped = false;
      }
      val += ch;
    }
  }

  std::string_view in_;
  std::shared_ptr<const Source> source_;  // shared by all tokens of this file
  size_t pos_ = 0;
  int line_ = 1;
  int col_ = 1;
  int skippedLines_ = 0;
  int tokenLine_ = 1;
  int tokenCol_ = 1;
};

}  // namespace

std::vector<Token> tokenize(std::string_view input, const std::string& filename) {
  return Lexer(input, filename).run();
}

// Caddy 2.6.2 compares only the file name: tokens spliced in from a snippet keep their own
// lines, so a snippet defined further down, imported by one above it, is followed by tokens
// of lower lines that read as "on the same line". Newer Caddy also compares import chains;
// so does this next to tokens of an import block, a newer feature 2.6.2 lacks.
bool isNextOnNewLine(const Token& prev, const Token& next) {
  if (prev.loc.file() != next.loc.file()) {
    return true;
  }
  if ((prev.loc.fromImportBlock() || next.loc.fromImportBlock()) && !prev.loc.sameSource(next.loc)) {
    return true;
  }
  return prev.loc.line + prev.numLineBreaks() < next.loc.line;
}

// 2.6.2's Dispenser reads an argument only from exactly the same line: after tokens of a
// snippet defined further down (higher lines), lower lines are neither the same line nor a
// new one, so a directive's segment may hold them while its arguments stop before them.
bool isNextOnSameLine(const Token& prev, const Token& next) {
  if (prev.loc.file() != next.loc.file()) {
    return false;
  }
  if ((prev.loc.fromImportBlock() || next.loc.fromImportBlock()) && !prev.loc.sameSource(next.loc)) {
    return false;
  }
  return prev.loc.line + prev.numLineBreaks() == next.loc.line;
}

}  // namespace gatehouse::parser
