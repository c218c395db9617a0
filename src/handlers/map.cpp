// map: sets destination placeholders from the value of a source placeholder through a table
// of literal or regexp inputs (Caddyfile `map`). The first mapping whose input matches and
// whose output for a destination is not null gives that destination its value; else the
// default, else nil ("" but in a rewrite query).
//
// Caddy computes a destination when something reads it; here every destination is computed
// when the handler runs. The results differ only if the source changes between the two (a
// later `rewrite` with `map {path}`): then the value reflects the request as `map` saw it.

#include <re2/re2.h>

#include <algorithm>
#include <optional>

#include "handlers/go_expand.h"
#include "handlers/handlers.h"
#include "provision/provision_error.h"
#include "router/placeholders.h"

namespace gatehouse::handlers {

using config::Json;
using provision::ProvisionError;
using router::Template;
using runtime::Exchange;

namespace {

struct Mapping {
  std::string input;
  std::unique_ptr<re2::RE2> re;                     // set for input_regexp
  std::vector<std::optional<std::string>> outputs;  // nullopt: JSON null, try later mappings
};

class Map final : public runtime::Handler {
 public:
  Template source;
  std::vector<std::string> destinations;  // without braces
  std::vector<Mapping> mappings;
  std::vector<std::optional<Template>> defaults;

  runtime::Outcome handle(Exchange& ex) const override {
    const std::string input = source.render(ex);
    std::vector<std::string_view> groups;
    std::vector<std::optional<std::string>> values(destinations.size());
    for (size_t d = 0; d < destinations.size(); ++d) {
      values[d] = valueFor(d, input, ex, groups);
    }
    for (size_t d = 0; d < destinations.size(); ++d) {
      if (values[d]) {
        router::setPlaceholder(ex, destinations[d], std::move(*values[d]));
      } else {
        router::setNilPlaceholder(ex, destinations[d]);
      }
    }
    return runtime::Outcome::Continue;
  }

 private:
  // nullopt: nothing matched and no default (Caddy's nil value).
  std::optional<std::string> valueFor(size_t d, const std::string& input, const Exchange& ex,
                                      std::vector<std::string_view>& groups) const {
    for (const auto& m : mappings) {
      const auto& out = m.outputs[d];
      if (!out) {
        continue;
      }
      if (m.re) {
        if (firstMatch(*m.re, input, groups)) {
          return goExpand(*out, *m.re, groups);  // Caddy expands captures only, no placeholders
        }
        continue;
      }
      if (input == m.input) {
        return Template(*out).render(ex);
      }
    }
    if (d < defaults.size() && defaults[d]) {
      return defaults[d]->render(ex);
    }
    return std::nullopt;
  }
};
static_assert(std::derived_from<Map, runtime::Handler>);

// Outputs may be any JSON value; Caddy prints non-strings as Go's %v would.
std::optional<std::string> outputString(const Json& v) {
  if (v.is_null()) {
    return std::nullopt;
  }
  return v.is_string() ? v.get<std::string>() : config::dump(v, false);
}

std::string parseDestination(const Json& v, const std::string& path) {
  std::string dest = v.is_string() ? v.get<std::string>() : "";
  if (std::count(dest.begin(), dest.end(), '{') != 1 || !dest.starts_with("{")) {
    throw ProvisionError(path, "destination must be a placeholder and only a placeholder");
  }
  while (!dest.empty() && (dest.front() == '{' || dest.front() == '}')) {
    dest.erase(dest.begin());
  }
  while (!dest.empty() && (dest.back() == '{' || dest.back() == '}')) {
    dest.pop_back();
  }
  return dest;
}

Mapping parseMapping(const Json& m, const std::string& path, size_t destinations) {
  if (!m.is_object()) {
    throw ProvisionError(path, "expected an object");
  }
  for (const auto& [key, _] : m.items()) {
    if (key != "input" && key != "input_regexp" && key != "outputs") {
      throw ProvisionError(path + "." + key, "field '" + key + "' is not supported yet");
    }
  }
  Mapping out;
  out.input = m.value("input", "");
  std::string pattern = m.value("input_regexp", "");
  if (!pattern.empty()) {
    out.re = std::make_unique<re2::RE2>(pattern, re2::RE2::Quiet);
    if (!out.re->ok()) {
      throw ProvisionError(path + ".input_regexp", "compiling regexp: " + out.re->error());
    }
  }
  if (m.contains("outputs")) {
    for (const auto& o : m["outputs"]) {
      out.outputs.push_back(outputString(o));
    }
  }
  if (out.outputs.size() != destinations) {
    throw ProvisionError(path, "mapping has " + std::to_string(out.outputs.size()) +
                                   " outputs but there are " + std::to_string(destinations) +
                                   " destinations defined");
  }
  return out;
}

}  // namespace

std::unique_ptr<runtime::Handler> makeMap(const config::Handler& h, const std::string& path) {
  requireKnownFields(h, path, {"source", "destinations", "mappings", "defaults"});
  const auto& f = h.fields;
  auto map = std::make_unique<Map>();
  map->source = Template(f.value("source", ""));
  if (f.contains("destinations")) {
    for (size_t i = 0; i < f["destinations"].size(); ++i) {
      map->destinations.push_back(
          parseDestination(f["destinations"][i], path + ".destinations[" + std::to_string(i) + "]"));
    }
  }
  std::vector<std::string> seen;
  if (f.contains("mappings")) {
    const auto& list = f["mappings"];
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string mp = path + ".mappings[" + std::to_string(i) + "]";
      Mapping m = parseMapping(list[i], mp, map->destinations.size());
      std::string key = m.re ? m.re->pattern() : m.input;
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        throw ProvisionError(mp, "duplicate input '" + key + "'");
      }
      seen.push_back(std::move(key));
      map->mappings.push_back(std::move(m));
    }
  }
  if (f.contains("defaults")) {
    for (const auto& d : f["defaults"]) {
      auto s = outputString(d);
      map->defaults.push_back(s ? std::optional<Template>(Template(*s)) : std::nullopt);
    }
  }
  return map;
}

}  // namespace gatehouse::handlers
