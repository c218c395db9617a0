// Layering of ACME issuer settings: a site's implicit ACME options over a template issuer
// (a global cert_issuer, or one of the default issuers).
#include "directives/tls_directive.h"
#include "options/option_util.h"

namespace gatehouse::parser::tls {
namespace {

// Challenge settings merge per field, except that a DNS provider or a resolver list replaces
// the template's as a whole.
Json mergeChallenges(Json base, const Json& over) {
  for (const auto& [key, value] : over.items()) {
    if (value.is_object() && base.contains(key) && base[key].is_object() && key != "provider") {
      base[key] = mergeChallenges(base[key], value);
    } else {
      base[key] = value;
    }
  }
  return base;
}

}  // namespace

Json mergeAcmeIssuers(const Json& base, const Json& overrides) {
  Json merged = base;
  for (const auto& [key, value] : overrides.items()) {
    if (key == "module")
      continue;
    if (key == "trusted_roots_pem_files") {
      for (const auto& root : value)
        options::appendUnique(merged[key], root.get<std::string>());
    } else if (key == "challenges") {
      merged[key] = merged.contains(key) ? mergeChallenges(merged[key], value) : value;
    } else {
      merged[key] = value;
    }
  }
  return merged;
}

}  // namespace gatehouse::parser::tls
