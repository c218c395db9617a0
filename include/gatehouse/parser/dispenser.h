#pragma once
// Dispenser: a cursor over one segment's tokens, with Caddy's Dispenser semantics
// (Next, NextArg, NextLine, NextBlock, Nesting, RemainingArgs ...). Directive parsers read
// tokens only through it, and only it builds their errors, so every error carries the
// position of the token at hand.

#include <string>
#include <vector>

#include "gatehouse/parser/config_error.h"
#include "gatehouse/parser/token.h"

namespace gatehouse::parser {

class Dispenser {
 public:
  explicit Dispenser(std::vector<Token> tokens);

  // Moves to the next token, across lines. False at the end.
  bool next();
  // Moves back one token. False at the start.
  bool prev();
  // Next token on the same line, not an opening brace. False (cursor unchanged) otherwise.
  bool nextArg();
  // Next token only if it starts a new line.
  bool nextLine();
  // Steps into or through a block: call in a loop `while (d.nextBlock(nesting))`.
  bool nextBlock(int initialNesting);
  // Current nesting depth of blocks opened with nextBlock.
  [[nodiscard]] int nesting() const { return nesting_; }

  // Current token text ("" before the first next()).
  [[nodiscard]] const std::string& val() const;
  [[nodiscard]] const Token& token() const;
  [[nodiscard]] int cursor() const { return cursor_; }
  [[nodiscard]] bool atEnd() const;
  // Rest of the arguments on this line (stops at '{').
  std::vector<std::string> remainingArgs();
  std::vector<Token> remainingArgsRaw();
  [[nodiscard]] int countRemainingArgs() const;
  // Text of the next token, without moving (empty at the end).
  [[nodiscard]] std::string peekVal() const;
  // Tokens from the current token to the end of its block (inclusive), moving past them.
  std::vector<Token> nextSegment();
  // A new Dispenser over nextSegment().
  Dispenser newFromNextSegment();
  // Removes the current token; the cursor moves to the previous one.
  void deleteToken();
  // Resets to before the first token.
  void reset();
  [[nodiscard]] const std::vector<Token>& tokens() const { return tokens_; }
  // Where the current (or, before the first next(), the first) token stands.
  [[nodiscard]] Location location() const;

  // Errors, all positioned at the current token.
  [[nodiscard]] ConfigError err(const std::string& message) const;
  // "wrong argument count or unexpected line ending after '<val>'"
  [[nodiscard]] ConfigError argErr() const;
  // "syntax error: unexpected token '<val>', expecting '<expected>'"
  [[nodiscard]] ConfigError syntaxErr(const std::string& expected) const;
  // "unrecognized subdirective '<val>'" style helper: "unrecognized <what> '<val>'"
  [[nodiscard]] ConfigError unknownErr(const std::string& what) const;
  // Throws argErr() when more arguments remain on the line.
  void noMoreArgs();

 private:
  bool nextOnSameLine();
  [[nodiscard]] bool isOpenBrace() const;
  [[nodiscard]] bool isCloseBrace() const;

  std::vector<Token> tokens_;
  int cursor_ = -1;
  int nesting_ = 0;
};

}  // namespace gatehouse::parser
