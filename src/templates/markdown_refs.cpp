#include "templates/markdown_refs.h"

#include <re2/re2.h>

#include <cctype>
#include <cstdint>
#include <utility>

#include "gatehouse/utf8.h"

namespace gatehouse::templates {

namespace {

// Named references worth knowing in prose; goldmark knows all of HTML5's, others stay text.
constexpr std::pair<std::string_view, std::string_view> kNamed[] = {
    {"amp", "&"},         {"lt", "<"},          {"gt", ">"},          {"quot", "\""},
    {"apos", "'"},        {"nbsp", "\u00a0"},   {"copy", "\u00a9"},   {"reg", "\u00ae"},
    {"trade", "\u2122"},  {"mdash", "\u2014"},  {"ndash", "\u2013"},  {"hellip", "\u2026"},
    {"laquo", "\u00ab"},  {"raquo", "\u00bb"},  {"lsquo", "\u2018"},  {"rsquo", "\u2019"},
    {"ldquo", "\u201c"},  {"rdquo", "\u201d"},  {"euro", "\u20ac"},   {"pound", "\u00a3"},
    {"yen", "\u00a5"},    {"cent", "\u00a2"},   {"deg", "\u00b0"},    {"times", "\u00d7"},
    {"divide", "\u00f7"}, {"middot", "\u00b7"}, {"bull", "\u2022"},   {"sect", "\u00a7"},
    {"para", "\u00b6"},   {"larr", "\u2190"},   {"rarr", "\u2192"},   {"uarr", "\u2191"},
    {"darr", "\u2193"},   {"harr", "\u2194"},   {"check", "\u2713"},  {"hearts", "\u2665"},
    {"plusmn", "\u00b1"}, {"micro", "\u00b5"},  {"frac12", "\u00bd"}, {"shy", "\u00ad"},
};

// "&#N;" (up to 7 digits) or "&#xH;" (up to 6): CommonMark's limits; 0, surrogates and
// values past U+10FFFF become U+FFFD.
size_t numericReference(std::string_view s, std::string& text) {
  const bool hex = s.size() > 2 && (s[2] == 'x' || s[2] == 'X');
  const size_t first = hex ? 3 : 2;
  const size_t maxDigits = hex ? 6 : 7;
  size_t k = first;
  uint32_t cp = 0;
  while (k < s.size() && k - first < maxDigits) {
    const auto d = static_cast<unsigned char>(s[k]);
    if (hex ? std::isxdigit(d) == 0 : std::isdigit(d) == 0) {
      break;
    }
    const int v = std::isdigit(d) != 0 ? d - '0' : std::tolower(d) - 'a' + 10;
    cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
    ++k;
  }
  if (k == first || k >= s.size() || s[k] != ';') {
    return 0;
  }
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    cp = 0xFFFD;
  }
  text.clear();
  appendUtf8(text, cp);
  return k + 1;
}

}  // namespace

std::string urlEscape(std::string_view url) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7F ||
        std::string_view("\"<>\\^`{|}").find(static_cast<char>(c)) != std::string_view::npos) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

size_t entityReference(std::string_view s, std::string& text) {
  if (s.starts_with("&#")) {
    return numericReference(s, text);
  }
  const size_t semi = s.find(';');
  if (semi == std::string_view::npos || semi < 2 || semi > 33) {
    return 0;
  }
  const std::string_view name = s.substr(1, semi - 1);
  for (const auto& [known, value] : kNamed) {
    if (name == known) {
      text = value;
      return semi + 1;
    }
  }
  return 0;
}

bool autolinkTrigger(std::string_view s, size_t i) {
  if (i == 0) {
    return true;
  }
  const char p = s[i - 1];
  return std::isspace(static_cast<unsigned char>(p)) != 0 || p == '*' || p == '_' || p == '~' || p == '(';
}

size_t autolinkLength(std::string_view s) {
  // goldmark's patterns. RE2 is leftmost-first as Go's regexp, and, unlike std::regex, runs
  // in constant stack on a line of any length (a 300 KB URL overflowed std::regex's stack).
  static const re2::RE2 url(
      R"(^((?:http|https|ftp)://[-a-zA-Z0-9@:%._\+~#=]{1,256}\.[a-z]+(?::\d+)?(?:[/#?][-a-zA-Z0-9@:%_+.~#$!?&/=\(\);,'">\^{}\[\]`]*)?))");
  static const re2::RE2 www(
      R"(^(www\.[-a-zA-Z0-9@:%._\+~#=]{1,256}\.[a-z]+(?:[/#?][-a-zA-Z0-9@:%_\+.~#!?&/=\(\);,'">\^{}\[\]`]*)?))");
  const re2::StringPiece input(s.data(), s.size());
  re2::StringPiece m;
  const bool proto = s.starts_with("http:") || s.starts_with("https:") || s.starts_with("ftp:");
  if (!(proto && re2::RE2::PartialMatch(input, url, &m)) &&
      !(s.starts_with("www.") && re2::RE2::PartialMatch(input, www, &m))) {
    return 0;
  }
  auto end = m.size();
  const char last = s[end - 1];
  if (last == '.') {
    --end;
  } else if (last == ')') {
    long closing = 0;  // ')' past the '(' they close, counted over the whole match
    for (size_t k = end; k-- > 0;) {
      closing += s[k] == ')' ? 1 : s[k] == '(' ? -1 : 0;
    }
    if (closing > 0) {
      end -= static_cast<size_t>(closing);
    }
  } else if (last == ';' && end >= 2) {
    size_t k = end - 2;
    while (k > 0 && std::isalnum(static_cast<unsigned char>(s[k])) != 0) {
      --k;
    }
    if (k != end - 2 && s[k] == '&') {
      end = k;
    }
  }
  while (end > 1 && std::string_view("?!.,:*_~").find(s[end - 1]) != std::string_view::npos) {
    --end;
  }
  return end;
}

size_t emailAutolinkLength(std::string_view s, size_t& localEnd) {
  static constexpr std::string_view kLocalMarks = ".!#$%&'*+/=?^_`{|}~-";
  size_t at = 0;
  while (at < s.size() && (std::isalnum(static_cast<unsigned char>(s[at])) != 0 ||
                           kLocalMarks.find(s[at]) != std::string_view::npos)) {
    ++at;
  }
  localEnd = at;
  if (at == 0 || at + 1 >= s.size() || s[at] != '@') {
    return 0;
  }
  // Labels of up to 63 letters, digits and inner hyphens, joined by dots.
  static const re2::RE2 domain(
      R"(^([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*))");
  re2::StringPiece m;
  const std::string_view rest = s.substr(at + 1);
  if (!re2::RE2::PartialMatch(re2::StringPiece(rest.data(), rest.size()), domain, &m) ||
      std::string_view(m.data(), m.size()).find('.') == std::string_view::npos) {
    return 0;
  }
  const size_t end = at + 1 + m.size();
  if (end < s.size() && (s[end] == '-' || s[end] == '_')) {
    return 0;
  }
  return end;
}

namespace {

// Stops early (with a result longer than `limit`) once it passes `limit` characters.
std::string normalizeLabel(std::string_view label, size_t limit = std::string::npos) {
  std::string out;
  bool space = false;
  for (unsigned char c : label) {
    if (out.size() > limit) {
      break;
    }
    if (std::isspace(c) != 0) {
      space = !out.empty();
      continue;
    }
    if (space) {
      out += ' ';
      space = false;
    }
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

// The ']' closing the '[' at s[0] (nested brackets counted, escapes and code spans
// skipped); npos when none.
size_t closingBracket(std::string_view s) {
  int depth = 0;
  for (size_t k = 0; k < s.size(); ++k) {
    if (s[k] == '\\') {
      ++k;
    } else if (s[k] == '`') {
      const size_t close = s.find('`', k + 1);
      k = close == std::string_view::npos ? k : close;
    } else if (s[k] == '[') {
      ++depth;
    } else if (s[k] == ']' && --depth == 0) {
      return k;
    }
  }
  return std::string_view::npos;
}

// "(dest "title")" at s[0] == '(': destination (optionally in <>), optional title in
// double or single quotes; parentheses in the destination must balance.
std::optional<std::pair<LinkTarget, size_t>> inlineTarget(std::string_view s) {
  size_t k = 1;
  auto skipSpace = [&] {
    while (k < s.size() && (s[k] == ' ' || s[k] == '\n')) {
      ++k;
    }
  };
  skipSpace();
  LinkTarget t;
  if (k < s.size() && s[k] == '<') {
    const size_t close = s.find('>', k);
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    t.href = std::string(s.substr(k + 1, close - k - 1));
    k = close + 1;
  } else {
    int depth = 0;
    const size_t start = k;
    while (k < s.size() && s[k] != ' ' && s[k] != '\n' && !(s[k] == ')' && depth == 0)) {
      depth += s[k] == '(' ? 1 : s[k] == ')' ? -1 : 0;
      ++k;
    }
    t.href = std::string(s.substr(start, k - start));
  }
  skipSpace();
  if (k < s.size() && (s[k] == '"' || s[k] == '\'')) {
    const size_t close = s.find(s[k], k + 1);
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    t.title = std::string(s.substr(k + 1, close - k - 1));
    k = close + 1;
    skipSpace();
  }
  if (k >= s.size() || s[k] != ')') {
    return std::nullopt;
  }
  return std::make_pair(t, k + 1);
}

// "[label]: dest" with an optional quoted title, alone on its line.
std::optional<std::pair<std::string, LinkTarget>> definition(const std::string& line) {
  static const re2::RE2 def(
      R"re(^ {0,3}\[([^\]]+)\]:[ \t]*<?([^\s>]+)>?(?:[ \t]+(?:"([^"]*)"|'([^']*)'))?[ \t]*$)re");
  re2::StringPiece label, dest, dquoted, squoted;
  if (!re2::RE2::FullMatch(line, def, &label, &dest, &dquoted, &squoted)) {
    return std::nullopt;
  }
  // An unmatched group is a null piece; a matched empty title is an empty one, and prints.
  std::optional<std::string> title;
  if (dquoted.data() != nullptr || squoted.data() != nullptr) {
    title = std::string(dquoted.data() != nullptr ? dquoted : squoted);
  }
  return std::make_pair(normalizeLabel(std::string(label)), LinkTarget{std::string(dest), std::move(title)});
}

}  // namespace

LinkRefs takeLinkDefinitions(std::vector<std::string>& lines) {
  LinkRefs refs;
  bool fence = false;
  bool inParagraph = false;
  for (auto& line : lines) {
    const std::string_view t =
        std::string_view(line).substr(std::min(line.find_first_not_of(' '), line.size()));
    if (t.starts_with("```") || t.starts_with("~~~")) {
      fence = !fence;
    }
    if (!fence && !inParagraph) {
      if (auto d = definition(line)) {
        refs.emplace(std::move(d->first), std::move(d->second));  // the first definition wins
        line.clear();
        continue;
      }
    }
    inParagraph = !fence && !t.empty() && !t.starts_with("#");
  }
  return refs;
}

std::optional<LinkMatch> matchLink(std::string_view s, const LinkRefs& refs) {
  return matchLinkAt(s, closingBracket(s), refs, longestLabel(refs));
}

size_t longestLabel(const LinkRefs& refs) {
  size_t n = 0;
  for (const auto& [label, target] : refs) {
    n = std::max(n, label.size());
  }
  return n;
}

std::optional<LinkMatch> matchLinkAt(std::string_view s, size_t close, const LinkRefs& refs,
                                     size_t maxLabel) {
  if (close == std::string_view::npos) {
    return std::nullopt;
  }
  LinkMatch m;
  m.text = s.substr(1, close - 1);
  const std::string_view rest = s.substr(close + 1);
  if (rest.starts_with("(")) {
    if (auto t = inlineTarget(rest)) {
      m.target = std::move(t->first);
      m.end = close + 1 + t->second;
      return m;
    }
  }
  std::string_view ref = m.text;
  m.end = close + 1;
  if (rest.starts_with("[")) {
    const size_t refClose = rest.find(']');
    if (refClose != std::string_view::npos) {
      if (refClose > 1) {
        ref = rest.substr(1, refClose - 1);
      }
      m.end = close + 2 + refClose;
    }
  }
  if (refs.empty()) {
    return std::nullopt;
  }
  auto it = refs.find(normalizeLabel(ref, maxLabel));
  if (it == refs.end()) {
    return std::nullopt;
  }
  m.target = it->second;
  return m;
}

size_t BracketIndex::closeOf(size_t open) {
  if (close_.empty()) {
    close_.assign(s_.size(), kUnknown);
  }
  if (close_[open] == kUnknown) {
    scan(open);
  }
  return close_[open] == std::string_view::npos ? std::string_view::npos : close_[open] - open;
}

// closingBracket's walk from `from`, recording the ']' of every '[' it passes. A '[' an
// earlier scan already settled is stepped over: both walks agree from there on, so its
// brackets balance up to its ']' (or, with none, no '[' still open here closes either).
void BracketIndex::scan(size_t from) {
  std::vector<size_t> open;
  for (size_t k = from; k < s_.size(); ++k) {
    if (s_[k] == '\\') {
      ++k;
    } else if (s_[k] == '`') {
      const size_t close = s_.find('`', k + 1);
      k = close == std::string_view::npos ? k : close;
    } else if (s_[k] == '[') {
      if (close_[k] == std::string_view::npos) {
        break;
      }
      if (close_[k] != kUnknown) {
        k = close_[k];
        continue;
      }
      open.push_back(k);
    } else if (s_[k] == ']' && !open.empty()) {
      close_[open.back()] = k;
      open.pop_back();
      if (open.empty()) {
        return;  // the walk closingBracket makes from `from` ends here
      }
    }
  }
  for (size_t k : open) {
    close_[k] = std::string_view::npos;
  }
}

}  // namespace gatehouse::templates
