// The block pass of templates/markdown.cpp: ATX and setext headings (with goldmark's auto
// ids), paragraphs, thematic breaks, fenced and indented code, blockquotes, lists (their line
// structure from templates/markdown_lists.*) with GFM task items, GFM tables and HTML
// blocks, printed as goldmark does.

#include <algorithm>
#include <cctype>
#include <set>

#include "templates/markdown_block_lines.h"
#include "templates/markdown_doc.h"
#include "templates/markdown_lists.h"
#include "templates/markdown_text.h"

namespace gatehouse::templates::markdown {

namespace {

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

}  // namespace

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
          // goldmark pads a short row with bare cells: no alignment on them.
          r += std::string("<") + tag + (k < align.size() && k < cs.size() ? align[k] : "") + ">" +
               (k < cs.size() ? inlines(cs[k], doc) : "") + "</" + tag + ">\n";
        }
        return r + "</tr>\n";
      };
      out += "<table>\n<thead>\n" + row(head, "th") + "</thead>\n";
      i += 2;
      std::string body;
      // goldmark reads a table out of a paragraph: every line the paragraph goes on with is a
      // row, pipe or not.
      while (i < lines.size() && !blank(lines[i]) && headingLevel(trim(lines[i])) == 0 && !fence(lines[i]) &&
             !trim(lines[i]).starts_with(">") && !isHr(lines[i]) && !parseListMarker(lines[i]) &&
             !htmlBlockStart(lines[i])) {
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
      // goldmark's auto id reads the heading's last line only
      const std::string lv = std::to_string(setext);
      const std::string last = para.substr(para.rfind('\n') == std::string::npos ? 0 : para.rfind('\n') + 1);
      out +=
          "<h" + lv + " id=\"" + headingId(last, doc.ids) + "\">" + inlines(para, doc) + "</h" + lv + ">\n";
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

}  // namespace gatehouse::templates::markdown
