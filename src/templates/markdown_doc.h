#pragma once
// What the two passes of templates/markdown.cpp share: the document's state, the nesting
// bounds, and their entry points, the block pass (templates/markdown_blocks.cpp) and the
// inline pass (templates/markdown_inlines.cpp), which call each other.

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "templates/markdown_footnotes.h"
#include "templates/markdown_refs.h"

namespace gatehouse::templates::markdown {

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

// The inline pass: `s` as HTML. `inLabel`: inside a link label, where goldmark makes no
// autolinks.
std::string inlines(std::string_view s, Doc& doc, bool inLabel = false);

// The block pass: `lines` as HTML. `tight`: a tight list item's (paragraphs print as bare
// text); `firstParagraph`, when given, is set when the first block is a paragraph.
std::string blocks(const std::vector<std::string>& lines, Doc& doc, bool tight = false,
                   bool* firstParagraph = nullptr);

}  // namespace gatehouse::templates::markdown
