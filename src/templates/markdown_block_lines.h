#pragma once
// What kind of block a line starts (or ends), for the block pass (templates/markdown_blocks.cpp).

#include <string>
#include <vector>

namespace gatehouse::templates::markdown {

// A setext heading underline: only '=' (level 1) or only '-' (level 2), up to 3 spaces
// before and any after; 0 otherwise.
int setextLevel(const std::string& l);
// A thematic break: three or more '-', '*' or '_' (the same one), spaces between.
bool isHr(const std::string& l);
// An ATX heading's level (1 to 6) for a trimmed line; 0 when it is none.
int headingLevel(const std::string& l);
// A GFM table row's cells, trimmed (an escaped '|' does not split).
std::vector<std::string> cells(const std::string& line);
// A GFM table's delimiter row ("|---|:-:|").
bool delimiterRow(const std::string& l);
// A code fence ("```" or "~~~") starts the line.
bool fence(const std::string& l);
// CommonMark's HTML block start, and the text that ends it (see the definitions).
bool htmlBlockStart(const std::string& line);
std::string htmlBlockEnd(const std::string& line);
// A line that interrupts a list item's lazy paragraph: a heading, fence, rule or quote.
bool startsOtherBlock(const std::string& l);

}  // namespace gatehouse::templates::markdown
