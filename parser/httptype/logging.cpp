// config.logging: the `log` global options plus every site's named access loggers, with
// the default logger excluding what the access loggers include.

#include <algorithm>

#include "httptype/adapt_steps.h"

namespace gatehouse::parser {
namespace {

struct NamedLog {
  std::string name;
  Json log;  // null when the logger has no configuration of its own
};

// The global `log` option is kept as a list of custom_log values (or a single one).
void collectGlobal(const Json& opt, std::vector<Json>& out) {
  if (opt.is_array()) {
    for (const auto& v : opt) {
      out.push_back(v);
    }
  } else if (opt.is_object()) {
    out.push_back(opt);
  }
}

}  // namespace

void assembleLogging(config::Config& config, const AdaptState& state, const Pairings& pairings) {
  const bool debug = state.options.count("debug") > 0;
  std::vector<NamedLog> logs;
  bool hasDefault = false;
  auto add = [&](const Json& ncl) {
    const std::string name = ncl.value("name", "");
    if (name.empty()) {
      return;
    }
    if (name == "default") {
      hasDefault = true;
    }
    Json log = ncl.contains("log") ? ncl.at("log") : Json();
    if (debug && log.is_object() && !log.contains("level")) {
      log["level"] = "DEBUG";
    }
    logs.push_back({name, log});
  };

  std::vector<Json> globals;
  if (auto it = state.options.find("log"); it != state.options.end()) {
    collectGlobal(it->second, globals);
  }
  for (const auto& g : globals) {
    add(g);
  }
  for (const auto& p : pairings.list) {
    for (const auto* sb : p.blocks) {
      auto it = sb->pile.find("custom_log");
      if (it == sb->pile.end()) {
        continue;
      }
      for (const auto& v : it->second) {
        if (!v.isRoute()) {
          add(v.json());
        }
      }
    }
  }
  if (!hasDefault && debug) {
    logs.push_back({"default", Json{{"level", "DEBUG"}}});
  }
  if (logs.empty()) {
    return;
  }

  Json out = config.logging.is_object() ? config.logging : Json::object();
  Json& map = out["logs"];
  if (!map.is_object()) {
    map = Json::object();
  }
  // the default logger first, so the exclusions below extend it rather than replace it
  for (const auto& l : logs) {
    if (l.name == "default" && !l.log.is_null()) {
      map["default"] = l.log;
      break;
    }
  }
  for (const auto& l : logs) {
    if (l.log.is_null() || l.name == "default") {
      continue;
    }
    map[l.name] = l.log;
    // access logs written elsewhere should not also go to the default log
    if (l.log.contains("include") && !l.log.at("include").empty()) {
      Json& def = map["default"];
      if (!def.is_object()) {
        def = Json::object();
      }
      std::vector<std::string> ex = def.value("exclude", std::vector<std::string>{});
      for (const auto& inc : l.log.at("include")) {
        ex.push_back(inc.get<std::string>());
      }
      std::sort(ex.begin(), ex.end());
      ex.erase(std::unique(ex.begin(), ex.end()), ex.end());
      def["exclude"] = ex;
    }
  }
  if (map.empty()) {
    out.erase("logs");
  }
  config.logging = out.empty() ? Json() : out;
}

void hoistMetrics(config::HttpApp& http, const AdaptState& state) {
  Json metrics;
  if (auto it = state.options.find("metrics"); it != state.options.end() && it->second.is_object()) {
    metrics = it->second;
  }
  bool any = !metrics.is_null();
  for (auto& [name, srv] : http.servers) {
    if (!srv.options.contains("metrics")) {
      continue;
    }
    const Json m = srv.options["metrics"];
    srv.options.erase("metrics");
    bool perHost = (metrics.is_object() && metrics.value("per_host", false)) ||
                   (m.is_object() && m.value("per_host", false));
    metrics = Json::object();
    if (perHost) {
      metrics["per_host"] = true;
    }
    any = true;
  }
  if (any) {
    http.options["metrics"] = metrics;
  }
}

}  // namespace gatehouse::parser
