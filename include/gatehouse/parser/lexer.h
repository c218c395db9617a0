#pragma once
// Caddyfile lexer: text -> tokens, with Caddy's rules for whitespace, quotes, backticks,
// heredocs, comments, escaped newlines and a leading BOM.

#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/parser/token.h"

namespace gatehouse::parser {

// Throws ConfigError on malformed heredocs or unterminated quotes.
std::vector<Token> tokenize(std::string_view input, const std::string& filename);

// True when `next` begins on a later line than `prev` ends (Caddy's isNextOnNewLine).
bool isNextOnNewLine(const Token& prev, const Token& next);
// True when `next` begins on the very line `prev` ends (Caddy 2.6.2's nextOnSameLine).
bool isNextOnSameLine(const Token& prev, const Token& next);

}  // namespace gatehouse::parser
