#pragma once

#include <memory>
#include <string>

#include "handlers/handlers.h"

namespace gatehouse::provision {

// Builds the runtime handler for one config handler; throws ProvisionError for unknown names.
std::unique_ptr<runtime::Handler> makeHandler(const config::Handler& h, const std::string& path,
                                              const handlers::RouteCompiler& compile);

}  // namespace gatehouse::provision
