#pragma once
// The on-demand `ask` check (Caddy's permission module "http"): GET ENDPOINT?domain=NAME;
// any 2xx allows the name, any other status denies it, redirects are not followed, and
// the exchange is bounded (10 s, as Caddy's client). Runs on the HttpClient's loop.

#include <functional>
#include <string>

#include "http/http_client.h"

namespace gatehouse::acme {

struct AskAnswer {
  bool allowed = false;
  long status = 0;    // the endpoint's status; 0 when the request itself failed
  std::string error;  // transport failure (then the name is denied too)
};

// ENDPOINT with `domain=NAME` set in its query (an existing domain parameter replaced).
std::string askUrl(const std::string& endpoint, const std::string& name);

void askPermission(HttpClient& http, const std::string& endpoint, const std::string& name,
                   std::function<void(AskAnswer)> done);

}  // namespace gatehouse::acme
