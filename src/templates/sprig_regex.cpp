// Sprig's regex functions over RE2, walking matches as Go's regexp package does: after an
// empty match the search moves one UTF-8 character on, and an empty match right after a
// previous match is not one. Errors carry Go's regexp/syntax words.

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>
#include <vector>

#include "gatehouse/utf8.h"
#include "templates/format.h"
#include "templates/sprig.h"

namespace gatehouse::templates {

namespace {

// Go's regexp/syntax ErrorCode text for RE2's code.
const char* goSyntaxError(RE2::ErrorCode code) {
  switch (code) {
    case RE2::ErrorBadEscape:
      return "invalid escape sequence";
    case RE2::ErrorBadCharClass:
      return "invalid character class";
    case RE2::ErrorBadCharRange:
      return "invalid character class range";
    case RE2::ErrorMissingBracket:
      return "missing closing ]";
    case RE2::ErrorMissingParen:
      return "missing closing )";
    case RE2::ErrorUnexpectedParen:
      return "unexpected )";
    case RE2::ErrorTrailingBackslash:
      return "trailing backslash at end of expression";
    case RE2::ErrorRepeatArgument:
      return "missing argument to repetition operator";
    case RE2::ErrorRepeatSize:
      return "invalid repeat count";
    case RE2::ErrorRepeatOp:
      return "invalid nested repetition operator";
    case RE2::ErrorBadPerlOp:
      return "invalid or unsupported Perl syntax";
    case RE2::ErrorBadUTF8:
      return "invalid UTF-8";
    case RE2::ErrorBadNamedCapture:
      return "invalid named capture";
    case RE2::ErrorPatternTooLarge:
      return "expression too large";
    default:
      return "regexp/syntax: internal error";
  }
}

// Width of the UTF-8 sequence at s[i] (1 for an invalid byte), as Go steps over input.
size_t runeWidth(const std::string& s, size_t i) {
  return std::max<size_t>(1, validUtf8Length(std::string_view(s).substr(i)));
}

struct Compiled {
  std::unique_ptr<RE2> re;
  std::string error;  // Go's syntax error text, empty when it compiled
};

Compiled compile(const std::string& pattern) {
  RE2::Options o;
  o.set_log_errors(false);
  Compiled c{std::make_unique<RE2>(pattern, o), {}};
  if (!c.re->ok()) {
    c.error = std::string("error parsing regexp: ") + goSyntaxError(c.re->error_code()) + ": `" +
              c.re->error_arg() + "`";
  }
  return c;
}

// regexp.Compile: the error returned as it is (Sprig's must* functions).
std::unique_ptr<RE2> mustCompile(const std::string& pattern) {
  Compiled c = compile(pattern);
  if (!c.error.empty()) {
    throw TemplateError(c.error);
  }
  return std::move(c.re);
}

// regexp.MustCompile: its panic text, which text/template reports.
std::unique_ptr<RE2> compileOrPanic(const std::string& pattern) {
  Compiled c = compile(pattern);
  if (!c.error.empty()) {
    const std::string quoted = canBackquote(pattern) ? "`" + pattern + "`" : goQuote(pattern);
    throw TemplateError("regexp: Compile(" + quoted + "): " + c.error);
  }
  return std::move(c.re);
}

using Span = std::pair<size_t, size_t>;  // [start, end) of a match

// Go's Regexp.allMatches: at most n matches (all when n < 0), each with its groups.
std::vector<std::vector<std::optional<Span>>> allMatches(const RE2& re, const std::string& s, int64_t n) {
  std::vector<std::vector<std::optional<Span>>> out;
  if (n < 0) {
    n = static_cast<int64_t>(s.size()) + 1;
  }
  const int groups = re.NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> m(static_cast<size_t>(groups));
  size_t pos = 0;
  std::optional<size_t> prevEnd;
  while (static_cast<int64_t>(out.size()) < n && pos <= s.size()) {
    if (!re.Match(s, pos, s.size(), RE2::UNANCHORED, m.data(), groups)) {
      break;
    }
    const auto start = static_cast<size_t>(m[0].data() - s.data());
    const size_t end = start + m[0].size();
    bool accept = true;
    if (end == pos) {  // an empty match: none right after another match; step one character
      accept = !(prevEnd && start == *prevEnd);
      pos += pos < s.size() ? runeWidth(s, pos) : 1;
    } else {
      pos = end;
    }
    prevEnd = end;
    if (accept) {
      std::vector<std::optional<Span>> spans;
      for (const auto& g : m) {
        if (g.data() == nullptr) {
          spans.emplace_back();
        } else {
          const auto b = static_cast<size_t>(g.data() - s.data());
          spans.emplace_back(Span{b, b + g.size()});
        }
      }
      out.push_back(std::move(spans));
    }
  }
  return out;
}

std::string text(const std::string& s, const Span& sp) {
  return s.substr(sp.first, sp.second - sp.first);
}

// FindAllString's result: a nil []string (printed [], JSON null) when nothing matched.
Value findAllValue(const RE2& re, const std::string& s, int64_t n) {
  List out;
  for (const auto& m : allMatches(re, s, n)) {
    out.emplace_back(text(s, *m[0]));
  }
  const bool none = out.empty();
  return typed(makeList(std::move(out)), none ? kNilStringSlice : "[]string");
}

// Go's Regexp.Split.
Value splitValue(const RE2& re, const std::string& pattern, const std::string& s, int64_t n) {
  if (n == 0) {
    return typed(makeList(), kNilStringSlice);
  }
  if (!pattern.empty() && s.empty()) {
    return typed(makeList(List{Value("")}), "[]string");
  }
  List out;
  size_t beg = 0;
  size_t end = 0;
  for (const auto& m : allMatches(re, s, n)) {
    if (n > 0 && static_cast<int64_t>(out.size()) == n - 1) {
      break;
    }
    end = m[0]->first;
    if (m[0]->second != 0) {
      out.emplace_back(s.substr(beg, end - beg));
    }
    beg = m[0]->second;
  }
  if (end != s.size()) {
    out.emplace_back(s.substr(beg));
  }
  return typed(makeList(std::move(out)), "[]string");
}

// Regexp.Expand's $1 / ${1} / $name / ${name} / $$ in `repl` for one match.
void expand(std::string& out, const RE2& re, const std::string& s, const std::vector<std::optional<Span>>& m,
            const std::string& repl) {
  for (size_t i = 0; i < repl.size(); ++i) {
    if (repl[i] != '$' || i + 1 >= repl.size()) {
      out += repl[i];
      continue;
    }
    if (repl[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    std::string name;
    size_t j = i + 1;
    if (repl[j] == '{') {
      const size_t close = repl.find('}', j);
      if (close == std::string::npos) {
        out += repl[i];
        continue;
      }
      name = repl.substr(j + 1, close - j - 1);
      j = close + 1;
    } else {
      while (j < repl.size() && (std::isalnum(static_cast<unsigned char>(repl[j])) || repl[j] == '_')) {
        name += repl[j++];
      }
    }
    if (name.empty()) {
      out += repl[i];
      continue;
    }
    int idx = -1;
    if (std::all_of(name.begin(), name.end(),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      idx = name.size() < 4 ? std::stoi(name) : -1;
    } else {
      auto it = re.NamedCapturingGroups().find(name);
      idx = it == re.NamedCapturingGroups().end() ? -1 : it->second;
    }
    if (idx >= 0 && static_cast<size_t>(idx) < m.size() && m[static_cast<size_t>(idx)]) {
      out += text(s, *m[static_cast<size_t>(idx)]);
    }
    i = j - 1;
  }
}

// Go's Regexp.ReplaceAllString (or ReplaceAllLiteralString): no replacement for an empty
// match right after the previous match.
std::string replaceAll(const RE2& re, const std::string& s, const std::string& repl, bool literal) {
  std::string out;
  const int groups = re.NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> m(static_cast<size_t>(groups));
  size_t lastEnd = 0;
  size_t searchPos = 0;
  while (searchPos <= s.size() && re.Match(s, searchPos, s.size(), RE2::UNANCHORED, m.data(), groups)) {
    const auto start = static_cast<size_t>(m[0].data() - s.data());
    const size_t end = start + m[0].size();
    out.append(s, lastEnd, start - lastEnd);
    if (end > lastEnd || start == 0) {
      if (literal) {
        out += repl;
      } else {
        std::vector<std::optional<Span>> spans;
        for (const auto& g : m) {
          const auto b = static_cast<size_t>(g.data() - s.data());
          spans.push_back(g.data() == nullptr ? std::nullopt : std::optional<Span>(Span{b, b + g.size()}));
        }
        expand(out, re, s, spans, repl);
      }
    }
    lastEnd = end;
    const size_t width = searchPos < s.size() ? runeWidth(s, searchPos) : 1;
    if (searchPos + width > end) {
      searchPos += width;
    } else if (searchPos + 1 > end) {
      ++searchPos;
    } else {
      searchPos = end;
    }
  }
  out.append(s, std::min(lastEnd, s.size()), std::string::npos);
  return out;
}

}  // namespace

void addSprigRegex(FuncMap& f) {
  f["regexMatch"] = [](Args& a) {
    wantArgs(a, 2, "regexMatch");
    Compiled c = compile(strval(a[0]));
    return Value(c.error.empty() && RE2::PartialMatch(strval(a[1]), *c.re));  // Sprig drops the error
  };
  f["mustRegexMatch"] = [](Args& a) {
    wantArgs(a, 2, "mustRegexMatch");
    return Value(RE2::PartialMatch(strval(a[1]), *mustCompile(strval(a[0]))));
  };
  auto find = [](Args& a, bool must) {
    wantArgs(a, 2, must ? "mustRegexFind" : "regexFind");
    const std::string s = strval(a[1]);
    auto re = must ? mustCompile(strval(a[0])) : compileOrPanic(strval(a[0]));
    auto m = allMatches(*re, s, 1);
    return m.empty() ? Value("") : Value(text(s, *m[0][0]));
  };
  f["regexFind"] = [find](Args& a) { return find(a, false); };
  f["mustRegexFind"] = [find](Args& a) { return find(a, true); };
  auto findAll = [](Args& a, bool must) {
    wantArgs(a, 3, must ? "mustRegexFindAll" : "regexFindAll");
    auto re = must ? mustCompile(strval(a[0])) : compileOrPanic(strval(a[0]));
    return findAllValue(*re, strval(a[1]), toInt64(a[2]));
  };
  f["regexFindAll"] = [findAll](Args& a) { return findAll(a, false); };
  f["mustRegexFindAll"] = [findAll](Args& a) { return findAll(a, true); };
  auto replace = [](Args& a, bool must, bool literal, const char* fn) {
    wantArgs(a, 3, fn);
    auto re = must ? mustCompile(strval(a[0])) : compileOrPanic(strval(a[0]));
    return Value(replaceAll(*re, strval(a[1]), strval(a[2]), literal));
  };
  f["regexReplaceAll"] = [replace](Args& a) { return replace(a, false, false, "regexReplaceAll"); };
  f["mustRegexReplaceAll"] = [replace](Args& a) { return replace(a, true, false, "mustRegexReplaceAll"); };
  f["regexReplaceAllLiteral"] = [replace](Args& a) {
    return replace(a, false, true, "regexReplaceAllLiteral");
  };
  f["mustRegexReplaceAllLiteral"] = [replace](Args& a) {
    return replace(a, true, true, "mustRegexReplaceAllLiteral");
  };
  auto split = [](Args& a, bool must) {
    wantArgs(a, 3, must ? "mustRegexSplit" : "regexSplit");
    const std::string pattern = strval(a[0]);
    auto re = must ? mustCompile(pattern) : compileOrPanic(pattern);
    return splitValue(*re, pattern, strval(a[1]), toInt64(a[2]));
  };
  f["regexSplit"] = [split](Args& a) { return split(a, false); };
  f["mustRegexSplit"] = [split](Args& a) { return split(a, true); };
  f["regexQuoteMeta"] = [](Args& a) {
    wantArgs(a, 1, "regexQuoteMeta");
    // Go's regexp.QuoteMeta escapes only `\.+*?()|[]{}^$` (RE2's escapes every other symbol)
    std::string out;
    for (char c : strval(a[0])) {
      if (std::string_view("\\.+*?()|[]{}^$").find(c) != std::string_view::npos) {
        out += '\\';
      }
      out += c;
    }
    return Value(out);
  };
}

}  // namespace gatehouse::templates
