#pragma once
// Writes a certificate's fullchain.pem and privkey.pem where a certificates block says,
// atomically, with its owner and mode; files already holding the same bytes (and mode) are
// left alone so an unchanged certificate does not trigger the deploy hook.

#include <string>

#include "service/service_config.h"

namespace gatehouse::acme {

// True when a file was (re)written. Throws std::runtime_error naming the path.
bool deployFiles(const CertificateTarget& target, const std::string& chainPem, const std::string& keyPem);

}  // namespace gatehouse::acme
