#pragma once
// Caddy's preferred_chains: among the default chain and the `alternate` ones, the first
// whose root (the issuer of its last certificate) or any issuer has a wanted common name,
// else the smallest when asked, else the default.

#include <string>
#include <vector>

namespace gatehouse::acme {

struct PreferredChains;

// `chains` holds the default chain first. Returns one of them.
std::string selectPreferredChain(const std::vector<std::string>& chains, const PreferredChains& prefs);

// Issuer common names of each certificate in a PEM chain, leaf first.
std::vector<std::string> issuerCommonNames(const std::string& chainPem);

}  // namespace gatehouse::acme
