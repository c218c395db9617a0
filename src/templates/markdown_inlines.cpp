// The inline pass of templates/markdown.cpp: code spans, emphasis, strong, strikethrough,
// inline and reference links, images, autolinks and linkify, entity references, raw HTML,
// backslash escapes, hard breaks and footnote references, printed as goldmark does.

#include <algorithm>
#include <cctype>

#include "templates/markdown_doc.h"
#include "templates/markdown_text.h"

namespace gatehouse::templates::markdown {

namespace {

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

}  // namespace

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
  size_t noEmailBefore = 0;
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
    // A failed address fails again from any later start in its local part ("a_a_a_..."
    // triggers at every '_'): skip those, so a long line stays linear.
    if (i >= noEmailBefore && std::isalnum(static_cast<unsigned char>(c)) != 0 && !inLabel &&
        autolinkTrigger(s, i)) {
      size_t localEnd = 0;
      const size_t n = emailAutolinkLength(s.substr(i), localEnd);
      noEmailBefore = i + localEnd;
      if (n > 0) {
        const std::string_view mail = s.substr(i, n);
        out += "<a href=\"mailto:" + escapeHtml(std::string(mail)) + "\">" + escapeHtml(mail) + "</a>";
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

}  // namespace gatehouse::templates::markdown
