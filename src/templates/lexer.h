#pragma once
// Go text/template's lexer: splits a template into text and the items of its actions,
// applying the trim markers (`{{- ` and ` -}}`) and dropping comments (`{{/* */}}`).

#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::templates {

enum class Tok {
  Text,
  LeftDelim,
  RightDelim,
  Ident,     // a function name or keyword
  Field,     // ".Name" (text holds "Name")
  Dot,       // "."
  Variable,  // "$" or "$name" (text holds it with the '$')
  String,    // a quoted or raw string, unquoted
  Char,      // a character constant, as its code point in text
  Number,
  Bool,
  Nil,
  Pipe,
  LParen,
  RParen,
  Declare,  // :=
  Assign,   // =
  Comma,
  Eof,
  Error,  // a lexing error (text: the whole message): raised when the parser reaches it
};

struct Token {
  Tok type;
  std::string text;
  int line = 1;
  int col = 0;               // byte offset in its line (Go's ErrorContext column, 0-based)
  bool spaceBefore = false;  // whitespace separated it from the previous item
  std::string raw;           // source spelling of a string, char or number (Go's node String())
};

// Malformed input ends the items with an Error item holding the message ("template:
// NAME:LINE: ..."): Go's lexer runs as the parser asks, so a parse error before it wins.
std::vector<Token> lexTemplate(std::string_view name, std::string_view input, std::string_view left = "{{",
                               std::string_view right = "}}");

}  // namespace gatehouse::templates
