#pragma once
// A Caddyfile token: one word of the config with where it came from.

#include <string>
#include <vector>

namespace gatehouse::parser {

// Where a token or a config node came from. Lines and columns are 1-based.
//
// `line` follows Caddy: a line continued with a trailing backslash does not count, so tokens
// joined that way share one line (the dispenser's notion of "same line" depends on it);
// `col` is the byte column where the token starts.
struct Location {
  std::string file;
  int line = 0;
  int col = 0;
  // Import chain, innermost first: "Caddyfile:7:1" for each `import` that brought this in.
  std::vector<std::string> importedFrom;

  // "file:line:col".
  [[nodiscard]] std::string str() const;
};

struct Token {
  std::string text;
  Location loc;
  // The quote character that enclosed the token: 0, '"', '`', or '<' for a heredoc.
  char quote = 0;
  std::string heredocMarker;
  // Set on tokens that came from a snippet (for error messages and {block} handling).
  std::string snippetName;

  [[nodiscard]] bool quoted() const { return quote != 0; }
  // Number of line breaks inside the token text (heredocs count their opening line).
  [[nodiscard]] int numLineBreaks() const;
};

}  // namespace gatehouse::parser
