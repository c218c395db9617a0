#include "provision/tailscale_names.h"

#include <algorithm>

#include "provision/provision_error.h"

namespace gatehouse::provision {

bool tailscaleName(std::string_view lowerName) {
  return lowerName.ends_with(".ts.net");
}

void checkTailscaleName(const std::string& lowerName, const TlsAppRuntime& tls, const std::string& path) {
  // Caddy compares policy subjects with the name as written, exactly.
  const bool listed =
      std::any_of(tls.policies.begin(), tls.policies.end(), [&](const config::AutomationPolicy* p) {
        return std::find(p->subjects.begin(), p->subjects.end(), lowerName) != p->subjects.end();
      });
  if (!listed) {
    throw ProvisionError(
        path, "'" + lowerName +
                  "': Caddy 2.6.2 gets certificates for *.ts.net names from the "
                  "local Tailscale daemon (tls.get_certificate.tailscale), which is not supported yet; "
                  "give the site 'tls <cert> <key>' or 'tls { get_certificate http <url> }'");
  }
}

}  // namespace gatehouse::provision
