#pragma once
// Finalize (RFC 8555 section 7.4): checks a CSR against the order's identifiers and signs
// a leaf with the pki CA, as smallstep's ACME provisioner does for Caddy's acme_server:
// the CSR's key, its names as SANs, its common name kept, 12 hours by default, issued by
// the intermediate (or the root with sign_with_root), served with the intermediate.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "internal/local_ca.h"
#include "server/server_model.h"

namespace gatehouse::acme::server {

struct SigningPolicy {
  std::chrono::seconds lifetime{std::chrono::hours(12)};
  bool signWithRoot = false;
};

// Throws AcmeProblem (badCSR) when the CSR is not valid DER, its signature does not verify,
// or its names are not exactly the order's identifiers.
std::string signOrderCsr(const std::string& csrDer, const Order& order, const internal::LocalCa& ca,
                         const SigningPolicy& policy);

}  // namespace gatehouse::acme::server
