#pragma once
// Caddy's path matcher in its two less common modes: a pattern holding '%' compares against
// the escaped path (so "%2F" is not "/"), and a pattern holding "//" keeps repeated slashes
// in the path it compares against.

#include <string>
#include <string_view>

#include "router/path_pattern.h"

namespace gatehouse::router {

// Caddy's CleanPath: Go's path.Clean keeping a trailing slash; with `mergeSlashes` false,
// runs of '/' survive the cleaning ("//a/./b" -> "//a/b").
std::string cleanRequestPath(std::string_view path, bool mergeSlashes);

// An escaped ('%') pattern against the cleaned escaped path. The path is walked
// alongside the pattern: where the pattern has an escape the path's escape is compared as
// written (hex case folded), elsewhere the decoded character; "%*" is a wildcard whose span
// stays escaped, "*" one whose span is decoded. What was built is then glob-matched, so a
// path longer than the pattern is cut where the pattern ends (Caddy 2.6.2 does the same).
bool matchEscapedPathPattern(const PathPattern& escapedPattern, std::string_view escapedPath);

}  // namespace gatehouse::router
