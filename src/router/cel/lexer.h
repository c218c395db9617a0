#pragma once
// CEL's lexical grammar (langdef.md "Syntax"): identifiers, int/uint/double literals,
// quoted, triple-quoted, raw and bytes string literals with their escapes, operators and
// `//` comments. Errors throw CelError with the offset of the offending character.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::router::cel {

// A compile-time error at `offset` in the (placeholder-expanded) expression.
class CelError : public std::runtime_error {
 public:
  CelError(size_t offset, const std::string& message) : std::runtime_error(message), offset_(offset) {}
  [[nodiscard]] size_t offset() const { return offset_; }

 private:
  size_t offset_;
};

enum class Tok : uint8_t {
  End,
  Ident,
  Int,     // digits in `text` (decimal or 0x...), value in `u`
  Uint,    // value in `u`
  Double,  // value in `d`
  String,  // decoded value in `text`
  Bytes,
  Punct,  // operator or punctuation in `text`
};

struct Token {
  Tok kind = Tok::End;
  std::string text;
  uint64_t u = 0;
  double d = 0;
  size_t offset = 0;
};

std::vector<Token> lex(std::string_view src);

}  // namespace gatehouse::router::cel
