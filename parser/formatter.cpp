// Caddyfile formatter. Like Caddy's, it reads rune by rune and owns all bracing and whitespace;
// words, comments, quoted segments, escapes and heredoc bodies are copied as they appear.
// Input is decoded as UTF-8 the way Go does (an invalid byte becomes U+FFFD).

#include "gatehouse/parser/formatter.h"

#include <algorithm>
#include <cstdint>

#include "gatehouse/utf8.h"

namespace gatehouse::parser {
namespace {

constexpr char32_t kRuneError = 0xFFFD;

// Decodes one rune at `pos`, advancing it; invalid sequences yield U+FFFD and one byte.
char32_t decodeRune(std::string_view s, size_t& pos) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  int len = 0;
  char32_t cp = 0, min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++pos;
    return kRuneError;
  }
  if (pos + len > s.size()) {
    ++pos;
    return kRuneError;
  }
  for (int i = 1; i < len; ++i) {
    const auto b = static_cast<unsigned char>(s[pos + i]);
    if ((b & 0xC0) != 0x80) {
      ++pos;
      return kRuneError;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++pos;
    return kRuneError;
  }
  pos += len;
  return cp;
}

// Go's unicode.IsSpace.
bool isSpace(char32_t c) {
  switch (c) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

// Go's bytes.TrimSpace: drops leading and trailing Unicode white space.
std::string_view trimSpace(std::string_view s) {
  size_t start = s.size(), end = 0;
  for (size_t pos = 0; pos < s.size();) {
    const size_t runeStart = pos;
    if (!isSpace(decodeRune(s, pos))) {
      start = std::min(start, runeStart);
      end = pos;
    }
  }
  return start >= end ? std::string_view() : s.substr(start, end - start);
}

bool validHeredocMarker(const std::u32string& marker) {
  if (marker.empty())
    return false;
  for (char32_t c : marker) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

class Formatter {
 public:
  std::string run(std::string_view input) {
    input = trimSpace(input);
    out_.reserve(input.size() + input.size() / 4);
    size_t pos = 0;
    while (pos < input.size()) {
      step(decodeRune(input, pos));
    }
    std::string result(trimSpace(out_));
    result += '\n';
    return result;
  }

 private:
  enum class Heredoc { kClosed, kOpening, kOpened };

  void write(char32_t ch) {
    appendUtf8(out_, ch);
    last_ = ch;
  }
  void indent() {
    for (int i = 0; i < nesting_; ++i)
      write('\t');
  }
  void nextLine() {
    write('\n');
    beginningOfLine_ = true;
  }

  void step(char32_t ch) {
    if (heredocStep(ch) || literalStep(ch))
      return;
    if (isSpace(ch)) {
      space_ = true;
      heredocEscaped_ = false;
      if (ch == '\n')
        ++newLines_;
      return;
    }
    const bool spacePrior = space_;
    space_ = false;
    if (ch == '#')
      comment_ = true;
    if (ch == '`')
      backquoted_ = !backquoted_;
    flushPendingBrace(spacePrior);
    // Inside `backticks` braces are text (current Caddy), so they never open or close blocks.
    if (!backquoted_ && braceStep(ch, spacePrior))
      return;
    writeWordRune(ch, spacePrior);
  }

  // Heredoc openings and bodies; true when `ch` was consumed.
  bool heredocStep(char32_t ch) {
    if (!quoted_ && heredoc_ == Heredoc::kClosed && !heredocEscaped_ && space_ && last_ == '<' && ch == '<') {
      write(ch);
      heredoc_ = Heredoc::kOpening;
      space_ = false;
      return true;
    }
    if (heredoc_ == Heredoc::kOpening) {
      if (ch == '\n') {
        if (validHeredocMarker(marker_)) {
          heredoc_ = Heredoc::kOpened;
          write(ch);
        } else {
          marker_.clear();
          heredoc_ = Heredoc::kClosed;
          nextLine();
        }
        return true;
      }
      if (!isSpace(ch)) {
        marker_ += ch;
        write(ch);
        return true;
      }
      // "<<" followed by a space is an ordinary word.
      marker_.clear();
      heredoc_ = Heredoc::kClosed;
    }
    if (heredoc_ == Heredoc::kOpened) {
      closing_ += ch;
      if (closing_.size() > marker_.size() + 1)
        closing_.erase(0, 1);
      if (isSpace(ch) && closing_.compare(0, closing_.size() - 1, marker_) == 0) {
        marker_.clear();
        closing_.clear();
        heredoc_ = Heredoc::kClosed;
        return false;  // the white space after the closing marker is handled as usual
      }
      write(ch);
      if (ch == '\n')
        closing_.clear();
      return true;
    }
    return false;
  }

  // Comments, escapes and quoted segments, copied literally; true when consumed.
  bool literalStep(char32_t ch) {
    if (last_ == '<' && space_)
      space_ = false;
    if (comment_) {
      if (ch == '\n') {
        comment_ = false;
        space_ = true;
        nextLine();
      } else {
        write(ch);
      }
      return true;
    }
    if (!escaped_ && ch == '\\') {
      if (space_) {
        write(' ');
        space_ = false;
      }
      write(ch);
      escaped_ = true;
      return true;
    }
    if (escaped_) {
      if (ch == '<')
        heredocEscaped_ = true;
      write(ch);
      escaped_ = false;
      return true;
    }
    if (quoted_) {
      if (ch == '"')
        quoted_ = false;
      write(ch);
      return true;
    }
    // A double quote inside `backticks` is text, not the start of a quoted segment.
    if (space_ && ch == '"' && !backquoted_)
      quoted_ = true;
    return false;
  }

  // An open brace is held back until we know it stands alone; write it now if it did.
  void flushPendingBrace(bool spacePrior) {
    if (!openBrace_ || !spacePrior || openBraceWritten_)
      return;
    if (nesting_ == 0 && last_ == '}') {
      nextLine();
      nextLine();
    }
    openBrace_ = false;
    if (beginningOfLine_) {
      indent();
    } else if (!openBraceSpace_) {
      write(' ');
    }
    write('{');
    openBraceWritten_ = true;
    nextLine();
    newLines_ = 0;
    if (nesting_ < 10)
      ++nesting_;  // bounded, as Caddy does for absurd input
  }

  bool braceStep(char32_t ch, bool spacePrior) {
    if (ch == '{') {
      openBrace_ = true;
      openBraceWritten_ = false;
      openBraceSpace_ = spacePrior && !beginningOfLine_;
      if (openBraceSpace_)
        write(' ');
      return true;
    }
    if (ch == '}' && (spacePrior || !openBrace_)) {
      if (last_ != '\n')
        nextLine();
      if (nesting_ > 0)
        --nesting_;
      indent();
      write('}');
      newLines_ = 0;
      return true;
    }
    return false;
  }

  void writeWordRune(char32_t ch, bool spacePrior) {
    for (int i = 0; i < std::min(newLines_, 2); ++i)
      nextLine();
    newLines_ = 0;
    if (beginningOfLine_)
      indent();
    if (nesting_ == 0 && last_ == '}' && beginningOfLine_) {
      nextLine();
      nextLine();
    }
    if (!beginningOfLine_ && spacePrior)
      write(' ');
    if (openBrace_ && !openBraceWritten_) {
      write('{');
      openBraceWritten_ = true;
    }
    if (spacePrior && ch == '<')
      space_ = true;
    write(ch);
    beginningOfLine_ = false;
  }

  std::string out_;
  char32_t last_ = 0;
  bool space_ = true;
  bool beginningOfLine_ = true;
  bool openBrace_ = false, openBraceWritten_ = false, openBraceSpace_ = false;
  int newLines_ = 0;
  bool comment_ = false, quoted_ = false, escaped_ = false;
  bool backquoted_ = false;
  Heredoc heredoc_ = Heredoc::kClosed;
  bool heredocEscaped_ = false;
  std::u32string marker_, closing_;
  int nesting_ = 0;
};

std::vector<std::string_view> splitLines(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t nl = s.find('\n', start);
    if (nl == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
}

}  // namespace

std::string formatCaddyfile(std::string_view input) {
  return Formatter().run(input);
}

int firstUnformattedLine(std::string_view input) {
  std::string normalized;
  normalized.reserve(input.size());
  for (size_t from = 0; from < input.size();) {
    const size_t crlf = input.find("\r\n", from);
    const size_t end = crlf == std::string_view::npos ? input.size() : crlf;
    normalized.append(input.substr(from, end - from));
    from = end == input.size() ? end : end + 1;  // keep the \n of a \r\n
  }
  const std::string formatted = formatCaddyfile(normalized);
  if (formatted == normalized)
    return 0;
  int line = 1;
  for (size_t i = 0; i < normalized.size(); ++i) {
    if (i >= formatted.size() || normalized[i] != formatted[i])
      break;
    if (normalized[i] == '\n')
      ++line;
  }
  return line;
}

std::string formatDiff(std::string_view input, std::string_view formatted) {
  const auto a = splitLines(input), b = splitLines(formatted);
  // Common head and tail first (the tail never reaches into the head).
  size_t start = 0;
  while (start < a.size() && start < b.size() && a[start] == b[start])
    ++start;
  size_t tail = 0;
  while (a.size() - 1 - tail > start && b.size() - 1 - tail > start &&
         a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) {
    ++tail;
  }
  const size_t n = a.size() - start - tail, m = b.size() - start - tail;
  auto x = [&](size_t i) { return a[start + i]; };
  auto y = [&](size_t j) { return b[start + j]; };
  // lcs[i][j]: LCS length of the last i lines of x and the last j lines of y.
  std::vector<std::vector<int>> lcs(n + 1, std::vector<int>(m + 1, 0));
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      lcs[i][j] = x(n - i) == y(m - j) ? lcs[i - 1][j - 1] + 1 : std::max(lcs[i - 1][j], lcs[i][j - 1]);
    }
  }
  std::string out;
  auto emit = [&out](std::string_view prefix, std::string_view line) {
    out.append(prefix).append(line).append("\n");
  };
  for (size_t i = 0; i < start; ++i)
    emit("  ", a[i]);
  size_t i = n, j = m;
  while (i > 0 || j > 0) {
    if (i > 0 && lcs[i][j] == lcs[i - 1][j]) {
      emit("- ", x(n - i--));
    } else if (j > 0 && lcs[i][j] == lcs[i][j - 1]) {
      emit("+ ", y(m - j--));
    } else {
      emit("  ", x(n - i));
      --i, --j;
    }
  }
  for (size_t k = a.size() - tail; k < a.size(); ++k)
    emit("  ", a[k]);
  return out;
}

}  // namespace gatehouse::parser
