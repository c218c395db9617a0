#include "dns/hetzner_provider.h"

#include <stdexcept>

namespace gatehouse::acme::dns {

using Json = nlohmann::json;

namespace {

// Errors: {"message": "..."} (authentication) or {"error": {"message", "code"}}.
std::string describe(const Json& j) {
  if (!j.is_object())
    return "";
  if (j.contains("error") && j["error"].is_object())
    return j["error"].value("message", std::string());
  return j.value("message", std::string());
}

std::string idOf(const Json& j) {
  return j.is_object() && j.contains("id") && j["id"].is_string() ? j["id"].get<std::string>() : "";
}

}  // namespace

HetznerProvider::HetznerProvider(uv_loop_t* loop, std::string authApiToken)
    : token_(std::move(authApiToken)),
      api_(loop, "hetzner", "GATEHOUSE_TEST_HETZNER_API", "https://dns.hetzner.com/api/v1", describe) {
  if (token_.empty())
    throw std::invalid_argument("hetzner: missing API token (auth_api_token)");
}

void HetznerProvider::call(const std::string& method, const std::string& path,
                           const std::optional<Json>& body, JsonApi::Done done) {
  api_.call(method, path, {{"Auth-API-Token", token_}}, body, std::move(done));
}

void HetznerProvider::zoneId(const std::string& zone,
                             std::function<void(std::optional<std::string>, std::string)> done) {
  if (auto it = zoneIds_.find(zone); it != zoneIds_.end())
    return done(std::nullopt, it->second);
  call("GET", "/zones?name=" + urlEncode(withoutDot(zone)), std::nullopt,
       [this, zone, done = std::move(done)](std::optional<std::string> err, Json j) {
         if (err)
           return done(err, "");
         for (const auto& z : j.value("zones", Json::array())) {
           if (z.value("name", "") == withoutDot(zone) && !idOf(z).empty()) {
             zoneIds_[zone] = idOf(z);
             return done(std::nullopt, idOf(z));
           }
         }
         done("hetzner: no zone named " + withoutDot(zone) + " is visible to this token", "");
       });
}

void HetznerProvider::present(const TxtRecord& record, Done done) {
  zoneId(record.zone,
         [this, record, done = std::move(done)](std::optional<std::string> err, std::string zid) {
           if (err)
             return done(err);
           const Json body = {{"zone_id", zid},
                              {"type", "TXT"},
                              {"name", relativeName(record.fqdn, record.zone)},
                              {"value", record.value},
                              {"ttl", record.ttl.count() > 0 ? record.ttl.count() : 120}};
           call("POST", "/records", body, [this, record, done](std::optional<std::string> e, Json j) {
             if (e)
               return done(e);
             if (j.is_object() && j.contains("record") && !idOf(j["record"]).empty())
               recordIds_[record.fqdn + " " + record.value] = idOf(j["record"]);
             done(std::nullopt);
           });
         });
}

void HetznerProvider::cleanUp(const TxtRecord& record, Done done) {
  if (auto it = recordIds_.find(record.fqdn + " " + record.value); it != recordIds_.end()) {
    const std::string id = it->second;
    recordIds_.erase(it);
    return deleteRecord(id, std::move(done));
  }
  zoneId(record.zone,
         [this, record, done = std::move(done)](std::optional<std::string> err, std::string zid) {
           if (err)
             return done(err);
           call("GET", "/records?zone_id=" + urlEncode(zid), std::nullopt,
                [this, record, done](std::optional<std::string> e, Json j) {
                  if (e)
                    return done(e);
                  const std::string rel = relativeName(record.fqdn, record.zone);
                  for (const auto& r : j.value("records", Json::array())) {
                    if (r.value("type", "") == "TXT" && r.value("name", "") == rel &&
                        r.value("value", "") == record.value && !idOf(r).empty())
                      return deleteRecord(idOf(r), done);
                  }
                  done(std::nullopt);  // already gone
                });
         });
}

void HetznerProvider::deleteRecord(const std::string& id, Done done) {
  call("DELETE", "/records/" + urlEncode(id), std::nullopt,
       [done = std::move(done)](std::optional<std::string> err, const Json&) { done(err); });
}

}  // namespace gatehouse::acme::dns
