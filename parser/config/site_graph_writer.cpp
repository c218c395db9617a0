// Prints a config as toJson() + dump() would, but writes routes and handlers straight from
// the site graph: with thousands of sites a JSON copy of the whole graph doubled the memory
// of `gatehouse adapt` and most of its allocations.

#include <algorithm>
#include <unordered_map>

#include "config/json_writer.h"
#include "config/site_graph_skeleton.h"
#include "gatehouse/config/site_graph_writer.h"

namespace gatehouse::config {
namespace {

void writeRoutes(JsonWriter& w, const std::vector<Route>& routes);

// A matcher set prints with its keys sorted, as Go prints a map.
void writeSorted(JsonWriter& w, const Json& set) {
  if (!set.is_object()) {
    w.value(set);
    return;
  }
  std::vector<const std::pair<const std::string, Json>*> members;
  members.reserve(set.size());
  for (const auto& member : set.get_ref<const Json::object_t&>()) {
    members.push_back(&member);
  }
  std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  w.beginObject();
  for (const auto* m : members) {
    w.key(m->first);
    w.value(m->second);
  }
  w.endObject();
}

void writeErrors(JsonWriter& w, const std::vector<Route>& routes) {
  w.beginObject();
  w.key("routes");
  writeRoutes(w, routes);
  w.endObject();
}

// A field named like a key printed before it would take that key's place in toJson(); such a
// handler (never made by the adapter) prints through toJson() itself.
bool fieldsShadowKeys(const Handler& h) {
  if (h.fields.contains("handler")) {
    return true;
  }
  return h.name == "subroute" && (h.fields.contains("routes") || h.fields.contains("errors"));
}

void writeHandler(JsonWriter& w, const Handler& h) {
  if (fieldsShadowKeys(h)) {
    w.value(toJson(h));
    return;
  }
  w.beginObject();
  w.key("handler");
  w.value(std::string_view(h.name));
  if (h.name == "subroute") {
    if (!h.routes.empty()) {
      w.key("routes");
      writeRoutes(w, h.routes);
    }
    if (h.errors) {
      w.key("errors");
      writeErrors(w, *h.errors);
    }
  }
  for (const auto& [k, v] : h.fields.items()) {
    w.key(k);
    w.value(v);
  }
  w.endObject();
}

void writeRoute(JsonWriter& w, const Route& r) {
  w.beginObject();
  if (!r.group.empty()) {
    w.key("group");
    w.value(std::string_view(r.group));
  }
  if (!r.match.empty()) {
    w.key("match");
    w.beginArray();
    for (const auto& set : r.match) {
      writeSorted(w, set);
    }
    w.endArray();
  }
  if (!r.handle.empty()) {
    w.key("handle");
    w.beginArray();
    for (const auto& h : r.handle) {
      writeHandler(w, h);
    }
    w.endArray();
  }
  if (r.terminal) {
    w.key("terminal");
    w.value(true);
  }
  w.endObject();
}

void writeRoutes(JsonWriter& w, const std::vector<Route>& routes) {
  w.beginArray();
  for (const auto& r : routes) {
    writeRoute(w, r);
  }
  w.endArray();
}

void writeNamedRoutes(JsonWriter& w, const std::vector<std::pair<std::string, Route>>& named) {
  std::vector<const std::pair<std::string, Route>*> sorted;
  sorted.reserve(named.size());
  for (const auto& entry : named) {
    sorted.push_back(&entry);
  }
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  w.beginObject();
  for (const auto* entry : sorted) {
    w.key(entry->first);
    writeRoute(w, entry->second);
  }
  w.endObject();
}

// The skeleton's keys in order, with the null placeholders filled in from the server.
void writeServer(JsonWriter& w, const Server& s) {
  const Json skeleton = serverSkeleton(s);
  w.beginObject();
  for (const auto& [k, v] : skeleton.items()) {
    w.key(k);
    if (k == "routes" && v.is_null()) {
      writeRoutes(w, s.routes);
    } else if (k == "errors" && v.is_null() && s.errors) {
      writeErrors(w, *s.errors);
    } else if (k == "named_routes" && v.is_null()) {
      writeNamedRoutes(w, s.namedRoutes);
    } else {
      w.value(v);
    }
  }
  w.endObject();
}

using ServersByName = std::unordered_map<std::string_view, const Server*>;

void writeHttp(JsonWriter& w, const Json& skeleton, const ServersByName& servers) {
  w.beginObject();
  for (const auto& [k, v] : skeleton.items()) {
    w.key(k);
    if (k != "servers" || !v.is_object()) {
      w.value(v);
      continue;
    }
    w.beginObject();
    for (const auto& [name, placeholder] : v.items()) {
      w.key(name);
      auto it = servers.find(name);
      if (placeholder.is_null() && it != servers.end()) {
        writeServer(w, *it->second);
      } else {
        w.value(placeholder);
      }
    }
    w.endObject();
  }
  w.endObject();
}

void writeConfig(JsonWriter& w, const Config& config) {
  ServersByName servers;
  if (config.http) {
    for (const auto& [name, server] : config.http->servers) {
      servers.emplace(name, &server);
    }
  }
  const Json skeleton = configSkeleton(config);
  w.beginObject();
  for (const auto& [k, v] : skeleton.items()) {
    w.key(k);
    if (k != "apps" || !config.http || !v.is_object()) {
      w.value(v);
      continue;
    }
    w.beginObject();
    for (const auto& [app, body] : v.items()) {
      w.key(app);
      if (app == "http" && body.is_object()) {
        writeHttp(w, body, servers);
      } else {
        w.value(body);
      }
    }
    w.endObject();
  }
  w.endObject();
}

}  // namespace

std::string dumpConfig(const Config& config, bool pretty) {
  std::string out;
  JsonWriter w(out, pretty);
  writeConfig(w, config);
  return escapeForHtml(std::move(out));
}

}  // namespace gatehouse::config
