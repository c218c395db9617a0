#pragma once
// Certificate signing requests for finalize (RFC 8555 section 7.4): every name goes in the
// subjectAltName (DNS or IP), the subject stays empty as certmagic leaves it.

#include <string>
#include <vector>

#include "crypto/private_key.h"

namespace gatehouse::acme {

// DER-encoded CSR signed by `key`. Throws std::runtime_error on failure.
std::string buildCsrDer(const PrivateKey& key, const std::vector<std::string>& names);

// True when `name` is an IPv4 or IPv6 literal (an "ip" identifier, RFC 8738).
bool isIpAddress(const std::string& name);

}  // namespace gatehouse::acme
