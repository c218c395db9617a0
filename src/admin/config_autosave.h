#pragma once
// Caddy's config autosave: every config that starts running (at start-up, through the admin
// API, the config loader or a reload) is written to <config dir>/caddy/autosave.json unless
// it says `admin.config.persist: false`, so `gatehouse run --resume` can start from the last
// config after a restart, including changes made through the API.

#include <optional>
#include <string>

#include "gatehouse/config/site_graph.h"

namespace gatehouse::admin {

// Caddy's AppConfigDir: $XDG_CONFIG_HOME/caddy, else ~/.config/caddy, else ./caddy.
std::string appConfigDir();

// autosave.json in appConfigDir().
std::string autosavePath();

// Whether `source` (a config as Caddy JSON) asks to be kept on disk: persist is on by default.
bool persistWanted(const config::Json& source);

// Writes `source` as Go's json.Marshal prints it (what caddy writes), 0600 in a 0700
// directory, atomically; logs "autosaved config" or why it could not. Never throws: a config
// that runs stays running when the disk refuses it.
void autosaveConfig(const config::Json& source, const std::string& path);

// The autosaved config's text; nullopt when there is none. Throws std::runtime_error when
// it exists but cannot be read.
std::optional<std::string> readAutosave(const std::string& path);

}  // namespace gatehouse::admin
