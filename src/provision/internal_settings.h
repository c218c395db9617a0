#pragma once
// Config -> settings of the local CA and the internal issuer: the storage root (`storage`
// file_system or Caddy's default), the pki app's CA options, and an internal issuer
// module's options. Anything not implemented is refused with its JSON path.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "internal/local_ca.h"

namespace gatehouse::provision {

// The file_system storage root; Caddy's default when `storage` is absent.
std::string storageRoot(const config::Config& config);

// A pki CA's options plus where it is stored (its own `storage`, else the global one).
struct PkiCaOptions : acme::internal::LocalCaOptions {
  std::string storageRoot;
};

// apps.pki.certificate_authorities.<id> (defaults when absent). `warnings` receives
// what is accepted but not done (installing the root into trust stores).
PkiCaOptions localCaOptions(const config::Config& config, const std::string& id,
                            std::vector<std::string>& warnings);

// The CA `id`, loaded from its storage or files (root and intermediate made on first use).
// Only "local" may be used without being configured, as in Caddy; `user` (the JSON path of
// the issuer or handler naming the CA) is what that error names. Throws ProvisionError.
std::shared_ptr<const acme::internal::LocalCa> loadPkiCa(
    const config::Config& config, const std::string& id, std::vector<std::string>& warnings,
    const std::string& user = "apps.pki.certificate_authorities");

// Checks apps.pki: only CAs whose every option is implemented.
void checkPkiApp(const config::Config& config);

struct InternalIssuerSettings {
  std::string ca = "local";
  std::chrono::seconds lifetime{std::chrono::hours(12)};
  bool signWithRoot = false;  // leaves signed by the root itself, served with it
  auto operator<=>(const InternalIssuerSettings&) const = default;
};

// An issuer object {"module":"internal", "ca", "lifetime", "sign_with_root"} at `path`.
InternalIssuerSettings internalIssuerSettings(const config::Json& issuer, const std::string& path);

}  // namespace gatehouse::provision
