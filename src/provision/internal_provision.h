#pragma once
// Wires the local CA and the internal issuer into a runtime: opens the storage, loads or
// creates the CA, and obtains a certificate for every name automatic HTTPS gave the
// internal issuer.

#include <memory>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/tls/certificate_store.h"
#include "provision/auto_https.h"
#include "provision/internal_certificates.h"

namespace gatehouse::provision {

// Null when `names` is empty. Without `obtain` (a config being checked) only the CAs are
// made. Throws ProvisionError naming the path of what failed.
std::shared_ptr<InternalCertificates> provisionInternalCertificates(
    const config::Config& config, const std::vector<InternalIssuerChoice>& names,
    std::shared_ptr<tls::CertificateStore> store, std::vector<std::string>& warnings, bool obtain);

// Makes (or loads) every CA caddy 2.6.2's pki app makes when it starts, whether or not a
// certificate is signed now: the CAs `apps.pki` lists (`local` when it lists none) and the
// CA of every internal issuer an automation policy names, so `auto_https off` next to `tls
// internal` still writes `pki/authorities/<id>/` as caddy does. Throws ProvisionError.
void provisionPkiCas(const config::Config& config,
                     const std::vector<const config::AutomationPolicy*>& policies,
                     std::vector<std::string>& warnings);

}  // namespace gatehouse::provision
