#pragma once
// {http.request.uuid}: a random (version 4) UUID made the first time a request asks for
// it and kept for the rest of the request, as caddy 2.6.2 keeps it in the request's vars
// under "uuid" (so {http.vars.uuid} shows it too, and a `vars uuid` set earlier wins).

#include <memory>
#include <string>

#include "gatehouse/runtime/handler.h"

namespace gatehouse::handlers {

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lowercase hex, as Go's uuid.New().String().
[[nodiscard]] std::string newUuid();

// Sets the var "uuid" unless the request already has one.
std::unique_ptr<runtime::Handler> makeRequestUuid();

}  // namespace gatehouse::handlers
