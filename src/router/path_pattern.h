#pragma once
// One `path` matcher pattern with what matching it needs to know of its text (which of the
// matcher's modes it takes), found once: at provision time for a literal pattern, so a
// request does no scanning of the pattern.

#include <string>

namespace gatehouse::router {

struct PathPattern {
  // `lowered`: the pattern already lowercased (the matcher is case-insensitive).
  explicit PathPattern(std::string lowered);

  std::string text;
  // For an escaped pattern: `text` with each "%*" globbed as "*" (the form the path built
  // alongside it is glob-matched against); empty otherwise.
  std::string escapedGlob;
  bool any = false;          // "*": every path matches
  bool keepSlashes = false;  // holds "//": compared against a path whose repeated slashes are kept
  bool escaped = false;      // holds '%': compared in escaped space ("%2F" is not "/")
};

}  // namespace gatehouse::router
