// Global options that map straight onto the config: admin (with persist_config), storage,
// and the HTTP app's ports and shutdown timing.
#include "httptype/site_block.h"

namespace gatehouse::parser {
namespace {

const Json* option(const AdaptState& state, const char* name) {
  auto it = state.options.find(name);
  return it == state.options.end() ? nullptr : &it->second;
}

void applyAdmin(config::Config& config, const AdaptState& state) {
  if (const Json* admin = option(state, "admin"))
    config.admin = *admin;
  if (const Json* persist = option(state, "persist_config"); persist && *persist == "off") {
    if (!config.admin.is_object())
      config.admin = Json::object();
    config.admin["config"] = {{"persist", false}};
  }
}

void applyHttpOptions(config::Config& config, const AdaptState& state) {
  for (const char* key : {"http_port", "https_port", "grace_period", "shutdown_delay"}) {
    const Json* v = option(state, key);
    // Caddy's fields are omitempty: a zero port or duration is not printed (nor different
    // from an absent one).
    if (!v || (v->is_number() && *v == 0))
      continue;
    if (!config.http)
      config.http.emplace();
    config.http->options[key] = *v;
  }
}

}  // namespace

void applyGlobalOptionsToConfig(config::Config& config, AdaptState& state) {
  applyAdmin(config, state);
  if (const Json* storage = option(state, "storage"))
    config.storage = *storage;
  if (const Json* events = option(state, "events"))
    config.otherApps["events"] = *events;
  applyHttpOptions(config, state);
}

}  // namespace gatehouse::parser
