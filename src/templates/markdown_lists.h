#pragma once
// The line structure of CommonMark lists for templates/markdown.cpp: where items start and
// end, which lines belong to each (with the item's content column removed, so nested lists
// and paragraphs parse recursively), and whether the list is loose (its paragraphs get <p>).

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace gatehouse::templates {

struct ListMarker {
  size_t content = 0;  // column where the item's content starts
  bool ordered = false;
  char delimiter = 0;  // '-', '*', '+' for bullets; '.' or ')' for ordered items
  int number = 0;      // ordered items
};

// A list item marker at the start of `line` (up to 3 spaces before it, then at least one
// space or the end of the line after it).
[[nodiscard]] std::optional<ListMarker> parseListMarker(const std::string& line);

struct MarkdownList {
  bool ordered = false;
  int start = 1;
  bool loose = false;
  std::vector<std::vector<std::string>> items;
};

// Reads the list that starts at lines[i] and moves `i` past it. `interrupts` says whether
// an unindented line starts another block (heading, fence, rule, quote) rather than
// continuing an item's paragraph lazily.
[[nodiscard]] MarkdownList parseList(const std::vector<std::string>& lines, size_t& i,
                                     const std::function<bool(const std::string&)>& interrupts);

}  // namespace gatehouse::templates
