#pragma once
// One request as the ACME server's endpoints see it (private to acme_server*.cpp).

#include <optional>
#include <string>

#include "server/acme_server.h"
#include "server/jws_verifier.h"
#include "server/resource_json.h"

namespace gatehouse::acme::server {

struct AcmeServer::Call {
  const AcmeRequest& req;
  Links links;
  std::string url;  // the request's own URL, which the JWS "url" must name
  ParsedJws jws;
  nlohmann::json payload;          // parsed JWS payload; null for POST-as-GET
  std::optional<Account> account;  // the `kid` account, once authenticated
  std::string thumbprint;          // of the key that signed
};

// Response helpers shared by the endpoint files.
AcmeResponse jsonResponse(int status, const nlohmann::json& body);
void addHeader(AcmeResponse& resp, std::string name, std::string value);

}  // namespace gatehouse::acme::server
