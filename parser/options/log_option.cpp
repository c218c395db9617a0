// The `log` global option: log [<name>] { output ...; format ...; level ...; include ...;
// exclude ...; sampling ... }. It shares the `log` directive's parser (Caddy's
// parseLogHelper) in its global mode. options["log"] accumulates one entry per occurrence:
// {"name": <logger name>, "log": <CustomLog JSON, absent when empty>, ...}, which the
// adapter's logging assembly (httptype/logging.cpp) turns into config.logging.
#include <map>
#include <memory>

#include "directives/builtins.h"
#include "options/option_specs.h"

namespace gatehouse::parser::options {
namespace {

Json parseLogOption(Dispenser& d, const Json* existing) {
  Json all = existing && existing->is_array() ? *existing : Json::array();
  std::map<std::string, bool> names;
  for (const auto& entry : all)
    names[entry.value("name", "")] = true;
  // The shared parser works on a Helper; a global option has no site block or matchers.
  AdaptState scratch;
  static const ServerBlock kNoBlock;
  Helper h(d, scratch, kNoBlock, std::make_shared<const MatcherDefs>());
  for (auto& v : directives::parseLogSegment(h, &names)) {
    Json entry = v.json();
    Json out = {{"name", entry.value("name", "")}};
    if (entry.contains("log"))
      out["log"] = entry["log"];
    all.push_back(out);
  }
  return all;
}

}  // namespace

const std::vector<OptionSpec>& logOptionSpecs() {
  static const std::vector<OptionSpec> kSpecs = {{"log", parseLogOption}};
  return kSpecs;
}

}  // namespace gatehouse::parser::options
