#include "templates/markdown_block_lines.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>

#include "templates/markdown_text.h"

namespace gatehouse::templates::markdown {

// A setext heading underline: only '=' (level 1) or only '-' (level 2), up to 3 spaces
// before and any after; 0 otherwise.
int setextLevel(const std::string& l) {
  const std::string t = trim(l);
  if (t.empty() || l.find_first_not_of(' ') > 3 || (t[0] != '=' && t[0] != '-') ||
      t.find_first_not_of(t[0]) != std::string::npos) {
    return 0;
  }
  return t[0] == '=' ? 1 : 2;
}

bool isHr(const std::string& l) {
  const std::string t = trim(l);
  if (t.size() < 3 || (t[0] != '-' && t[0] != '*' && t[0] != '_')) {
    return false;
  }
  size_t n = 0;
  for (char c : t) {
    if (c == t[0]) {
      ++n;
    } else if (c != ' ') {
      return false;
    }
  }
  return n >= 3;
}

int headingLevel(const std::string& l) {
  size_t n = 0;
  while (n < l.size() && l[n] == '#') {
    ++n;
  }
  return n >= 1 && n <= 6 && (n == l.size() || l[n] == ' ') ? static_cast<int>(n) : 0;
}

std::vector<std::string> cells(const std::string& line) {
  std::string t = trim(line);
  if (t.starts_with("|")) {
    t.erase(0, 1);
  }
  if (t.ends_with("|")) {
    t.pop_back();
  }
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= t.size(); ++i) {
    if (i == t.size() || (t[i] == '|' && (i == 0 || t[i - 1] != '\\'))) {
      out.push_back(trim(std::string_view(t).substr(start, i - start)));
      start = i + 1;
    }
  }
  return out;
}

bool delimiterRow(const std::string& l) {
  if (l.find('-') == std::string::npos) {
    return false;
  }
  for (char c : l) {
    if (c != '|' && c != '-' && c != ':' && c != ' ') {
      return false;
    }
  }
  return true;
}

bool fence(const std::string& l) {
  return trim(l).starts_with("```") || trim(l).starts_with("~~~");
}

// CommonMark's HTML block starts that end at a blank line: a block-level tag (type 6), a
// comment or declaration (types 2, 4), <script>/<pre>/<style>/<textarea> (type 1), or a
// line that is one complete tag alone (type 7). Other lines starting with '<' (an inline
// <span>, an autolink) are paragraph text.
bool htmlBlockStart(const std::string& line) {
  static const std::set<std::string, std::less<>> kBlockTags = {
      "address",  "article",  "aside",    "base",       "basefont", "blockquote", "body",   "caption",
      "center",   "col",      "colgroup", "dd",         "details",  "dialog",     "dir",    "div",
      "dl",       "dt",       "fieldset", "figcaption", "figure",   "footer",     "form",   "frame",
      "frameset", "h1",       "h2",       "h3",         "h4",       "h5",         "h6",     "head",
      "header",   "hr",       "html",     "iframe",     "legend",   "li",         "link",   "main",
      "menu",     "menuitem", "nav",      "noframes",   "ol",       "optgroup",   "option", "p",
      "param",    "section",  "source",   "summary",    "table",    "tbody",      "td",     "tfoot",
      "th",       "thead",    "title",    "tr",         "track",    "ul",         "script", "pre",
      "style",    "textarea"};
  const std::string t = trim(line);
  if (line.find_first_not_of(' ') > 3 || t.size() < 2 || t[0] != '<') {
    return false;
  }
  if (t.starts_with("<!") || t.starts_with("<?")) {
    return true;
  }
  const size_t nameStart = t[1] == '/' ? 2 : 1;
  size_t nameEnd = nameStart;
  while (nameEnd < t.size() &&
         (std::isalnum(static_cast<unsigned char>(t[nameEnd])) != 0 || t[nameEnd] == '-')) {
    ++nameEnd;
  }
  if (nameEnd == nameStart || std::isalpha(static_cast<unsigned char>(t[nameStart])) == 0) {
    return false;
  }
  std::string name(t.substr(nameStart, nameEnd - nameStart));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::tolower(ch); });
  const char after = nameEnd < t.size() ? t[nameEnd] : ' ';
  if (kBlockTags.contains(name) && (after == ' ' || after == '>' || after == '/' || after == '\t')) {
    return true;
  }
  // Type 7: the whole line is one tag (an autolink's ':' or '@' makes it none).
  return t.back() == '>' && t.find('>') == t.size() - 1 && t.find_first_of(":@") == std::string::npos;
}

// The text that ends an HTML block of CommonMark types 1 and 2 ("" for the others, which end
// at a blank line).
std::string htmlBlockEnd(const std::string& line) {
  std::string t = trim(line);
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (t.starts_with("<!--")) {
    return "-->";
  }
  for (const char* tag : {"script", "pre", "style", "textarea"}) {
    const std::string open = std::string("<") + tag;
    if (t.starts_with(open) && (t.size() == open.size() || t[open.size()] == '>' || t[open.size()] == ' ')) {
      return "</" + std::string(tag) + ">";
    }
  }
  return {};
}

bool startsOtherBlock(const std::string& l) {
  return headingLevel(trim(l)) > 0 || fence(l) || isHr(l) || trim(l).starts_with(">");
}

}  // namespace gatehouse::templates::markdown
