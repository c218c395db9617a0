#pragma once
// A Caddyfile token: one word of the config with where it came from.

#include <memory>
#include <string>
#include <vector>

namespace gatehouse::parser {

// What every token of one file (or of one import of a file or snippet) has in common. Tokens
// share it instead of each carrying copies: a config of thousands of sites has millions of
// tokens, and their size is most of the parser's memory.
struct Source {
  std::string file;
  // Import chain, innermost first: "Caddyfile:7:1" for each `import` that brought this in.
  std::vector<std::string> importedFrom;
  // Set on tokens that came from a snippet (for import-cycle names).
  std::string snippetName;
  // Set on tokens an import block (newer Caddy's {block}, {blocks.NAME}) brought in: next to
  // them, "same line" follows newer Caddy (same file and import chain), not 2.6.2.
  bool importBlock = false;
};

// Where a token or a config node came from. Lines and columns are 1-based.
//
// `line` follows Caddy: a line continued with a trailing backslash does not count, so tokens
// joined that way share one line (the dispenser's notion of "same line" depends on it);
// `col` is the byte column where the token starts.
struct Location {
  Location() = default;
  Location(std::shared_ptr<const Source> from, int atLine, int atCol)
      : source(std::move(from)), line(atLine), col(atCol) {}
  // A location with a source of its own (errors and warnings outside token streams).
  Location(std::string file, int atLine, int atCol, std::vector<std::string> chain = {});

  std::shared_ptr<const Source> source;  // null: no position
  int line = 0;
  int col = 0;

  // "" when there is no source.
  [[nodiscard]] const std::string& file() const;
  [[nodiscard]] const std::vector<std::string>& importedFrom() const;
  [[nodiscard]] const std::string& snippetName() const;
  [[nodiscard]] bool fromImportBlock() const { return source && source->importBlock; }
  // Same file and import chain (the snippet name does not count).
  [[nodiscard]] bool sameSource(const Location& other) const;
  // "file:line:col".
  [[nodiscard]] std::string str() const;
};

struct Token {
  std::string text;
  Location loc;
  // The quote character that enclosed the token: 0, '"', '`', or '<' for a heredoc.
  char quote = 0;

  [[nodiscard]] bool quoted() const { return quote != 0; }
  // Number of line breaks inside the token text (heredocs count their opening line).
  [[nodiscard]] int numLineBreaks() const;
};

}  // namespace gatehouse::parser
