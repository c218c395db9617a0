#pragma once
// *.ts.net site names under automatic HTTPS. Caddy 2.6.2 never orders certificates for them:
// a name no automation policy lists gets an implicit policy with the `tailscale` certificate
// manager (certificates from the local tailscaled), one that a policy lists is left to that
// policy's managers or on-demand TLS at handshake time.

#include <string>
#include <string_view>

#include "provision/tls_provision.h"

namespace gatehouse::provision {

bool tailscaleName(std::string_view lowerName);

// For a *.ts.net name automatic HTTPS would manage: throws ProvisionError (at `path`) when
// Caddy would hand it to the tailscale manager, which is not implemented; otherwise the
// name is left out of management, as Caddy does.
void checkTailscaleName(const std::string& lowerName, const TlsAppRuntime& tls, const std::string& path);

}  // namespace gatehouse::provision
