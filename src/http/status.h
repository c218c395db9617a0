#pragma once

#include <string_view>

namespace gatehouse::http {

// Go's http.StatusText; "" for unknown codes (Go then writes "status code N").
std::string_view reasonPhrase(int status);

}  // namespace gatehouse::http
