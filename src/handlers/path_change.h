#pragma once
// Path edits of the rewrite handler with Caddy's semantics: they work on the escaped path
// (URL.EscapedPath), so an encoded "%2F" survives a prefix strip, and the decoded path is
// recomputed from the result (Caddy's changePath).

#include <functional>
#include <string>
#include <string_view>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::handlers {

// Caddy's CleanPath: path.Clean keeping a trailing slash; repeated slashes are merged only
// when mergeSlashes (a pattern that itself holds "//" keeps them).
std::string cleanPathSlashes(std::string_view path, bool mergeSlashes);
// Trims prefix (suffix) from an escaped path, comparing case-insensitively in decoded space
// except where the pattern itself writes a %XX escape; returns the path unchanged when it
// does not start (end) with it.
std::string trimEscapedPrefix(std::string_view escapedPath, std::string_view prefix);
std::string trimEscapedSuffix(std::string_view escapedPath, std::string_view suffix);
// Applies edit to the escaped path; the decoded path follows from the result, or (when that
// does not decode or is empty) from the same edit applied to the decoded path.
void changePath(runtime::Request& r, const std::function<std::string(std::string_view)>& edit);

}  // namespace gatehouse::handlers
