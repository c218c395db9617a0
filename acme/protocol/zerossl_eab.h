#pragma once
// ZeroSSL's EAB credentials API, as Caddy 2.6's zerossl issuer uses it: ZeroSSL's ACME
// server requires External Account Binding, and its REST API hands out a key id and HMAC
// key either for an API key (POST <base>/eab-credentials?access_key=KEY) or, without one,
// for an email address (POST <base>/eab-credentials-email, form body email=...). Asked only
// when a new ACME account is registered and no `eab` was configured.

#include <functional>
#include <optional>
#include <string>

#include "http/http_client.h"
#include "http/http_types.h"
#include "log/acme_log.h"
#include "protocol/acme_account.h"
#include "protocol/problem.h"

namespace gatehouse::acme {

inline constexpr const char* kZeroSslApiBase = "https://api.zerossl.com/acme";
// Caddy's stand-in when no email is configured (its dashboard features are lost).
inline constexpr const char* kZeroSslFallbackEmail = "caddy@zerossl.com";

// The request for credentials: by API key when one is given, else by email.
HttpRequest zeroSslEabRequest(const std::string& apiBase, const std::string& apiKey,
                              const std::string& email);

// The credentials in ZeroSSL's answer ({"success":true,"eab_kid":...,"eab_hmac_key":...}).
// Throws std::runtime_error with ZeroSSL's error type and code ({"success":false,"error":
// {"code":N,"type":"..."}}), the HTTP status, or what is malformed. Never echoes the key.
ExternalAccountBinding parseZeroSslEabResponse(long status, const std::string& body);

// An EabSource asking ZeroSSL's API through `http` (which must outlive the calls).
EabSource zeroSslEabSource(std::shared_ptr<HttpClient> http, std::string apiBase, std::string apiKey,
                           std::string email, const AcmeLog& log);

}  // namespace gatehouse::acme
