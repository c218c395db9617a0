#pragma once
// A JSON-over-HTTPS API as the REST DNS providers (digitalocean, hetzner, porkbun, desec,
// acmedns) use it: one lazily made curl multi client on the loop, a base URL a
// GATEHOUSE_TEST_<NAME>_API variable may replace (tests' local fakes), and answers parsed
// as JSON. Errors name the provider, method and path, never a header or a body sent.

#include <uv.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http/http_client.h"

namespace gatehouse::acme::dns {

class JsonApi {
 public:
  // Answer: error (transport, non-2xx with the API's message, not JSON), else the body
  // (null for an empty one, e.g. 204).
  using Done = std::function<void(std::optional<std::string> error, nlohmann::json body)>;
  // Pulls the API's own error message out of an error answer.
  using Describe = std::function<std::string(const nlohmann::json& body)>;

  JsonApi(uv_loop_t* loop, std::string provider, const char* testEnv, std::string defaultBase,
          Describe describe);

  // notFoundIsEmpty: a 404 answers null instead of an error (a set that does not exist).
  void call(const std::string& method, const std::string& path,
            std::vector<std::pair<std::string, std::string>> headers,
            const std::optional<nlohmann::json>& body, Done done, bool notFoundIsEmpty = false);
  void shutdown() { http_.reset(); }
  [[nodiscard]] const std::string& base() const { return base_; }

 private:
  uv_loop_t* loop_;
  std::string provider_;
  std::string base_;
  Describe describe_;
  std::unique_ptr<HttpClient> http_;
};

std::string withoutDot(const std::string& name);
// RFC 3986 unreserved kept, the rest %XY: for query values and path segments.
std::string urlEncode(const std::string& text);

}  // namespace gatehouse::acme::dns
