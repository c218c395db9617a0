#pragma once
// The path rules of file_server: what a resolved path may be (inside the root, not hidden).
// Kept apart from the handler so the rules read on their own, as Caddy's fileHidden does.

#include <optional>
#include <string>
#include <vector>

namespace gatehouse::handlers {

// realpath(3) of `p`; nullopt when it cannot be resolved (missing, a loop, too long).
std::optional<std::string> realPath(const std::string& p);
// True when `path` is `root` or below it (both resolved, without a trailing slash).
bool within(const std::string& path, const std::string& root);
// Caddy's fileHidden: a name without '/' hides any matching path component; a path hides
// itself and everything below it; either may be a glob.
bool hidden(const std::string& filename, const std::vector<std::string>& hide);
// Go's mapDirOpenError: a stat that failed otherwise than "not found" (a NUL's EINVAL) is
// "not found" all the same when a directory on the way to `filename` is a file.
bool underAFile(const std::string& filename);

}  // namespace gatehouse::handlers
