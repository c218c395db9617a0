#pragma once
// Names automatic HTTPS manages -> the certificate manager that keeps them, with the
// issuer chosen for each by the automation policies. chooseIssuer() is the one place the
// issuer is decided: ACME is implemented here; the internal CA (`tls internal`) hooks in
// at IssuerKind::Internal.

#include <memory>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "provision/tls_provision.h"

namespace gatehouse::acme {
class CertificateManager;
}

namespace gatehouse::provision {

enum class IssuerKind { Acme, Internal };

struct IssuerChoice {
  IssuerKind kind = IssuerKind::Acme;
  const config::Json* issuer = nullptr;              // the issuer module; null: the defaults
  const config::AutomationPolicy* policy = nullptr;  // null: no policy covers the name
  std::string path;                                  // JSON path of the issuer, for errors
};

// The first automation policy covering `name` (no subjects = all), its first issuer; without
// one, ACME for names a public CA can certify and the internal CA for the rest (as Caddy).
IssuerChoice chooseIssuer(const std::string& name, const TlsAppRuntime& tls);

// Which challenges the engine can answer: HTTP-01 needs a server on http_port, TLS-ALPN-01
// a TLS server on https_port.
struct ChallengePorts {
  uint16_t http = 80;
  uint16_t https = 443;
  bool httpServed = false;
  bool httpsServed = false;
};

// Builds the manager for `names` (lower-case, deduplicated); null when there are none.
// Certificates in storage are installed into tls.store before this returns. Throws
// ProvisionError for what is not implemented (internal issuer, on-demand, DNS challenges,
// wildcards, other alternate ports).
std::shared_ptr<acme::CertificateManager> provisionCertificateManager(const config::Config& config,
                                                                      const std::vector<std::string>& names,
                                                                      const TlsAppRuntime& tls,
                                                                      const ChallengePorts& ports);

}  // namespace gatehouse::provision
