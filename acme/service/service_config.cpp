#include "service/service_config.h"

#include <cctype>
#include <set>

#include "dns/dns_challenge_settings.h"
#include "gatehouse/parser/caddyfile.h"
#include "gatehouse/parser/config_error.h"
#include "gatehouse/parser/dispenser.h"
#include "gatehouse/parser/dns_provider.h"

namespace gatehouse::acme {

namespace {
using parser::ConfigError;
using parser::Dispenser;

std::string oneArg(Dispenser& d) {
  if (!d.nextArg())
    throw d.argErr();
  std::string v = d.val();
  if (d.nextArg())
    throw d.argErr();
  return v;
}

uint16_t portArg(Dispenser& d) {
  const std::string v = oneArg(d);
  char* end = nullptr;
  const long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < 1 || n > 65535)
    throw d.err("invalid port '" + v + "'");
  return static_cast<uint16_t>(n);
}

KeyType keyTypeArg(Dispenser& d) {
  const std::string v = oneArg(d);
  auto t = parseKeyType(v);
  if (!t)
    throw d.err("unknown key_type '" + v + "' (want p256, p384, rsa2048, rsa4096 or ed25519)");
  return *t;
}

// Caddy durations: Go's "1h30m" units plus "d" for days.
std::chrono::seconds durationArg(Dispenser& d) {
  const std::string v = oneArg(d);
  long long total = 0;
  size_t i = 0;
  while (i < v.size()) {
    size_t j = i;
    while (j < v.size() && std::isdigit(static_cast<unsigned char>(v[j])))
      ++j;
    if (j == i || j == v.size())
      throw d.err("invalid duration '" + v + "'");
    const long long n = std::stoll(v.substr(i, j - i));
    const char unit = v[j];
    const long long scale = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
    if (scale == 0)
      throw d.err("invalid duration '" + v + "'");
    total += n * scale;
    i = j + 1;
  }
  if (total <= 0)
    throw d.err("invalid duration '" + v + "'");
  return std::chrono::seconds(total);
}

void parseEab(Dispenser& d, ServiceConfig& cfg) {
  if (d.nextArg())
    throw d.argErr();
  ExternalAccountBinding eab;
  while (d.nextBlock(0)) {
    if (d.val() == "key_id") {
      eab.keyId = oneArg(d);
    } else if (d.val() == "mac_key") {
      eab.macKey = oneArg(d);
    } else {
      throw d.err("unrecognized parameter '" + d.val() + "'");
    }
  }
  if (eab.keyId.empty() || eab.macKey.empty())
    throw d.err("acme_eab needs key_id and mac_key");
  cfg.eab = eab;
}

void parseStorage(Dispenser& d, ServiceConfig& cfg) {
  if (!d.nextArg())
    throw d.argErr();
  if (d.val() != "file_system") {
    throw d.err("storage module '" + d.val() + "' is not supported by gatehouse certs (only file_system)");
  }
  if (d.nextArg()) {
    cfg.storageRoot = d.val();
    if (d.nextArg())
      throw d.argErr();
  }
  while (d.nextBlock(0)) {
    if (d.val() != "root")
      throw d.err("unrecognized parameter '" + d.val() + "'");
    cfg.storageRoot = oneArg(d);
  }
  if (cfg.storageRoot.empty())
    throw d.err("storage file_system needs a root");
}

void parsePreferredChains(Dispenser& d, ServiceConfig& cfg) {
  if (d.nextArg()) {
    if (d.val() != "smallest" || d.nextArg())
      throw d.err("expected 'smallest' or a block");
    cfg.preferredChains.smallest = true;
    return;
  }
  while (d.nextBlock(0)) {
    const std::string key = d.val();
    auto values = d.remainingArgs();
    if (values.empty())
      throw d.argErr();
    if (key == "root_common_name") {
      cfg.preferredChains.rootCommonNames = values;
    } else if (key == "any_common_name") {
      cfg.preferredChains.anyCommonNames = values;
    } else {
      throw d.err("unrecognized parameter '" + key + "'");
    }
  }
}

nlohmann::json& dnsChallengeOf(ServiceConfig& cfg) {
  if (!cfg.dnsChallenge)
    cfg.dnsChallenge = nlohmann::json::object();
  return *cfg.dnsChallenge;
}

// acme_dns <provider> ... in the caddy-dns plugins' syntax; `acme_dns exec <program>
// [args...]` keeps its one-line form (all the words after exec make the command).
void parseAcmeDns(Dispenser& d, ServiceConfig& cfg) {
  const auto where = d.token().loc;
  if (!d.nextArg())
    throw d.argErr();
  nlohmann::json provider;
  if (d.val() == "exec") {
    auto words = d.remainingArgs();
    if (words.empty())
      throw d.argErr();
    provider = {{"name", "exec"}, {"command", words.front()}};
    if (words.size() > 1)
      provider["args"] = std::vector<std::string>(words.begin() + 1, words.end());
  } else {
    provider = parser::options::parseDnsProvider(d);
  }
  dnsChallengeOf(cfg)["provider"] = provider;
  try {
    dns::parseDnsChallenge(*cfg.dnsChallenge);
  } catch (const dns::DnsSettingsError& e) {
    throw ConfigError(where, std::string("acme_dns: ") + e.what());
  }
}

void parseGlobal(const parser::ServerBlock& block, ServiceConfig& cfg) {
  for (const auto& segment : block.segments) {
    Dispenser d(segment);
    d.next();
    const std::string name = d.val();
    if (name == "email") {
      cfg.email = oneArg(d);
    } else if (name == "acme_ca") {
      cfg.ca = oneArg(d);
      if (cfg.ca.rfind("https://", 0) != 0 && cfg.ca.rfind("http://", 0) != 0) {
        throw d.err("acme_ca must be an http(s) URL");
      }
    } else if (name == "acme_ca_root") {
      cfg.caRoot = oneArg(d);
    } else if (name == "acme_eab") {
      parseEab(d, cfg);
    } else if (name == "key_type") {
      cfg.keyType = keyTypeArg(d);
    } else if (name == "profile") {
      cfg.profile = oneArg(d);
    } else if (name == "storage") {
      parseStorage(d, cfg);
    } else if (name == "http_port") {
      cfg.httpPort = portArg(d);
    } else if (name == "default_bind") {
      cfg.bindHost = oneArg(d);
    } else if (name == "preferred_chains") {
      parsePreferredChains(d, cfg);
    } else if (name == "acme_dns") {
      parseAcmeDns(d, cfg);
    } else if (name == "tls_resolvers") {
      auto resolvers = d.remainingArgs();
      if (resolvers.empty())
        throw d.argErr();
      dnsChallengeOf(cfg)["resolvers"] = resolvers;
    } else if (name == "renew_interval") {
      cfg.renewInterval = durationArg(d);
    } else {
      throw d.err("global option '" + name + "' is not used by gatehouse certs");
    }
  }
}

mode_t modeArg(Dispenser& d) {
  const std::string v = oneArg(d);
  char* end = nullptr;
  const long m = std::strtol(v.c_str(), &end, 8);
  if (v.empty() || *end != '\0' || m < 0 || m > 07777)
    throw d.err("invalid file mode '" + v + "' (octal, e.g. 0600)");
  return static_cast<mode_t>(m);
}

bool validName(const std::string& n) {
  if (n.empty() || n.size() > 253)
    return false;
  for (char c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '*' && c != ':' &&
        c != '_') {
      return false;
    }
  }
  return true;
}

CertificateTarget parseCertificates(const parser::ServerBlock& block) {
  CertificateTarget t;
  t.where = block.keys.front().loc;
  for (size_t i = 1; i < block.keys.size(); ++i) {
    const auto& key = block.keys[i];
    if (!validName(key.text)) {
      throw ConfigError(key.loc, "'" + key.text + "' is not a domain name or IP address");
    }
    t.names.push_back(key.text);
  }
  if (t.names.empty())
    throw ConfigError(t.where, "certificates needs at least one name");
  for (const auto& segment : block.segments) {
    Dispenser d(segment);
    d.next();
    const std::string name = d.val();
    if (name == "fullchain") {
      t.fullchainPath = oneArg(d);
    } else if (name == "privkey") {
      t.privkeyPath = oneArg(d);
    } else if (name == "owner") {
      auto args = d.remainingArgs();
      if (args.empty() || args.size() > 2)
        throw d.argErr();
      t.ownerUser = args[0];
      t.ownerGroup = args.size() > 1 ? args[1] : "";
    } else if (name == "mode") {
      t.mode = modeArg(d);
    } else if (name == "deploy") {
      t.deploy = oneArg(d);
    } else if (name == "key_type") {
      t.keyType = keyTypeArg(d);
    } else if (name == "profile") {
      t.profile = oneArg(d);
    } else {
      throw d.err("unrecognized certificates option '" + name + "'");
    }
  }
  if (t.fullchainPath.empty() || t.privkeyPath.empty()) {
    throw ConfigError(t.where, "certificates " + t.names.front() + ": fullchain and privkey are required");
  }
  return t;
}
}  // namespace

ServiceConfig parseServiceConfig(std::string_view text, const std::string& filename) {
  ServiceConfig cfg;
  auto blocks = parser::parseCaddyfile(text, filename);
  std::set<std::string> seenNames;
  std::set<std::string> seenPaths;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const auto& block = blocks[i];
    if (block.keys.empty()) {
      if (i != 0)
        throw ConfigError(filename + ": the global options block must come first");
      parseGlobal(block, cfg);
      continue;
    }
    if (block.keys.front().text != "certificates") {
      throw ConfigError(block.keys.front().loc,
                        "gatehouse certs configs hold only a global options block and 'certificates' blocks, "
                        "not '" +
                            block.keys.front().text + "'");
    }
    CertificateTarget t = parseCertificates(block);
    for (const auto& n : t.names) {
      if (!seenNames.insert(n).second)
        throw ConfigError(t.where, "name " + n + " is in two certificates blocks");
    }
    for (const auto* p : {&t.fullchainPath, &t.privkeyPath}) {
      if (!seenPaths.insert(*p).second)
        throw ConfigError(t.where, "file " + *p + " is written twice");
    }
    cfg.certificates.push_back(std::move(t));
  }
  if (cfg.certificates.empty())
    throw ConfigError(filename + ": no certificates blocks");
  if (cfg.dnsChallenge && !cfg.dnsChallenge->contains("provider"))
    throw ConfigError(filename + ": tls_resolvers is used by DNS-01 only; add acme_dns <provider>");
  return cfg;
}

}  // namespace gatehouse::acme
