// Caddy's `markdown` (goldmark with GFM): a CommonMark subset rendered the way goldmark
// prints it. Blocks: ATX and setext headings (with goldmark's auto ids), paragraphs,
// thematic breaks, fenced and indented code, blockquotes, nested tight/loose lists
// (templates/markdown_lists.*), GFM tables and task items, HTML blocks. Inlines: code
// spans, emphasis, strong, strikethrough, inline and reference links, images, autolinks and
// linkify, entity references (templates/markdown_refs.*), raw HTML, backslash escapes, hard
// breaks, footnotes (templates/markdown_footnotes.*). Not covered: chroma's highlighting of fenced code with
// a language (printed as a plain code block with a language-* class), HTML5's full entity table.

#include <algorithm>
#include <cctype>
#include <set>
#include <vector>

#include "templates/caddy_context.h"
#include "templates/markdown_footnotes.h"
#include "templates/markdown_lists.h"
#include "templates/markdown_refs.h"

namespace gatehouse::templates {

namespace {

std::string escapeHtml(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) {
    return "";
  }
  return std::string(s.substr(b, s.find_last_not_of(" \t") - b + 1));
}

bool blank(const std::string& l) {
  return trim(l).empty();
}

// Inline content.
// What one document shares: heading ids already used, link definitions, footnotes.
struct Doc {
  std::set<std::string> ids;
  LinkRefs refs;
  size_t maxRefLabel = 0;  // the longest label in refs
  Footnotes footnotes;
  int blockDepth = 0;   // blocks() calls open (blockquotes, list items)
  int inlineDepth = 0;  // inlines() calls open (emphasis, link text)
};

// Nesting past these depths (far beyond real documents) is not parsed further: the rest
// prints as escaped text. Without a bound, 100k '>' or 3000 nested list items recursed
// until the stack overflowed (the server died), each level copying the lines below it.
constexpr int kMaxBlockDepth = 32;
constexpr int kMaxInlineDepth = 100;

// Counts one level of nesting for as long as it lives.
class DepthGuard {
 public:
  explicit DepthGuard(int& depth) : depth_(depth) { ++depth_; }
  ~DepthGuard() { --depth_; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;

 private:
  int& depth_;
};

// `inLabel`: inside a link label, where goldmark makes no autolinks.
std::string inlines(std::string_view s, Doc& doc, bool inLabel = false);

// The closing delimiter run: not after a space, and exactly `delim` long, so that a single
// '*' does not close on the first '*' of a nested "**" (*a **b** c*).
size_t findClosing(std::string_view s, size_t from, std::string_view delim) {
  const char c = delim[0];
  auto sameRunAround = [&](size_t at) {
    return (at > from && s[at - 1] == c) || (at + delim.size() < s.size() && s[at + delim.size()] == c);
  };
  size_t at = s.find(delim, from);
  while (at != std::string_view::npos && ((at > from && s[at - 1] == ' ') || sameRunAround(at))) {
    size_t next = at + 1;
    while (sameRunAround(at) && next < s.size() && s[next] == c) {
      ++next;  // past the whole longer run
    }
    at = s.find(delim, next);
  }
  return at;
}

// The next run of exactly `n` backticks from `from` (a code span's closing run); npos when
// none.
size_t closingBackticks(std::string_view s, size_t from, size_t n) {
  for (size_t at = s.find('`', from); at != std::string_view::npos; at = s.find('`', at)) {
    size_t run = 0;
    while (at + run < s.size() && s[at + run] == '`') {
      ++run;
    }
    if (run == n) {
      return at;
    }
    at += run;
  }
  return std::string_view::npos;
}

std::string inlines(std::string_view s, Doc& doc, bool inLabel) {
  if (doc.inlineDepth >= kMaxInlineDepth) {
    return escapeHtml(s);
  }
  const DepthGuard depth(doc.inlineDepth);
  std::string out;
  BracketIndex brackets(s);
  // Per delimiter kind ('*', '_', '~' x run 1-3): the first `from` where no closing run was
  // found. No later one finds one either (findClosing's walk from there passes every
  // candidate a later walk could accept), so "***...***" is not rescanned per character.
  size_t noClosingFrom[3][4];
  for (auto& row : noClosingFrom) {
    std::fill(std::begin(row), std::end(row), std::string_view::npos);
  }
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if ((c == 'h' || c == 'f' || c == 'w') && !inLabel && autolinkTrigger(s, i)) {
      if (const size_t n = autolinkLength(s.substr(i)); n > 0) {
        const std::string_view link = s.substr(i, n);
        const std::string href = link.starts_with("www.") ? "http://" + std::string(link) : std::string(link);
        out += "<a href=\"" + escapeHtml(href) + "\">" + escapeHtml(link) + "</a>";
        i += n - 1;
        continue;
      }
    }
    if (c == '\\' && i + 1 < s.size() && s[i + 1] == '\n') {
      out += "<br>\n";  // a backslash at the end of a line is a hard break
      ++i;
      continue;
    }
    if (c == '\\' && i + 1 < s.size() && std::ispunct(static_cast<unsigned char>(s[i + 1]))) {
      out += escapeHtml(s.substr(i + 1, 1));
      ++i;
      continue;
    }
    if (c == '`') {
      size_t n = 0;
      while (i + n < s.size() && s[i + n] == '`') {
        ++n;
      }
      const size_t close = closingBackticks(s, i + n, n);
      if (close != std::string_view::npos) {
        std::string code(s.substr(i + n, close - i - n));
        for (char& ch : code) {
          ch = ch == '\n' ? ' ' : ch;
        }
        if (code.size() > 2 && code.front() == ' ' && code.back() == ' ') {
          code = code.substr(1, code.size() - 2);
        }
        out += "<code>" + escapeHtml(code) + "</code>";
        i = close + n - 1;
        continue;
      }
      // An unmatched run is text as a whole (CommonMark); retrying from each of its
      // backticks was quadratic on a long run.
      out.append(n, '`');
      i += n - 1;
      continue;
    }
    if (c == '!' && i + 1 < s.size() && s[i + 1] == '[') {
      if (auto link = matchLinkAt(s.substr(i + 1), brackets.closeOf(i + 1), doc.refs, doc.maxRefLabel)) {
        out += "<img src=\"" + escapeHtml(urlEscape(link->target.href)) + "\" alt=\"" +
               escapeHtml(link->text) + "\"" +
               (link->target.title ? " title=\"" + escapeHtml(*link->target.title) + "\"" : "") + ">";
        i += link->end;
        continue;
      }
    }
    if (c == '[' && !inLabel) {
      if (const size_t n = doc.footnotes.reference(s.substr(i), out); n > 0) {
        i += n - 1;
        continue;
      }
    }
    if (c == '[') {
      if (auto link = matchLinkAt(s.substr(i), brackets.closeOf(i), doc.refs, doc.maxRefLabel)) {
        out += "<a href=\"" + escapeHtml(urlEscape(link->target.href)) + "\"" +
               (link->target.title ? " title=\"" + escapeHtml(*link->target.title) + "\"" : "") + ">" +
               inlines(link->text, doc, true) + "</a>";
        i += link->end - 1;
        continue;
      }
    }
    if (c == '<') {
      const size_t close = s.find('>', i);
      if (close != std::string_view::npos) {
        std::string_view inner = s.substr(i + 1, close - i - 1);
        if (inner.find('@') != std::string_view::npos &&
            inner.find_first_of(" <:\\") == std::string_view::npos) {
          out += "<a href=\"mailto:" + escapeHtml(inner) + "\">" + escapeHtml(inner) + "</a>";  // <me@host>
          i = close;
          continue;
        }
        if (inner.starts_with("http://") || inner.starts_with("https://")) {
          out += "<a href=\"" + escapeHtml(inner) + "\">" + escapeHtml(inner) + "</a>";
          i = close;
          continue;
        }
        if (!inner.empty() &&
            (std::isalpha(static_cast<unsigned char>(inner[0])) || inner[0] == '/' || inner[0] == '!')) {
          out += std::string(s.substr(i, close - i + 1));  // raw HTML (goldmark's WithUnsafe)
          i = close;
          continue;
        }
      }
    }
    if ((c == '*' || c == '_' || c == '~') && i + 1 < s.size()) {
      // '_' inside a word (snake_case) neither opens nor closes emphasis.
      const bool wordBefore = i > 0 && std::isalnum(static_cast<unsigned char>(s[i - 1])) != 0;
      if (c == '_' && wordBefore) {
        out += c;
        continue;
      }
      size_t run = 1;  // the delimiter run, counted up to 3 only (a whole-run count was quadratic)
      while (run < 3 && i + run < s.size() && s[i + run] == c) {
        ++run;
      }
      if (c == '~' && run != 2) {
        out += c;
        continue;
      }
      const std::string delim(run, c);
      const size_t from = i + delim.size();
      size_t& noClosing = noClosingFrom[c == '*' ? 0 : c == '_' ? 1 : 2][run];
      if (from < s.size() && s[from] != ' ' && from < noClosing) {
        size_t close = findClosing(s, from, delim);
        if (close == std::string_view::npos) {
          noClosing = from;
        }
        while (c == '_' && close != std::string_view::npos && close + run < s.size() &&
               std::isalnum(static_cast<unsigned char>(s[close + run])) != 0) {
          close = findClosing(s, close + 1, delim);  // a closing '_' must end a word
        }
        if (close != std::string_view::npos && close > from) {
          const std::string inner = inlines(s.substr(from, close - from), doc, inLabel);
          out += c == '~'   ? "<del>" + inner + "</del>"
                 : run == 1 ? "<em>" + inner + "</em>"
                 : run == 2 ? "<strong>" + inner + "</strong>"
                            : "<em><strong>" + inner + "</strong></em>";
          i = close + delim.size() - 1;
          continue;
        }
      }
    }
    if (c == '\n') {
      if (out.ends_with("  ")) {
        while (out.ends_with(" ")) {
          out.pop_back();
        }
        out += "<br>\n";
      } else {
        while (out.ends_with(" ")) {
          out.pop_back();
        }
        out += '\n';
      }
      continue;
    }
    if (c == '&') {
      std::string text;
      if (const size_t n = entityReference(s.substr(i), text); n > 0) {
        out += escapeHtml(text);
        i += n - 1;
        continue;
      }
    }
    out += escapeHtml(std::string_view(&c, 1));
  }
  return out;
}

// goldmark's auto heading id: ASCII letters (lowercased) and digits kept, whitespace, '-' and
// '_' as '-', anything else (every non-ASCII byte too) dropped; "heading" when nothing is
// left; an id already used in the document gets "-1", "-2"... appended.
std::string headingId(const std::string& text, std::set<std::string>& used) {
  std::string id;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 && c < 0x80) {
      id += static_cast<char>(std::tolower(c));
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || c == '-' ||
               c == '_') {
      id += '-';
    }
  }
  if (id.empty()) {
    id = "heading";
  }
  if (used.insert(id).second) {
    return id;
  }
  for (int n = 1;; ++n) {
    std::string next = id + "-" + std::to_string(n);
    if (used.insert(next).second) {
      return next;
    }
  }
}

// GFM task list items: "[ ]", "[x]" or "[X]" opening an item's first paragraph becomes a
// disabled checkbox followed by one space (goldmark needs no space after the "]"). Strips
// the marker from the item's first line and returns the checkbox, or "" for other items.
std::string takeTaskBox(std::vector<std::string>& item) {
  if (item.empty()) {
    return {};
  }
  std::string& text = item.front();
  if (text.size() < 3 || text[0] != '[' || text[2] != ']' ||
      (text[1] != ' ' && text[1] != 'x' && text[1] != 'X')) {
    return {};
  }
  const bool checked = text[1] != ' ';
  text = trim(std::string_view(text).substr(3));
  return checked ? "<input checked=\"\" disabled=\"\" type=\"checkbox\"> "
                 : "<input disabled=\"\" type=\"checkbox\"> ";
}

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

std::string blocks(const std::vector<std::string>& lines, Doc& doc, bool tight = false,
                   bool* firstParagraph = nullptr);

bool startsOtherBlock(const std::string& l) {
  return headingLevel(trim(l)) > 0 || fence(l) || isHr(l) || trim(l).starts_with(">");
}

// A list item as goldmark prints it: a tight item's paragraphs are bare text (a newline
// after one only when a block follows), a loose item's are <p> blocks.
std::string renderItem(const std::vector<std::string>& lines, bool loose, Doc& doc) {
  // Copied only for a task item (to strip its marker): a copy per nesting level of every
  // line below was a second copy of a deeply nested list per level.
  std::vector<std::string> stripped;
  std::string box;
  if (!lines.empty() && lines.front().starts_with("[")) {
    stripped = lines;
    box = takeTaskBox(stripped);
  }
  const std::vector<std::string>& item = box.empty() ? lines : stripped;
  bool firstParagraph = false;
  std::string inner = blocks(item, doc, !loose, &firstParagraph);
  if (!box.empty() && firstParagraph) {
    inner.insert(loose ? 3 : 0, box);  // after "<p>" when loose
  }
  if (inner.empty()) {
    return "<li></li>\n";
  }
  return (!loose && firstParagraph ? "<li>" : "<li>\n") + inner + "</li>\n";
}

std::string renderList(const MarkdownList& list, Doc& doc) {
  std::string out = !list.ordered     ? "<ul>\n"
                    : list.start != 1 ? "<ol start=\"" + std::to_string(list.start) + "\">\n"
                                      : "<ol>\n";
  for (const auto& item : list.items) {
    out += renderItem(item, list.loose, doc);
  }
  return out + (list.ordered ? "</ol>\n" : "</ul>\n");
}

// What blocks() prints past kMaxBlockDepth: the lines as one paragraph of escaped text.
std::string flatText(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) {
    if (!blank(l)) {
      text += (text.empty() ? "" : "\n") + trim(l);
    }
  }
  return text.empty() ? std::string() : "<p>" + escapeHtml(text) + "</p>\n";
}

std::string blocks(const std::vector<std::string>& lines, Doc& doc, bool tight, bool* firstParagraph) {
  if (doc.blockDepth >= kMaxBlockDepth) {
    return flatText(lines);
  }
  const DepthGuard depth(doc.blockDepth);
  std::string out;
  size_t i = 0;
  while (i < lines.size()) {
    const std::string& l = lines[i];
    if (blank(l)) {
      ++i;
      continue;
    }
    if (const int level = headingLevel(trim(l)); level > 0) {
      std::string text = trim(trim(l).substr(static_cast<size_t>(level)));
      // A closing run of '#' goes only when a space precedes it (or it is all there is): "C#"
      // and "\#" keep theirs.
      if (const size_t run = text.find_last_not_of('#'); run == std::string::npos) {
        text.clear();
      } else if (run + 1 < text.size() && (text[run] == ' ' || text[run] == '\t')) {
        text.resize(run);
      }
      text = trim(text);
      const std::string lv = std::to_string(level);
      out +=
          "<h" + lv + " id=\"" + headingId(text, doc.ids) + "\">" + inlines(text, doc) + "</h" + lv + ">\n";
      ++i;
      continue;
    }
    if (isHr(l)) {
      out += "<hr>\n";
      ++i;
      continue;
    }
    if (fence(l)) {
      // The fence is the whole run of '`' or '~'; only a run at least as long, with nothing
      // after it, closes it.
      const std::string t = trim(l);
      const std::string marker = t.substr(0, t.find_first_not_of(t[0]));
      const std::string info = trim(std::string_view(t).substr(marker.size()));
      auto closes = [&marker](const std::string& x) {
        const std::string c = trim(x);
        return c.starts_with(marker) && c.find_first_not_of(marker[0]) == std::string::npos;
      };
      std::string code;
      ++i;
      while (i < lines.size() && !closes(lines[i])) {
        code += lines[i++] + "\n";
      }
      ++i;
      const std::string lang = info.substr(0, info.find(' '));
      out += "<pre><code" + (lang.empty() ? std::string() : " class=\"language-" + escapeHtml(lang) + "\"") +
             ">" + escapeHtml(code) + "</code></pre>\n";
      continue;
    }
    if (l.starts_with("    ") || l.starts_with("\t")) {
      std::string code;
      while (i < lines.size() &&
             (lines[i].starts_with("    ") || lines[i].starts_with("\t") || blank(lines[i]))) {
        code += (lines[i].starts_with("\t") ? lines[i].substr(1)
                 : lines[i].size() >= 4     ? lines[i].substr(4)
                                            : "") +
                "\n";
        ++i;
      }
      while (code.ends_with("\n\n")) {
        code.pop_back();
      }
      out += "<pre><code>" + escapeHtml(code) + "</code></pre>\n";
      continue;
    }
    if (trim(l).starts_with(">")) {
      std::vector<std::string> inner;
      while (i < lines.size() && trim(lines[i]).starts_with(">")) {
        std::string t = trim(lines[i++]).substr(1);
        inner.push_back(t.starts_with(" ") ? t.substr(1) : t);
      }
      out += "<blockquote>\n" + blocks(inner, doc) + "</blockquote>\n";
      continue;
    }
    if (parseListMarker(l)) {
      out += renderList(parseList(lines, i, startsOtherBlock), doc);
      continue;
    }
    if (l.find('|') != std::string::npos && i + 1 < lines.size() && delimiterRow(lines[i + 1]) &&
        cells(l).size() == cells(lines[i + 1]).size()) {
      const auto head = cells(l);
      std::vector<std::string> align;
      for (const auto& d : cells(lines[i + 1])) {
        const bool left = d.starts_with(":");
        const bool right = d.ends_with(":");
        align.push_back(left && right ? " style=\"text-align:center\""
                        : left        ? " style=\"text-align:left\""
                        : right       ? " style=\"text-align:right\""
                                      : "");
      }
      auto row = [&](const std::vector<std::string>& cs, const char* tag) {
        std::string r = "<tr>\n";
        for (size_t k = 0; k < head.size(); ++k) {
          r += std::string("<") + tag + (k < align.size() ? align[k] : "") + ">" +
               (k < cs.size() ? inlines(cs[k], doc) : "") + "</" + tag + ">\n";
        }
        return r + "</tr>\n";
      };
      out += "<table>\n<thead>\n" + row(head, "th") + "</thead>\n";
      i += 2;
      std::string body;
      while (i < lines.size() && !blank(lines[i]) && lines[i].find('|') != std::string::npos) {
        body += row(cells(lines[i++]), "td");
      }
      out += body.empty() ? "</table>\n" : "<tbody>\n" + body + "</tbody>\n</table>\n";
      continue;
    }
    if (htmlBlockStart(l)) {
      // Printed as it is (goldmark's WithUnsafe) up to a blank line, or, for a comment or a
      // <script>/<pre>/<style>/<textarea> block, up to the line that closes it.
      const std::string end = htmlBlockEnd(l);
      while (i < lines.size() && (!end.empty() || !blank(lines[i]))) {
        out += lines[i] + "\n";
        std::string lower = lines[i++];
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char ch) { return std::tolower(ch); });
        if (!end.empty() && lower.find(end) != std::string::npos) {
          break;
        }
      }
      continue;
    }
    std::string para;
    int setext = 0;
    while (i < lines.size() && !blank(lines[i]) && headingLevel(trim(lines[i])) == 0 && !fence(lines[i]) &&
           !trim(lines[i]).starts_with(">")) {
      if (!para.empty() && (setext = setextLevel(lines[i])) > 0) {
        ++i;
        break;
      }
      if (!para.empty() && (isHr(lines[i]) || parseListMarker(lines[i]))) {
        break;
      }
      const std::string& pl = lines[i++];
      para += (para.empty() ? "" : "\n") + pl.substr(std::min(pl.find_first_not_of(' '), pl.size()));
    }
    if (para.empty()) {
      para = trim(lines[i++]);
    }
    while (para.ends_with(" ")) {
      para.pop_back();
    }
    if (setext > 0) {
      const std::string lv = std::to_string(setext);
      out +=
          "<h" + lv + " id=\"" + headingId(para, doc.ids) + "\">" + inlines(para, doc) + "</h" + lv + ">\n";
      continue;
    }
    if (firstParagraph != nullptr && out.empty()) {
      *firstParagraph = true;
    }
    if (!tight) {
      out += "<p>" + inlines(para, doc) + "</p>\n";
      continue;
    }
    // A tight list item's paragraph: bare text, a newline only when another block follows.
    out += inlines(para, doc);
    if (std::any_of(lines.begin() + static_cast<std::ptrdiff_t>(i), lines.end(),
                    [](const std::string& x) { return !blank(x); })) {
      out += "\n";
    }
  }
  return out;
}

}  // namespace

std::string renderMarkdown(const std::string& input) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (;;) {
    const size_t nl = input.find('\n', start);
    std::string line = input.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (line.ends_with("\r")) {
      line.pop_back();
    }
    lines.push_back(std::move(line));
    if (nl == std::string::npos) {
      break;
    }
    start = nl + 1;
  }
  Doc doc;
  doc.footnotes.takeDefinitions(lines);
  doc.refs = takeLinkDefinitions(lines);
  doc.maxRefLabel = longestLabel(doc.refs);
  std::string out = blocks(lines, doc);
  return out +
         doc.footnotes.section([&doc](const std::vector<std::string>& note) { return blocks(note, doc); });
}

}  // namespace gatehouse::templates
