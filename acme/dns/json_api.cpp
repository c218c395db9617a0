#include "dns/json_api.h"

#include <cstdlib>

#include "dns/aws_sigv4.h"

namespace gatehouse::acme::dns {

using Json = nlohmann::json;

std::string withoutDot(const std::string& name) {
  return name.ends_with(".") ? name.substr(0, name.size() - 1) : name;
}

std::string urlEncode(const std::string& text) {
  return aws::uriEncode(text);
}

JsonApi::JsonApi(uv_loop_t* loop, std::string provider, const char* testEnv, std::string defaultBase,
                 Describe describe)
    : loop_(loop), provider_(std::move(provider)), describe_(std::move(describe)) {
  const char* base = *testEnv != '\0' ? std::getenv(testEnv) : nullptr;
  base_ = base != nullptr && *base != '\0' ? base : std::move(defaultBase);
  if (base_.ends_with("/"))
    base_.pop_back();
}

void JsonApi::call(const std::string& method, const std::string& path,
                   std::vector<std::pair<std::string, std::string>> headers, const std::optional<Json>& body,
                   Done done, bool notFoundIsEmpty) {
  if (!http_) {
    if (loop_ == nullptr)
      return done(provider_ + ": no event loop", {});
    http_ = std::make_unique<HttpClient>(loop_, HttpClientOptions{"", "Gatehouse", 4 << 20});
  }
  HttpRequest req;
  req.method = method;
  req.url = base_ + path;
  req.headers = std::move(headers);
  req.headers.emplace_back("Accept", "application/json");
  if (body) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = body->dump();
  }
  // Only the path before any query: a query may hold a name, never a secret, but keep it short.
  const std::string what = provider_ + ": " + method + " " + path.substr(0, path.find('?'));
  http_->send(std::move(req), [what, describe = describe_, notFoundIsEmpty,
                               done = std::move(done)](HttpResponse r) {
    if (!r.ok())
      return done(what + ": " + r.error, {});
    if (notFoundIsEmpty && r.status == 404)
      return done(std::nullopt, {});
    Json j = r.body.empty() ? Json() : Json::parse(r.body, nullptr, false);
    if (r.status / 100 != 2) {
      std::string detail = j.is_discarded() ? "" : describe(j);
      return done(what + ": HTTP " + std::to_string(r.status) + (detail.empty() ? "" : ": " + detail), {});
    }
    if (j.is_discarded())
      return done(what + ": HTTP " + std::to_string(r.status) + ", not JSON", {});
    done(std::nullopt, std::move(j));
  });
}

}  // namespace gatehouse::acme::dns
