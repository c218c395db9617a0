// Prints a config as toJson() + dump() would, but writes routes and handlers straight from
// the site graph: with thousands of sites a JSON copy of the whole graph doubled the memory
// of `gatehouse adapt` and most of its allocations.

#include "gatehouse/config/site_graph_writer.h"

#include <algorithm>
#include <unordered_map>

#include "config/json_writer.h"
#include "config/site_graph_skeleton.h"

namespace gatehouse::config {
namespace {

// Routes of a server are Go structs (fields in declaration order); routes inside a module
// (a subroute handler) were re-marshalled from a map by Caddy, so every key there is sorted.
enum class Place { server, module };

void writeRoutes(JsonWriter& w, const std::vector<Route>& routes, Place place);

// A matcher set of a server route prints as a Go map (its keys sorted) of matcher values that
// keep their own order.
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

void writeErrors(JsonWriter& w, const std::vector<Route>& routes, Place place) {
  w.beginObject();
  w.key("routes");
  writeRoutes(w, routes, place);
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

// A handler is a module: all its keys print sorted, at every depth.
void writeHandler(JsonWriter& w, const Handler& h) {
  if (fieldsShadowKeys(h)) {
    w.value(toJson(h));
    return;
  }
  const bool subroute = h.name == "subroute";
  // Each key with its field's value; null for the keys that come from the handler itself.
  std::vector<std::pair<std::string_view, const Json*>> keys;
  keys.reserve(h.fields.size() + 3);
  keys.emplace_back("handler", nullptr);
  if (subroute && !h.routes.empty())
    keys.emplace_back("routes", nullptr);
  if (subroute && h.errors)
    keys.emplace_back("errors", nullptr);
  for (const auto& member : h.fields.get_ref<const Json::object_t&>()) {
    keys.emplace_back(member.first, &member.second);
  }
  std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  w.beginObject();
  for (const auto& [k, field] : keys) {
    w.key(k);
    if (field != nullptr) {
      w.sortedValue(*field);
    } else if (k == "handler") {
      w.value(std::string_view(h.name));
    } else if (subroute && k == "routes") {
      writeRoutes(w, h.routes, Place::module);
    } else if (subroute && k == "errors") {
      writeErrors(w, *h.errors, Place::module);
    }
  }
  w.endObject();
}

void writeMatch(JsonWriter& w, const Route& r, Place place) {
  w.key("match");
  w.beginArray();
  for (const auto& set : r.match) {
    if (place == Place::module) {
      w.sortedValue(set);
    } else {
      writeSorted(w, set);
    }
  }
  w.endArray();
}

void writeHandle(JsonWriter& w, const Route& r) {
  w.key("handle");
  w.beginArray();
  for (const auto& h : r.handle) {
    writeHandler(w, h);
  }
  w.endArray();
}

// Struct order is group, match, handle, terminal; sorted order puts handle before match.
void writeRoute(JsonWriter& w, const Route& r, Place place) {
  w.beginObject();
  if (!r.group.empty()) {
    w.key("group");
    w.value(std::string_view(r.group));
  }
  const bool match = !r.match.empty();
  const bool handle = !r.handle.empty();
  if (place == Place::module) {
    if (handle)
      writeHandle(w, r);
    if (match)
      writeMatch(w, r, place);
  } else {
    if (match)
      writeMatch(w, r, place);
    if (handle)
      writeHandle(w, r);
  }
  if (r.terminal) {
    w.key("terminal");
    w.value(true);
  }
  w.endObject();
}

void writeRoutes(JsonWriter& w, const std::vector<Route>& routes, Place place) {
  w.beginArray();
  for (const auto& r : routes) {
    writeRoute(w, r, place);
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
    writeRoute(w, entry->second, Place::server);
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
      writeRoutes(w, s.routes, Place::server);
    } else if (k == "errors" && v.is_null() && s.errors) {
      writeErrors(w, *s.errors, Place::server);
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
