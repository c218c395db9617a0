// The acme_server directive: an ACME certificate authority endpoint (Caddy's acme_server
// handler), backed by a CA of the pki app.
#include "directives/handler_directives.h"
#include "directives/handler_util.h"
#include "options/option_util.h"

namespace gatehouse::parser {
namespace {

struct AcmeServer {
  std::string ca;
  long long lifetime = 0;
  std::vector<std::string> resolvers;
  std::vector<std::string> challenges;
  Json policy;  // null, or {"allow": ..., "deny": ..., "allow_wildcard_names": true}
  bool signWithRoot = false;

  [[nodiscard]] Json toJson() const {
    Json out = Json::object();
    if (!ca.empty())
      out["ca"] = ca;
    if (lifetime != 0)
      out["lifetime"] = lifetime;
    if (!resolvers.empty())
      out["resolvers"] = resolvers;
    if (!challenges.empty())
      out["challenges"] = challenges;
    if (!policy.is_null())
      out["policy"] = policy;
    if (signWithRoot)
      out["sign_with_root"] = true;
    return out;
  }
};

// allow|deny {
//     domains   <domains...>
//     ip_ranges <addresses...>
// }
Json parseRuleSet(Helper& h, const std::string& kind) {
  Json domains = Json::array();
  Json ipRanges = Json::array();
  for (int nesting = h.nesting(); h.nextBlock(nesting);) {
    if (h.countRemainingArgs() == 0) {
      throw h.argErr();
    }
    const std::string sub = h.val();
    Json* list = sub == "domains" ? &domains : sub == "ip_ranges" ? &ipRanges : nullptr;
    if (list == nullptr) {
      throw h.err("unrecognized '" + kind + "' subdirective: " + sub);
    }
    for (auto& a : h.remainingArgs()) {
      list->push_back(a);
    }
  }
  Json rules = Json::object();
  if (!domains.empty())
    rules["domains"] = domains;
  if (!ipRanges.empty())
    rules["ip_ranges"] = ipRanges;
  return rules;
}

void setPolicy(AcmeServer& srv, const std::string& key, Json value) {
  if (srv.policy.is_null()) {
    srv.policy = Json::object();
  }
  Json ordered = Json::object();
  for (const char* k : {"allow", "deny", "allow_wildcard_names"}) {
    if (key == k) {
      ordered[k] = value;
    } else if (srv.policy.contains(k)) {
      ordered[k] = srv.policy[k];
    }
  }
  srv.policy = ordered;
}

void parseSubdirective(Helper& h, AcmeServer& srv) {
  const std::string sub = h.val();
  if (sub == "ca") {
    if (!handler_util::allArgs(h, srv.ca))
      throw h.argErr();
  } else if (sub == "lifetime") {
    if (!h.nextArg())
      throw h.argErr();
    srv.lifetime = options::durationArg(h, h.val());
  } else if (sub == "resolvers") {
    srv.resolvers = h.remainingArgs();
    if (srv.resolvers.empty())
      throw h.err("must specify at least one resolver address");
  } else if (sub == "challenges") {
    for (auto& c : h.remainingArgs())
      srv.challenges.push_back(c);
  } else if (sub == "allow_wildcard_names") {
    setPolicy(srv, "allow_wildcard_names", true);
  } else if (sub == "allow" || sub == "deny") {
    setPolicy(srv, sub, parseRuleSet(h, sub));
  } else if (sub == "sign_with_root") {
    if (h.nextArg())
      throw h.argErr();
    srv.signWithRoot = true;
  }
  // Caddy 2.6.2 walks the block token by token and ignores any it does not know (an unknown
  // name, its arguments, a nested block's tokens): so does this loop, one token at a time.
}

}  // namespace

// acme_server [<matcher>] {
//     ca         <id>
//     lifetime   <duration>
//     resolvers  <addresses...>
//     challenges <challenges...>
//     allow_wildcard_names
//     allow {
//         domains   <domains...>
//         ip_ranges <addresses...>
//     }
//     deny {
//         domains   <domains...>
//         ip_ranges <addresses...>
//     }
//     sign_with_root
// }
//
// Naming a CA also yields a "pki.ca" value ({"id": <id>}) so the pki app defines it.
std::vector<ConfigValue> parseAcmeServer(Helper& h) {
  h.next();  // the directive name
  std::optional<config::MatcherSet> matcherSet = h.extractMatcherSet();
  h.next();  // the name again: extracting the matcher resets the cursor
  if (h.nextArg()) {
    throw h.argErr();
  }
  AcmeServer srv;
  bool namedCa = false;
  while (h.nextBlock(0)) {
    namedCa = namedCa || h.val() == "ca";
    parseSubdirective(h, srv);
  }
  std::vector<ConfigValue> values =
      h.newRoute(matcherSet, config::Handler{"acme_server", srv.toJson(), {}, std::nullopt});
  if (namedCa) {
    values.push_back(ConfigValue{"pki.ca", Json{{"id", srv.ca}}, ""});
  }
  return values;
}

}  // namespace gatehouse::parser
