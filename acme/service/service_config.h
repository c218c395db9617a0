#pragma once
// The config of `gatehouse certs`: a Caddyfile whose global options block takes Caddy's
// certificate options (email, acme_ca, acme_ca_root, acme_eab, key_type, storage,
// preferred_chains, http_port, default_bind, renew_interval, acme_dns, tls_resolvers) and whose other blocks
// are
//
//   certificates <name>... {
//       fullchain <path>
//       privkey <path>
//       owner <user> [<group>]
//       mode <octal>
//       deploy <command>
//       key_type p256|p384|rsa2048|rsa4096|ed25519
//       profile <name>
//   }
//
// `profile <name>` (global, or per certificates block) asks the CA for an ACME profile (e.g.
// Let's Encrypt's `shortlived`), as the acme issuer's `profile` in `gatehouse run`: only when
// the CA's directory lists it in meta.profiles, else no order is placed and the error names
// the profiles the CA offers.
//
// Certificates are validated with HTTP-01 on http_port (TLS-ALPN-01 needs `gatehouse run`,
// whose TLS listener owns port 443), or with DNS-01 through `acme_dns <provider> ...`
// (a built-in provider, see dns/dns_provider_factory.h; exec keeps lego's exec protocol), which wildcard
// names require. Parsed with the Caddyfile lexer and dispenser (imports, snippets, {$ENV} work); errors are
// ConfigError with file:line:col. Ordinary Caddyfiles never reach this parser.

#include <sys/types.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/private_key.h"
#include "gatehouse/parser/token.h"
#include "protocol/acme_account.h"
#include "protocol/acme_order.h"

namespace gatehouse::acme {

inline constexpr const char* kLetsEncryptDirectory = "https://acme-v02.api.letsencrypt.org/directory";

struct CertificateTarget {
  std::vector<std::string> names;
  std::string fullchainPath;
  std::string privkeyPath;
  std::string ownerUser;  // "" = leave as the running user
  std::string ownerGroup;
  std::optional<mode_t> mode;  // both files; default 0644 fullchain, 0600 privkey
  std::string deploy;          // run with /bin/sh -c after new files are written
  std::optional<KeyType> keyType;
  std::optional<std::string> profile;  // overrides ServiceConfig::profile
  parser::Location where;
};

struct ServiceConfig {
  std::string email;
  std::string ca = kLetsEncryptDirectory;
  std::string caRoot;  // PEM bundle trusted for the CA's HTTPS ("" = system roots)
  std::optional<ExternalAccountBinding> eab;
  KeyType keyType = KeyType::P256;
  std::string profile;      // ACME profile for every certificate ("" = the CA's default)
  std::string storageRoot;  // "" = FileStorage::defaultRoot()
  uint16_t httpPort = 80;
  std::string bindHost;  // "" = all addresses
  PreferredChains preferredChains;
  std::chrono::seconds renewInterval{600};  // how often the daemon looks at its certificates
  // acme_dns <provider> ...: DNS-01 instead of HTTP-01 (challenges.dns of Caddy's JSON,
  // with tls_resolvers as its resolvers).
  std::optional<nlohmann::json> dnsChallenge;
  std::vector<CertificateTarget> certificates;
};

// Throws parser::ConfigError.
ServiceConfig parseServiceConfig(std::string_view text, const std::string& filename);

}  // namespace gatehouse::acme
