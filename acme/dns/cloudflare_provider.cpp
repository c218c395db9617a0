#include "dns/cloudflare_provider.h"

#include <curl/curl.h>

#include <cstdlib>
#include <stdexcept>

namespace gatehouse::acme::dns {

namespace {

using Json = nlohmann::json;

std::string withoutDot(const std::string& name) {
  return name.ends_with(".") ? name.substr(0, name.size() - 1) : name;
}

std::string queryEscape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      static const char* hex = "0123456789ABCDEF";
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// Cloudflare's envelope: {"success", "errors": [{"code","message"}], "messages", "result"}.
std::string describeErrors(const Json& body, long status) {
  std::string out = "HTTP " + std::to_string(status);
  if (body.is_object() && body.contains("errors") && body["errors"].is_array()) {
    for (const auto& e : body["errors"]) {
      out += "; " + std::to_string(e.value("code", 0)) + ": " + e.value("message", std::string());
    }
  }
  return out;
}

}  // namespace

CloudflareProvider::CloudflareProvider(uv_loop_t* loop, CloudflareSettings settings)
    : loop_(loop), settings_(std::move(settings)) {
  if (settings_.apiToken.empty())
    throw std::invalid_argument("cloudflare: missing API token (api_token)");
  const char* base = std::getenv("GATEHOUSE_TEST_CLOUDFLARE_API");
  baseUrl_ = base != nullptr && *base != '\0' ? base : "https://api.cloudflare.com/client/v4";
  if (baseUrl_.ends_with("/"))
    baseUrl_.pop_back();
}

void CloudflareProvider::call(const std::string& method, const std::string& path, const std::string& token,
                              const std::optional<Json>& body, ResultDone done) {
  if (!http_) {
    if (loop_ == nullptr)
      return done("cloudflare: no event loop", {});
    http_ = std::make_unique<HttpClient>(loop_, HttpClientOptions{"", "Gatehouse", 4 << 20});
  }
  HttpRequest req;
  req.method = method;
  req.url = baseUrl_ + path;
  req.headers.emplace_back("Authorization", "Bearer " + token);
  if (body) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = body->dump();
  }
  http_->send(std::move(req), [method, path, done = std::move(done)](HttpResponse r) {
    if (!r.ok())
      return done("cloudflare: " + method + " " + path + ": " + r.error, {});
    Json j = Json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      return done("cloudflare: " + method + " " + path + ": HTTP " + std::to_string(r.status) + ", not JSON",
                  {});
    if (r.status / 100 != 2 || !j.value("success", false))
      return done("cloudflare: " + method + " " + path + ": " + describeErrors(j, r.status), {});
    done(std::nullopt, j.value("result", Json()));
  });
}

void CloudflareProvider::zoneId(const std::string& zone,
                                std::function<void(std::optional<std::string>, std::string)> done) {
  if (auto it = zoneIds_.find(zone); it != zoneIds_.end())
    return done(std::nullopt, it->second);
  const std::string& token = settings_.zoneToken.empty() ? settings_.apiToken : settings_.zoneToken;
  call(
      "GET", "/zones?name=" + queryEscape(withoutDot(zone)), token, std::nullopt,
      [this, zone, done = std::move(done)](std::optional<std::string> err, Json result) {
        if (err)
          return done(err, "");
        if (!result.is_array() || result.empty() || !result[0].contains("id") || !result[0]["id"].is_string())
          return done("cloudflare: no zone named " + withoutDot(zone) + " is visible to this token", "");
        const std::string id = result[0]["id"];
        zoneIds_[zone] = id;
        done(std::nullopt, id);
      });
}

void CloudflareProvider::present(const TxtRecord& record, Done done) {
  zoneId(record.zone,
         [this, record, done = std::move(done)](std::optional<std::string> err, std::string zid) {
           if (err)
             return done(err);
           const Json body = {{"type", "TXT"},
                              {"name", withoutDot(record.fqdn)},
                              {"content", record.value},
                              {"ttl", record.ttl.count() > 0 ? record.ttl.count() : 120}};
           call("POST", "/zones/" + zid + "/dns_records", settings_.apiToken, body,
                [this, record, done](std::optional<std::string> e, Json result) {
                  if (e)
                    return done(e);
                  if (result.is_object() && result.contains("id") && result["id"].is_string())
                    recordIds_[record.fqdn + " " + record.value] = result["id"];
                  done(std::nullopt);
                });
         });
}

void CloudflareProvider::cleanUp(const TxtRecord& record, Done done) {
  zoneId(record.zone,
         [this, record, done = std::move(done)](std::optional<std::string> err, std::string zid) {
           if (err)
             return done(err);
           const std::string key = record.fqdn + " " + record.value;
           if (auto it = recordIds_.find(key); it != recordIds_.end()) {
             const std::string id = it->second;
             recordIds_.erase(it);
             return deleteRecord(zid, id, done);
           }
           // Not added by this process (a restart in between): find it by name and content.
           const std::string path = "/zones/" + zid +
                                    "/dns_records?type=TXT&name=" + queryEscape(withoutDot(record.fqdn)) +
                                    "&content=" + queryEscape(record.value);
           call("GET", path, settings_.apiToken, std::nullopt,
                [this, zid, done](std::optional<std::string> e, Json r) {
                  if (e)
                    return done(e);
                  if (!r.is_array() || r.empty() || !r[0].contains("id") || !r[0]["id"].is_string())
                    return done(std::nullopt);  // already gone
                  deleteRecord(zid, r[0]["id"], done);
                });
         });
}

void CloudflareProvider::deleteRecord(const std::string& zid, const std::string& recordId, Done done) {
  call("DELETE", "/zones/" + zid + "/dns_records/" + recordId, settings_.apiToken, std::nullopt,
       [done = std::move(done)](std::optional<std::string> e, const Json&) { done(e); });
}

}  // namespace gatehouse::acme::dns
