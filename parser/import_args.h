#pragma once
// Import arguments: {args[N]} (and the deprecated {args.N}) inside imported tokens, and the
// variadic {args[a:b]} that expands to several tokens.

#include <cstddef>
#include <string>
#include <vector>

namespace gatehouse::parser {

// Replaces the {args[N]} / {args.N} placeholders that name an existing argument; every other
// placeholder stays as written. Like Caddy's replacer, a backslash before a brace is dropped.
std::string replaceImportArgs(const std::string& text, const std::vector<std::string>& args);

// True when `text` is exactly a variadic placeholder {args[start:end]} (either bound may be
// omitted) whose range fits `argCount`; sets the half-open range [start, end).
bool parseVariadicArgs(const std::string& text, size_t argCount, size_t& start, size_t& end);

}  // namespace gatehouse::parser
