// TLS connection policies of a server: one per `tls` directive, matched on the site's
// hosts, then sorted and merged as Caddy's consolidateConnPolicies does.

#include <algorithm>
#include <set>
#include <string_view>
#include <unordered_set>

#include "httptype/go_sort.h"
#include "httptype/servers.h"

namespace gatehouse::parser {
namespace {

Json withoutMatch(const Json& cp) {
  Json out = cp;
  out.erase("match");
  return out;
}

bool settingsEmpty(const Json& cp) {
  return withoutMatch(cp).empty();
}

bool hasMatch(const Json& cp) {
  return cp.contains("match") && !cp.at("match").is_null();
}

// The policy with "match" as its first key, as Caddy's struct prints it.
Json withMatch(const Json& cp, Json match) {
  Json out = Json::object();
  out["match"] = std::move(match);
  for (const auto& [k, v] : cp.items()) {
    if (k != "match") {
      out[k] = v;
    }
  }
  return out;
}

bool onlySni(const Json& cp) {
  return hasMatch(cp) && cp.at("match").is_object() && cp.at("match").size() == 1 &&
         cp.at("match").contains("sni");
}

bool nonEmpty(const Json& cp, const char* key) {
  if (!cp.contains(key)) {
    return false;
  }
  const Json& v = cp.at(key);
  return !(v.is_null() || ((v.is_array() || v.is_object() || v.is_string()) && v.empty()));
}

// Fields that merge when only one side sets them, and conflict when both differ.
struct MergeField {
  const char* key;
  const char* what;
};
const MergeField kMergeFields[] = {
    {"alpn", "ALPN"},
    {"cipher_suites", "cipher suites"},
    {"curves", "curves"},
    {"default_sni", "default SNI"},
    {"fallback_sni", "fallback SNI"},
    {"protocol_min", "min protocol"},
    {"protocol_max", "max protocol"},
};

[[noreturn]] void conflict(const std::string& what, const Json& a, const Json& b) {
  throw ConfigError("two policies with same match criteria have conflicting " + what + ": " +
                    config::dump(a, false) + " vs. " + config::dump(b, false));
}

// Merges b into a (same matchers); throws when they disagree.
void mergeInto(Json& a, const Json& b) {
  for (const auto& f : kMergeFields) {
    if (nonEmpty(a, f.key) && nonEmpty(b, f.key) && a.at(f.key) != b.at(f.key)) {
      conflict(f.what, a[f.key], b.at(f.key));
    }
  }
  if (!nonEmpty(a, "client_authentication") && nonEmpty(b, "client_authentication")) {
    conflict("client auth configuration", Json::object(), b.at("client_authentication"));
  }
  const bool aSel = nonEmpty(a, "certificate_selection");
  const bool bSel = nonEmpty(b, "certificate_selection");
  if (aSel && bSel) {
    Json x = withoutMatch(a.at("certificate_selection"));
    Json y = b.at("certificate_selection");
    x.erase("any_tag");
    y.erase("any_tag");
    if (x != y) {
      conflict("cert selections", a.at("certificate_selection"), b.at("certificate_selection"));
    }
  }
  for (const auto& f : kMergeFields) {
    if (!nonEmpty(a, f.key) && nonEmpty(b, f.key)) {
      a[f.key] = b.at(f.key);
    }
  }
  if (!aSel && bSel) {
    a["certificate_selection"] = b.at("certificate_selection");
  } else if (aSel && bSel) {
    Json& tags = a["certificate_selection"]["any_tag"];
    for (const auto& t : b.at("certificate_selection").value("any_tag", Json::array())) {
      if (std::find(tags.begin(), tags.end(), t) == tags.end()) {
        tags.push_back(t);
      }
    }
  }
}

bool wildcardCovers(const std::string& pattern, const std::string& host) {
  if (pattern.rfind("*.", 0) != 0) {
    return false;
  }
  size_t dot = host.find('.');
  return dot != std::string::npos && host.substr(dot) == pattern.substr(1);
}

// 2.6.2's copies of a block share each policy object (SharedConnPolicies): what an earlier
// server of the block wrote stays, and what this one writes stays for the later ones. Only
// the SNI options carry over; the `sni` match list is each server's own (2.6.2 prints the
// last server's list for all of them, which breaks their TLS matching: not followed).
void carrySniSettings(const SiteBlock& sb, size_t index, Json& cp) {
  if (!sb.sharedPolicies)
    return;
  Json& carried = sb.sharedPolicies->sniSettings[index];
  for (const char* key : {"default_sni", "fallback_sni"}) {
    if (cp.contains(key)) {
      carried[key] = cp[key];
    } else if (carried.is_object() && carried.contains(key)) {
      cp[key] = carried[key];
    }
  }
}

}  // namespace

bool addSitePolicies(const SiteBlock& sb, std::vector<std::string>& hosts, const AdaptState& state,
                     std::vector<Json>& policies, bool& addedCatchAll) {
  auto it = sb.pile.find("tls.connection_policy");
  if (it == sb.pile.end()) {
    return false;
  }
  auto opt = [&state](const char* name) {
    auto o = state.options.find(name);
    return o != state.options.end() && o->second.is_string() ? o->second.get<std::string>() : "";
  };
  const std::string defaultSni = opt("default_sni");
  const std::string fallbackSni = opt("fallback_sni");
  std::set<std::string> forceAutomated;
  if (sb.has("tls.force_automate")) {
    forceAutomated.insert(hosts.begin(), hosts.end());
  }

  bool added = false;
  for (size_t index = 0; index < it->second.size(); ++index) {
    const ConfigValue& v = it->second[index];
    if (v.isRoute()) {
      continue;
    }
    Json cp = v.json().is_object() ? v.json() : Json::object();
    for (const auto& h : hosts) {
      if (h == defaultSni) {
        hosts.push_back("");
        cp["default_sni"] = defaultSni;
        break;
      }
      if (h == fallbackSni) {
        hosts.push_back("");
        cp["fallback_sni"] = fallbackSni;
        break;
      }
    }
    if (!hosts.empty()) {
      std::sort(hosts.begin(), hosts.end());
      cp = withMatch(cp, Json{{"sni", hosts}});
    } else {
      if (!defaultSni.empty()) {
        cp["default_sni"] = defaultSni;
      }
      if (!fallbackSni.empty()) {
        cp["fallback_sni"] = fallbackSni;
      }
    }
    carrySniSettings(sb, index, cp);
    bool forced = std::any_of(hosts.begin(), hosts.end(),
                              [&](const std::string& h) { return forceAutomated.count(h); });
    if (!settingsEmpty(cp) || forced) {
      policies.push_back(cp);
      addedCatchAll = hosts.empty();
      added = true;
    }
  }
  return added;
}

void shieldWildcardClientAuth(std::vector<Json>& policies, const std::vector<SiteBlock*>& blocks) {
  std::set<std::string> claimed;
  for (const auto& cp : policies) {
    if (onlySni(cp)) {
      for (const auto& h : cp.at("match").at("sni")) {
        claimed.insert(h.get<std::string>());
      }
    }
  }
  std::vector<std::string> hosts;
  std::unordered_set<std::string_view> seen;  // keeps thousands of sites linear
  for (const auto* sb : blocks) {
    for (const auto& a : sb->keys) {
      if (!a.host.empty() && a.host.find('*') == std::string::npos && seen.insert(a.host).second) {
        hosts.push_back(a.host);
      }
    }
  }
  for (size_t i = 0; i < policies.size(); ++i) {
    const Json cp = policies[i];
    if (!onlySni(cp) || !nonEmpty(cp, "client_authentication")) {
      continue;
    }
    std::vector<std::string> shielded;
    for (const auto& h : hosts) {
      if (claimed.count(h)) {
        continue;
      }
      for (const auto& pat : cp.at("match").at("sni")) {
        if (wildcardCovers(pat.get<std::string>(), h)) {
          shielded.push_back(h);
          break;
        }
      }
    }
    if (shielded.empty()) {
      continue;
    }
    // the specific host gets the wildcard's settings, except its client authentication
    std::sort(shielded.begin(), shielded.end());
    Json shield = withMatch(cp, Json{{"sni", shielded}});
    shield.erase("client_authentication");
    claimed.insert(shielded.begin(), shielded.end());
    policies.insert(policies.begin() + static_cast<long>(i), shield);
    ++i;
  }
}

std::vector<Json> consolidateConnPolicies(std::vector<Json> cps, int serverIndex) {
  gosort::sliceStable(cps, [](const Json& a, const Json& b) { return !hasMatch(b) && hasMatch(a); });
  try {
    for (int i = 0; i < static_cast<int>(cps.size()); ++i) {
      for (int j = 0; j < static_cast<int>(cps.size()); ++j) {
        if (j == i) {
          continue;
        }
        auto& a = cps[static_cast<size_t>(i)];
        auto& b = cps[static_cast<size_t>(j)];
        if (a == b) {
          cps.erase(cps.begin() + j);
          --i;
          break;
        }
        if (i == j - 1 && onlySni(a) && onlySni(b) && withoutMatch(a) == withoutMatch(b)) {
          for (const auto& h : b.at("match").at("sni")) {
            a["match"]["sni"].push_back(h);
          }
          cps.erase(cps.begin() + j);
          --i;
          break;
        }
        const Json noMatch;
        if ((hasMatch(a) ? a.at("match") : noMatch) == (hasMatch(b) ? b.at("match") : noMatch)) {
          mergeInto(a, b);
          cps.erase(cps.begin() + j);
          --i;
          break;
        }
      }
    }
  } catch (const ConfigError& e) {
    throw ConfigError("consolidating TLS connection policies for server " + std::to_string(serverIndex) +
                      ": " + e.message());
  }
  return cps;
}

}  // namespace gatehouse::parser
