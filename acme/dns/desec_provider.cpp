#include "dns/desec_provider.h"

#include <algorithm>
#include <stdexcept>

namespace gatehouse::acme::dns {

using Json = nlohmann::json;

namespace {

// Errors: {"detail": "..."}, or field errors ({"records": ["..."]}, a list for bulk calls).
std::string describe(const Json& j) {
  if (j.is_object() && j.contains("detail") && j["detail"].is_string())
    return j["detail"].get<std::string>();
  return j.is_null() ? "" : j.dump().substr(0, 300);
}

std::string subname(const TxtRecord& record) {
  const std::string rel = relativeName(record.fqdn, record.zone);
  return rel == "@" ? "" : rel;
}

}  // namespace

DesecProvider::DesecProvider(uv_loop_t* loop, std::string token)
    : token_(std::move(token)),
      api_(loop, "desec", "GATEHOUSE_TEST_DESEC_API", "https://desec.io/api/v1", describe) {
  if (token_.empty())
    throw std::invalid_argument("desec: missing token");
}

void DesecProvider::currentRecords(const TxtRecord& record, SetDone done) {
  const std::string sub = subname(record);
  const std::string path = "/domains/" + urlEncode(withoutDot(record.zone)) + "/rrsets/" +
                           (sub.empty() ? "@" : urlEncode(sub)) + "/TXT/";
  api_.call(
      "GET", path, {{"Authorization", "Token " + token_}}, std::nullopt,
      [done = std::move(done)](std::optional<std::string> err, Json j) {
        if (err)
          return done(err, {});
        std::vector<std::string> records;  // none when the set does not exist (404, null)
        if (j.is_object()) {
          for (const auto& r : j.value("records", Json::array())) {
            if (r.is_string())
              records.push_back(r.get<std::string>());
          }
        }
        done(std::nullopt, std::move(records));
      },
      true);
}

void DesecProvider::write(const TxtRecord& record, const std::vector<std::string>& records, Done done) {
  const long long ttl = std::max<long long>(record.ttl.count(), 3600);
  const Json body =
      Json::array({{{"subname", subname(record)}, {"type", "TXT"}, {"ttl", ttl}, {"records", records}}});
  api_.call("PATCH", "/domains/" + urlEncode(withoutDot(record.zone)) + "/rrsets/",
            {{"Authorization", "Token " + token_}}, body,
            [done = std::move(done)](std::optional<std::string> err, const Json&) { done(err); });
}

void DesecProvider::presentNow(const TxtRecord& record, Done done) {
  currentRecords(record, [this, record, done = std::move(done)](std::optional<std::string> err,
                                                                std::vector<std::string> records) {
    if (err)
      return done(err);
    const std::string quoted = "\"" + record.value + "\"";
    if (std::find(records.begin(), records.end(), quoted) == records.end())
      records.push_back(quoted);
    write(record, records, done);
  });
}

void DesecProvider::cleanUpNow(const TxtRecord& record, Done done) {
  currentRecords(record, [this, record, done = std::move(done)](std::optional<std::string> err,
                                                                std::vector<std::string> records) {
    if (err)
      return done(err);
    const std::string quoted = "\"" + record.value + "\"";
    if (std::find(records.begin(), records.end(), quoted) == records.end())
      return done(std::nullopt);  // already gone
    std::erase(records, quoted);
    write(record, records, done);
  });
}

}  // namespace gatehouse::acme::dns
