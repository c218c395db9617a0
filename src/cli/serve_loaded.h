#pragma once
// The last step of `run` and of the quick-start commands: provision a loaded config and
// serve it until the process is stopped.

#include <functional>
#include <optional>
#include <string>

#include "cli/config_loader.h"
#include "server/server_group.h"

namespace gatehouse::cli {

// `label` names the config in errors (its file). `source`, when given, is what the admin
// API serves as the running config instead of the loaded one. Returns the exit code.
int serveLoaded(const LoadedConfig& loaded, const std::string& label, const server::RunOptions& options,
                const std::optional<config::Json>& source = std::nullopt);

// A quick-start command's config from `build`, which throws with a message for the user:
// false, with "Error: <message>" printed, when it cannot be built.
bool loadBuiltConfig(const std::function<config::Json()>& build, LoadedConfig& out);

// --workers (else $GATEHOUSE_WORKERS, else one per core: `out` untouched). False, with the
// error printed, for anything but 1..1024.
bool workerCount(std::string text, unsigned& out);

}  // namespace gatehouse::cli
