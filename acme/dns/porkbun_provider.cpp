#include "dns/porkbun_provider.h"

#include <stdexcept>

namespace gatehouse::acme::dns {

using Json = nlohmann::json;

namespace {

std::string describe(const Json& j) {
  return j.is_object() ? j.value("message", std::string()) : "";
}

// Porkbun's ids are numbers in some answers and strings in others.
std::string idOf(const Json& j) {
  if (!j.is_object() || !j.contains("id"))
    return "";
  if (j["id"].is_string())
    return j["id"].get<std::string>();
  return j["id"].is_number_integer() ? std::to_string(j["id"].get<long long>()) : "";
}

// The plugin trims the keys (a pasted newline is common).
std::string trimmed(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos)
    return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

PorkbunProvider::PorkbunProvider(uv_loop_t* loop, std::string apiKey, std::string secretKey)
    : apiKey_(trimmed(std::move(apiKey))),
      secretKey_(trimmed(std::move(secretKey))),
      api_(loop, "porkbun", "GATEHOUSE_TEST_PORKBUN_API", "https://api.porkbun.com/api/json/v3", describe) {
  if (apiKey_.empty())
    throw std::invalid_argument("porkbun: No api_key set");
  if (secretKey_.empty())
    throw std::invalid_argument("porkbun: No api_secret_key set");
}

void PorkbunProvider::call(const std::string& path, Json body, JsonApi::Done done) {
  body["apikey"] = apiKey_;
  body["secretapikey"] = secretKey_;
  api_.call("POST", path, {}, body, [path, done = std::move(done)](std::optional<std::string> err, Json j) {
    if (err)
      return done(err, {});
    if (!j.is_object() || j.value("status", "") != "SUCCESS")
      return done("porkbun: POST " + path + ": status " + (j.is_object() ? j.value("status", "?") : "?") +
                      ": " + describe(j),
                  {});
    done(std::nullopt, std::move(j));
  });
}

void PorkbunProvider::present(const TxtRecord& record, Done done) {
  const std::string rel = relativeName(record.fqdn, record.zone);
  // Porkbun's smallest TTL is 600 s; it takes the TTL as a string.
  const long long ttl = record.ttl.count() >= 600 ? record.ttl.count() : 600;
  const Json body = {{"name", rel == "@" ? "" : rel},
                     {"type", "TXT"},
                     {"content", record.value},
                     {"ttl", std::to_string(ttl)}};
  call("/dns/create/" + urlEncode(withoutDot(record.zone)), body,
       [this, record, done = std::move(done)](std::optional<std::string> err, Json j) {
         if (err)
           return done(err);
         if (!idOf(j).empty())
           recordIds_[record.fqdn + " " + record.value] = idOf(j);
         done(std::nullopt);
       });
}

void PorkbunProvider::cleanUp(const TxtRecord& record, Done done) {
  const std::string zone = withoutDot(record.zone);
  if (auto it = recordIds_.find(record.fqdn + " " + record.value); it != recordIds_.end()) {
    const std::string id = it->second;
    recordIds_.erase(it);
    return deleteRecord(zone, id, std::move(done));
  }
  const std::string rel = relativeName(record.fqdn, record.zone);
  call("/dns/retrieveByNameType/" + urlEncode(zone) + "/TXT" + (rel == "@" ? "" : "/" + urlEncode(rel)),
       Json::object(), [this, zone, record, done = std::move(done)](std::optional<std::string> err, Json j) {
         if (err)
           return done(err);
         for (const auto& r : j.value("records", Json::array())) {
           if (r.value("content", "") == record.value && !idOf(r).empty())
             return deleteRecord(zone, idOf(r), done);
         }
         done(std::nullopt);  // already gone
       });
}

void PorkbunProvider::deleteRecord(const std::string& zone, const std::string& id, Done done) {
  call("/dns/delete/" + urlEncode(zone) + "/" + urlEncode(id), Json::object(),
       [done = std::move(done)](std::optional<std::string> err, const Json&) { done(err); });
}

}  // namespace gatehouse::acme::dns
