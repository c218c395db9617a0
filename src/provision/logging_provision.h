#pragma once
// Caddy's top-level `logging` (named logs: writer, encoder, level, include/exclude) and a
// server's `logs` (which logger names its access entries use) -> log service objects.

#include <memory>
#include <string>

#include "gatehouse/config/site_graph.h"
#include "log/access_log.h"
#include "log/log_service.h"

namespace gatehouse::provision {

// The log service, or null when no server keeps access logs and `logging` defines no log
// (gatehouse's own messages then go straight to stderr). Throws ProvisionError.
std::shared_ptr<log::LogService> provisionLogging(const config::Config& config);

// A server's access log from its `logs` object. Throws ProvisionError naming `path`.
std::unique_ptr<log::AccessLog> provisionAccessLog(const config::Json& logs, const std::string& path,
                                                   std::shared_ptr<log::LogService> service);

}  // namespace gatehouse::provision
