#pragma once
// Content-Type selection as Go's net/http does it for Caddy: by file extension first
// (mime.TypeByExtension with Go's built-in table), else by sniffing the first bytes
// (http.DetectContentType, reduced to the signatures that matter for web content).

#include <string>
#include <string_view>

namespace gatehouse::http {

// "" when the extension is unknown. `name` is a file name or path.
std::string_view contentTypeByExtension(std::string_view name);
std::string_view sniffContentType(std::string_view data);

}  // namespace gatehouse::http
