#include "templates/markdown_lists.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace gatehouse::templates {

namespace {

// Plain loops: find_first_not_of calls memchr per character, which made deeply indented
// lists (every line scanned once per nesting level) several times slower.
bool isBlank(const std::string& l) {
  return std::all_of(l.begin(), l.end(), [](char c) { return c == ' ' || c == '\t'; });
}

size_t leadingSpaces(const std::string& l) {
  size_t n = 0;
  while (n < l.size() && l[n] == ' ') {
    ++n;
  }
  return n;
}

bool sameKind(const ListMarker& a, const ListMarker& b) {
  return a.ordered == b.ordered && a.delimiter == b.delimiter;
}

bool isFence(const std::string& l) {
  const std::string_view t = std::string_view(l).substr(std::min(leadingSpaces(l), l.size()));
  return t.starts_with("```") || t.starts_with("~~~");
}

// Whether a blank line separates two of the item's own blocks (the list is then loose),
// rather than sitting inside fenced code or inside a nested list, whose looseness is its
// own.
bool itemIsLoose(const std::vector<std::string>& item) {
  size_t nested = std::string::npos;  // content column of the nested list's last item
  bool inFence = false;
  for (size_t k = 0; k < item.size(); ++k) {
    const std::string& l = item[k];
    if (isFence(l)) {
      inFence = !inFence;
    }
    if (inFence) {
      continue;
    }
    if (!isBlank(l)) {
      if (const auto m = parseListMarker(l)) {
        nested = m->content;
      } else if (leadingSpaces(l) < 4 && (nested == std::string::npos || leadingSpaces(l) < nested) &&
                 k > 0 && isBlank(item[k - 1])) {
        nested = std::string::npos;  // a paragraph of the item after the nested list
      }
      continue;
    }
    size_t next = k + 1;
    while (next < item.size() && isBlank(item[next])) {
      ++next;
    }
    if (next >= item.size()) {
      return false;
    }
    const bool insideNested =
        nested != std::string::npos && (leadingSpaces(item[next]) >= nested || parseListMarker(item[next]));
    if (!insideNested) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<ListMarker> parseListMarker(const std::string& line) {
  const size_t indent = leadingSpaces(line);
  if (indent > 3 || indent >= line.size()) {
    return std::nullopt;
  }
  ListMarker m;
  size_t after = indent;
  const char c = line[indent];
  if (c == '-' || c == '*' || c == '+') {
    m.delimiter = c;
    after = indent + 1;
  } else {
    size_t d = indent;
    while (d < line.size() && d - indent < 9 && std::isdigit(static_cast<unsigned char>(line[d])) != 0) {
      ++d;
    }
    if (d == indent || d >= line.size() || (line[d] != '.' && line[d] != ')')) {
      return std::nullopt;
    }
    m.ordered = true;
    m.delimiter = line[d];
    m.number = std::stoi(line.substr(indent, d - indent));
    after = d + 1;
  }
  if (after < line.size() && line[after] != ' ' && line[after] != '\t') {
    return std::nullopt;
  }
  size_t spaces = 0;
  while (after + spaces < line.size() && (line[after + spaces] == ' ' || line[after + spaces] == '\t')) {
    ++spaces;
  }
  // One to four spaces set the content column; more mean indented code after one space.
  if (after + spaces >= line.size()) {
    spaces = 1;
  } else if (spaces > 4) {
    spaces = 1;
  }
  m.content = after + spaces;
  return m;
}

MarkdownList parseList(const std::vector<std::string>& lines, size_t& i,
                       const std::function<bool(const std::string&)>& interrupts) {
  MarkdownList list;
  const ListMarker first = *parseListMarker(lines[i]);
  list.ordered = first.ordered;
  list.start = first.number;
  bool blankBefore = false;  // a blank line ended the previous item
  while (i < lines.size()) {
    const auto marker = parseListMarker(lines[i]);
    if (!marker || !sameKind(*marker, first)) {
      break;
    }
    if (blankBefore) {
      list.loose = true;
    }
    std::vector<std::string> item;
    const std::string& head = lines[i];
    item.push_back(marker->content < head.size() ? head.substr(marker->content) : std::string());
    ++i;
    bool pendingBlank = false;
    while (i < lines.size()) {
      const std::string& l = lines[i];
      if (isBlank(l)) {
        pendingBlank = true;
        item.emplace_back();
        ++i;
        continue;
      }
      if (leadingSpaces(l) >= marker->content) {
        item.push_back(l.substr(marker->content));
        pendingBlank = false;
        ++i;
        continue;
      }
      // Lazy continuation of the item's paragraph: no blank line before, no new block.
      if (!pendingBlank && !isBlank(item.back()) && !parseListMarker(l) && !interrupts(l)) {
        std::string lazy = l.substr(leadingSpaces(l));
        if (lazy.find_first_not_of("= \t") == std::string::npos) {
          lazy = "\\" + lazy;  // a lazy line underlines no setext heading: "===" stays text
        }
        item.push_back(std::move(lazy));
        ++i;
        continue;
      }
      break;
    }
    blankBefore = false;
    while (!item.empty() && isBlank(item.back())) {
      item.pop_back();
      blankBefore = true;
    }
    if (itemIsLoose(item)) {
      list.loose = true;
    }
    list.items.push_back(std::move(item));
  }
  return list;
}

}  // namespace gatehouse::templates
