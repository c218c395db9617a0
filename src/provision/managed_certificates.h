#pragma once
// Names automatic HTTPS manages -> the certificate manager that keeps them, with the
// issuer chosen for each by the automation policies. chooseIssuer() is the one place the
// issuer is decided: ACME is implemented here; the internal CA (`tls internal`) hooks in
// at IssuerKind::Internal.

#include <chrono>
#include <memory>
#include <set>
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

// Reads an ACME issuer's trusted root file as caddy 2.6.2 does when it provisions the issuer:
// a missing or unreadable file, or one without a certificate, throws ProvisionError at `path`.
void checkTrustedRoots(const std::string& file, const std::string& path);

// The first automation policy covering `name` (no subjects = all), its first issuer; without
// one, ACME for names a public CA can certify and the internal CA for the rest (as Caddy).
IssuerChoice chooseIssuer(const std::string& name, const TlsAppRuntime& tls);

// For a name automatic HTTPS found in a site (not one of `certificates.automate`): as
// chooseIssuer, but a name no public CA can certify (localhost, an IP, *.local ...) that no
// policy lists as a subject gets Caddy's implicit policy: the default internal issuer, the
// catch-all policy's other settings, ahead of any catch-all or wildcard policy. So a
// catch-all ACME issuer (global `acme_ca`, `acme_ca_root` ...) is never asked for localhost.
IssuerChoice chooseAutoHttpsIssuer(const std::string& name, const TlsAppRuntime& tls);

// The ports challenges are validated on by default (the http app's http_port / https_port,
// as Caddy fills them into ACME issuers) and the ports our servers listen on: a challenge
// whose port a server serves is answered by that server, any other by a listener of the
// certificate manager's own (certmagic's solvers).
struct ChallengePorts {
  uint16_t http = 80;
  uint16_t https = 443;
  std::set<uint16_t> plainListeners;  // servers without TLS
  std::set<uint16_t> tlsListeners;    // servers with TLS connection policies
};

// Builds the manager for `names` (lower-case, deduplicated); null when there are none.
// Certificates in storage are installed into tls.store before this returns. Throws
// ProvisionError for what is not implemented or cannot work (a challenge port that a
// server of the other kind listens on).
std::shared_ptr<acme::CertificateManager> provisionCertificateManager(const config::Config& config,
                                                                      const std::vector<std::string>& names,
                                                                      const TlsAppRuntime& tls,
                                                                      const ChallengePorts& ports);

// apps.tls.automation.renew_interval / ocsp_interval as certmagic takes it: `fallback` when
// unset, zero or negative; at least a second.
std::chrono::seconds automationInterval(const config::Config& config, const char* key,
                                        std::chrono::seconds fallback);

// False when the automation policy (at `path`) sets disable_ocsp_stapling.
bool ocspStaplingOf(const config::AutomationPolicy* policy, const std::string& path);

}  // namespace gatehouse::provision
