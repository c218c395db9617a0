#include "manager/on_demand_ask.h"

#include "http/uri.h"

namespace gatehouse::acme {

namespace {
constexpr std::chrono::milliseconds kAskTimeout{10000};
}  // namespace

std::string askUrl(const std::string& endpoint, const std::string& name) {
  std::string base = endpoint.substr(0, endpoint.find('#'));
  const size_t q = base.find('?');
  std::string query;
  if (q != std::string::npos) {
    const std::string old = base.substr(q + 1);
    base.resize(q);
    size_t at = 0;
    while (at <= old.size()) {
      size_t end = old.find('&', at);
      if (end == std::string::npos) {
        end = old.size();
      }
      const std::string part = old.substr(at, end - at);
      if (!part.empty() && part != "domain" && !part.starts_with("domain=")) {
        query += part + "&";
      }
      at = end + 1;
    }
  }
  return base + "?" + query + "domain=" + http::queryEscape(name);
}

void askPermission(HttpClient& http, const std::string& endpoint, const std::string& name,
                   std::function<void(AskAnswer)> done) {
  HttpRequest req;
  req.method = "GET";
  req.url = askUrl(endpoint, name);
  req.timeout = kAskTimeout;
  http.send(std::move(req), [done = std::move(done)](HttpResponse resp) {
    AskAnswer a;
    a.status = resp.status;
    if (!resp.ok()) {
      a.error = resp.error.empty() ? "no response" : resp.error;
    } else {
      a.allowed = resp.status >= 200 && resp.status <= 299;
    }
    done(std::move(a));
  });
}

}  // namespace gatehouse::acme
