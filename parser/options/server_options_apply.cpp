// Applies the `servers` global option entries to the built servers (Caddy's
// applyServerOptions): the first entry whose listener address the server listens on (or an
// entry without address) sets the server's options, and may rename the server.
#include <algorithm>

#include "httptype/site_block.h"

namespace gatehouse::parser {
namespace {

// Every server field an entry governs; Caddy assigns them all, unset ones included.
constexpr const char* kGoverned[] = {"listener_wrappers",
                                     "read_timeout",
                                     "read_header_timeout",
                                     "write_timeout",
                                     "idle_timeout",
                                     "keepalive_interval",
                                     "keepalive_idle",
                                     "keepalive_count",
                                     "max_header_bytes",
                                     "enable_full_duplex",
                                     "protocols",
                                     "strict_sni_host",
                                     "trusted_proxies",
                                     "trusted_proxies_strict",
                                     "trusted_proxies_unix",
                                     "client_ip_headers",
                                     "metrics",
                                     "trace",
                                     "allow_0rtt"};

const Json* entryFor(const Json& entries, const config::Server& server) {
  for (const auto& e : entries) {
    const std::string addr = e.value("listener_address", "");
    if (addr.empty() || std::find(server.listen.begin(), server.listen.end(), addr) != server.listen.end()) {
      return &e;
    }
  }
  return nullptr;
}

void applyEntry(const Json& entry, config::Server& server) {
  const Json& fields = entry["fields"];
  for (const char* key : kGoverned) {
    if (fields.contains(key)) {
      server.options[key] = fields[key];
    } else {
      server.options.erase(key);
    }
  }
  if (entry.value("log_credentials", false)) {
    if (!server.logs.is_object())
      server.logs = Json::object();
    server.logs["should_log_credentials"] = true;
  }
}

}  // namespace

void applyServerOptions(config::HttpApp& http, AdaptState& state) {
  auto it = state.options.find("servers");
  if (it == state.options.end() || !it->second.is_array())
    return;
  const Json& entries = it->second;
  std::vector<std::string> names;
  for (const auto& e : entries) {
    std::string name = e.value("name", "");
    if (name.empty())
      continue;
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      throw ConfigError("cannot use duplicate server name '" + name + "'");
    }
    names.push_back(name);
  }
  for (auto& [key, server] : http.servers) {
    const Json* entry = entryFor(entries, server);
    if (!entry)
      continue;
    applyEntry(*entry, server);
    if (!entry->value("name", "").empty())
      key = entry->value("name", "");
  }
}

}  // namespace gatehouse::parser
