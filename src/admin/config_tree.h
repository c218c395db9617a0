#pragma once
// Caddy 2.6.2's config traversal (admin /config/ paths) on an in-memory JSON tree, with its
// semantics and error texts: GET reads, POST appends to an array (or sets), PUT inserts into
// an array or creates a key (an error if it exists; missing parents are created), PATCH
// replaces what exists, DELETE removes; a trailing "..." expands an array payload. Also the
// Go-style encoding the ETag hashes, and the @id index.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "gatehouse/config/site_graph.h"

namespace gatehouse::admin {

using config::Json;

// As Go's encoding/json prints a decoded value: keys sorted, compact, HTML characters escaped.
// With `newline`, followed by "\n" as json.Encoder writes it.
std::string goEncode(const Json& value, bool newline = false);

// Caddy's ETag hash: FNV-1a 32-bit, as 8 lower-case hex digits.
std::string fnv1aHex(std::string_view data);

// Applies `method` at `path` ("/config/apps/http") to `root` ({"config": ...}). `value` is
// the decoded body (null when none). GET writes json.Encoder output into `out`. Returns the
// error message (Caddy returns these as plain errors).
std::optional<std::string> accessConfig(Json& root, const std::string& method, const std::string& path,
                                        const Json& value, std::string* out);

// Caddy's @id index: id -> "/config/..." path; an error for an @id that is not a string or
// number.
std::optional<std::string> indexIds(const Json& node, const std::string& at,
                                    std::map<std::string, std::string>& index);

// A copy without "@id" members (Caddy strips these meta fields before decoding modules).
Json withoutIds(const Json& node);

}  // namespace gatehouse::admin
