// apps.pki (Caddy's buildPKIApp): the CAs of the `pki` global option plus those that site
// directives (acme_server) name, with install_trust turned off by skip_install_trust.
#include <map>

#include "httptype/site_block.h"

namespace gatehouse::parser {

Json buildPkiApp(std::vector<SiteBlockGroup>& groups, AdaptState& state) {
  const bool skipInstallTrust = state.options.count("skip_install_trust") > 0;
  // CA ids print sorted, as Go prints map keys.
  std::map<std::string, Json> cas;
  if (auto it = state.options.find("pki"); it != state.options.end()) {
    for (const auto& [id, ca] : it->second["certificate_authorities"].items())
      cas[id] = ca;
  }
  for (const auto& group : groups) {
    for (const SiteBlock* block : group.blocks) {
      auto it = block->pile.find("pki.ca");
      if (it == block->pile.end())
        continue;
      for (const auto& v : it->second) {
        const std::string id = v.json().value("id", "local");
        if (cas.count(id))
          continue;  // the global option's definition wins
        Json ca = v.json();
        ca.erase("id");
        cas[id] = ca;
      }
    }
  }
  if (cas.empty() && skipInstallTrust)
    cas["local"] = Json::object();
  if (cas.empty())
    return nullptr;
  Json out = Json::object();
  for (auto& [id, ca] : cas) {
    if (skipInstallTrust)
      ca["install_trust"] = false;
    out[id] = ca;
  }
  return Json{{"certificate_authorities", out}};
}

}  // namespace gatehouse::parser
