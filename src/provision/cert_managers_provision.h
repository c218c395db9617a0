#pragma once
// apps.tls.automation.policies[].get_certificate (Caddy's certificate managers,
// tls.get_certificate.*) -> what paused handshakes ask. The `http` manager is implemented;
// `tailscale` is refused with its JSON path (it needs tailscaled's LocalAPI).

#include <memory>

#include "gatehouse/tls/certificate_managers.h"
#include "provision/tls_provision.h"

namespace gatehouse::provision {

// Null when no policy has managers. Throws ProvisionError for malformed or unsupported
// managers, naming their JSON path.
std::shared_ptr<const tls::CertificateManagers> provisionCertificateManagers(const TlsAppRuntime& tls);

}  // namespace gatehouse::provision
