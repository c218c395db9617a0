#pragma once
// Caddy's handler error ids ({http.error.id}): 9 random characters of [a-z0-9].

#include <string>

namespace gatehouse::router {

std::string newErrorId();

}  // namespace gatehouse::router
