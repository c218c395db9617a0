#pragma once
// Go's strconv integer parsing, as the template functions Caddy inherits from sprig apply it
// to text: `int`/`int64` (spf13/cast) and `atoi` (strconv.Atoi) each answer differently for
// "010", "0x10", "1_000", "12.5" or a number past int64's range.

#include <cstdint>
#include <string_view>

namespace gatehouse::templates {

enum class ParseIntResult { Ok, Syntax, Range };

// strconv.ParseInt(s, base, 64) for base 10 or 0 (0: Go's literal prefixes 0x/0o/0b, a
// leading 0 for octal, and '_' between digits). On Range, `out` is the clamped limit, as Go
// returns it.
ParseIntResult goParseInt(std::string_view s, int base, int64_t& out);

// cast.ToInt64 of a string (sprig's int, int64 and the math functions): zero decimals
// trimmed ("12.000"), then ParseInt base 0; 0 when that fails.
int64_t castStringToInt64(std::string_view s);

// strconv.Atoi with its error ignored (sprig's atoi): base 10, 0 for text that is no
// number, the clamped limit for one past int64's range.
int64_t goAtoi(std::string_view s);

}  // namespace gatehouse::templates
