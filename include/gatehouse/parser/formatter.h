#pragma once
// Caddyfile formatter: the text `caddy fmt` prints (Caddy's caddyfile.Format), byte for byte.

#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::parser {

// Re-indents with tabs, puts braces and blank lines where Caddy does, and keeps words,
// comments, quoted text and heredocs as written. The result ends with one newline.
std::string formatCaddyfile(std::string_view input);

// Where formatting would first change `input` (1-based line), or 0 when it is already
// formatted. CRLF line ends are compared as LF (Caddy's FormattingDifference).
int firstUnformattedLine(std::string_view input);

// `caddy fmt --diff` output: each line of the input and of the formatted text, prefixed with
// "  " (both), "- " (input only) or "+ " (formatted only), in Caddy's LCS order.
std::string formatDiff(std::string_view input, std::string_view formatted);

}  // namespace gatehouse::parser
