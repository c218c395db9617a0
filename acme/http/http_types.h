#pragma once
// Requests and responses of the ACME HTTP client.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gatehouse::acme {

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, POST, PUT, PATCH or DELETE
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{30000};  // the whole exchange
};

struct HttpResponse {
  long status = 0;  // 0 when the exchange failed below HTTP (see `error`)
  std::vector<std::pair<std::string, std::string>> headers;  // names as received
  std::string body;
  std::string error;  // transport failure (DNS, connect, TLS, timeout, size limit)
  // The failure was on the way (refused, reset, nothing or half an answer received): worth
  // another try at once, unlike a timeout, a name that does not resolve or a bad certificate.
  bool transient = false;

  [[nodiscard]] bool ok() const { return error.empty() && status != 0; }
  // First value of a header (case-insensitive name), "" when absent.
  [[nodiscard]] std::string header(std::string_view name) const;
  // Targets of Link headers with the given rel (RFC 8288), e.g. "up" or "alternate".
  [[nodiscard]] std::vector<std::string> links(std::string_view rel) const;
};

}  // namespace gatehouse::acme
