#include "dns/digitalocean_provider.h"

#include <stdexcept>

namespace gatehouse::acme::dns {

using Json = nlohmann::json;

namespace {

// Errors: {"id": "unauthorized", "message": "Unable to authenticate you"}.
std::string describe(const Json& j) {
  return j.is_object() ? j.value("id", std::string()) + ": " + j.value("message", std::string()) : "";
}

}  // namespace

DigitaloceanProvider::DigitaloceanProvider(uv_loop_t* loop, std::string authToken)
    : token_(std::move(authToken)),
      api_(loop, "digitalocean", "GATEHOUSE_TEST_DIGITALOCEAN_API", "https://api.digitalocean.com",
           describe) {
  if (token_.empty())
    throw std::invalid_argument("digitalocean: missing API token (auth_token)");
}

void DigitaloceanProvider::call(const std::string& method, const std::string& path,
                                const std::optional<Json>& body, JsonApi::Done done) {
  api_.call(method, path, {{"Authorization", "Bearer " + token_}}, body, std::move(done));
}

void DigitaloceanProvider::present(const TxtRecord& record, Done done) {
  // DigitalOcean's smallest TTL is 30 s.
  const Json body = {{"type", "TXT"},
                     {"name", relativeName(record.fqdn, record.zone)},
                     {"data", record.value},
                     {"ttl", record.ttl.count() >= 30 ? record.ttl.count() : 30}};
  call("POST", "/v2/domains/" + urlEncode(withoutDot(record.zone)) + "/records", body,
       [this, record, done = std::move(done)](std::optional<std::string> err, Json j) {
         if (err)
           return done(err);
         if (j.is_object() && j.contains("domain_record") && j["domain_record"].contains("id") &&
             j["domain_record"]["id"].is_number_integer())
           recordIds_[record.fqdn + " " + record.value] = j["domain_record"]["id"].get<long long>();
         done(std::nullopt);
       });
}

void DigitaloceanProvider::cleanUp(const TxtRecord& record, Done done) {
  const std::string zone = withoutDot(record.zone);
  if (auto it = recordIds_.find(record.fqdn + " " + record.value); it != recordIds_.end()) {
    const long long id = it->second;
    recordIds_.erase(it);
    return deleteRecord(zone, id, std::move(done));
  }
  // Not added by this process (a restart in between): find it by name and data.
  call("GET",
       "/v2/domains/" + urlEncode(zone) + "/records?type=TXT&name=" + urlEncode(withoutDot(record.fqdn)),
       std::nullopt, [this, zone, record, done = std::move(done)](std::optional<std::string> err, Json j) {
         if (err)
           return done(err);
         for (const auto& r : j.value("domain_records", Json::array())) {
           if (r.value("data", "") == record.value && r.contains("id") && r["id"].is_number_integer())
             return deleteRecord(zone, r["id"].get<long long>(), done);
         }
         done(std::nullopt);  // already gone
       });
}

void DigitaloceanProvider::deleteRecord(const std::string& zone, long long id, Done done) {
  call("DELETE", "/v2/domains/" + urlEncode(zone) + "/records/" + std::to_string(id), std::nullopt,
       [done = std::move(done)](std::optional<std::string> err, const Json&) { done(err); });
}

}  // namespace gatehouse::acme::dns
