#include "tls/connection_policy.h"

#include <algorithm>

namespace gatehouse::tls {

bool matchesServerName(const std::string& pattern, const std::string& name) {
  if (pattern == name) {
    return true;
  }
  if (pattern.size() < 3 || pattern[0] != '*' || pattern[1] != '.') {
    return false;
  }
  size_t dot = name.find('.');
  return dot != std::string::npos && dot > 0 && name.compare(dot, std::string::npos, pattern, 1) == 0;
}

bool ConnectionPolicy::matches(const std::string& serverName) const {
  if (matchSni.empty()) {
    return true;
  }
  return std::any_of(matchSni.begin(), matchSni.end(),
                     [&](const std::string& p) { return matchesServerName(p, serverName); });
}

bool ConnectionPolicy::selects(const Certificate& cert) const {
  if (!anyTag.empty() &&
      std::none_of(anyTag.begin(), anyTag.end(), [&](const auto& t) { return cert.hasTag(t); })) {
    return false;
  }
  return std::all_of(allTags.begin(), allTags.end(), [&](const auto& t) { return cert.hasTag(t); });
}

}  // namespace gatehouse::tls
