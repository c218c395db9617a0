// Caddy's `markdown` (goldmark with GFM): a CommonMark subset rendered the way goldmark
// prints it. Blocks: ATX and setext headings (with goldmark's auto ids), paragraphs,
// thematic breaks, fenced and indented code, blockquotes, nested tight/loose lists
// (templates/markdown_lists.*), GFM tables and task items, HTML blocks. Inlines: code
// spans, emphasis, strong, strikethrough, inline and reference links, images, autolinks and
// linkify, entity references (templates/markdown_refs.*), raw HTML, backslash escapes, hard
// breaks, footnotes (templates/markdown_footnotes.*). Not covered: chroma's highlighting of fenced code with
// a language (printed as a plain code block with a language-* class), HTML5's full entity table.
//
// This file splits the input into lines and runs the passes over them: the block pass
// (templates/markdown_blocks.cpp) and the inline pass (templates/markdown_inlines.cpp).

#include <string>
#include <vector>

#include "templates/caddy_context.h"
#include "templates/markdown_doc.h"

namespace gatehouse::templates {

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
  markdown::Doc doc;
  doc.footnotes.takeDefinitions(lines);
  doc.refs = takeLinkDefinitions(lines);
  doc.maxRefLabel = longestLabel(doc.refs);
  std::string out = markdown::blocks(lines, doc);
  return out + doc.footnotes.section(
                   [&doc](const std::vector<std::string>& note) { return markdown::blocks(note, doc); });
}

}  // namespace gatehouse::templates
