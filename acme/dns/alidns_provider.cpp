#include "dns/alidns_provider.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <ctime>
#include <stdexcept>

namespace gatehouse::acme::dns {

namespace {

using Json = nlohmann::json;

std::string withoutDot(const std::string& name) {
  return name.ends_with(".") ? name.substr(0, name.size() - 1) : name;
}

std::string utcTimestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// A fresh SignatureNonce per request: Alibaba rejects a repeated one (replay protection).
std::string nonce() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    throw std::runtime_error("RAND_bytes failed");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

}  // namespace

AlidnsProvider::AlidnsProvider(uv_loop_t* loop, AlidnsSettings settings)
    : loop_(loop), settings_(std::move(settings)) {
  if (settings_.accessKeyId.empty() || settings_.accessKeySecret.empty())
    throw std::invalid_argument("alidns: AccessKeyID or AccessKeySecret is empty");
  const char* endpoint = std::getenv("GATEHOUSE_TEST_ALIDNS_ENDPOINT");
  endpoint_ = endpoint != nullptr && *endpoint != '\0' ? endpoint : "https://alidns.aliyuncs.com/";
  if (!endpoint_.ends_with("/"))
    endpoint_ += '/';
}

void AlidnsProvider::call(alidns::Params params, ResultDone done) {
  if (!http_) {
    if (loop_ == nullptr)
      return done("alidns: no event loop", {});
    http_ = std::make_unique<HttpClient>(loop_, HttpClientOptions{"", "Gatehouse", 4 << 20});
  }
  const std::string action = params["Action"];
  params["Format"] = "JSON";
  params["Version"] = "2015-01-09";
  params["AccessKeyId"] = settings_.accessKeyId;
  params["SignatureMethod"] = "HMAC-SHA1";
  params["SignatureVersion"] = "1.0";
  params["SignatureNonce"] = nonce();
  params["Timestamp"] = utcTimestamp();
  if (!settings_.regionId.empty())
    params["RegionId"] = settings_.regionId;
  HttpRequest req;
  req.method = "GET";
  req.url = endpoint_ + "?" + alidns::signedQuery("GET", params, settings_.accessKeySecret);
  http_->send(std::move(req), [action, done = std::move(done)](HttpResponse r) {
    if (!r.ok())
      return done("alidns: " + action + ": " + r.error, {});
    Json j = Json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      return done("alidns: " + action + ": HTTP " + std::to_string(r.status) + ", not JSON", {});
    // Errors: {"RequestId", "HostId", "Code", "Message"} with a 4xx/5xx status.
    if (r.status / 100 != 2 || j.contains("Code")) {
      return done("alidns: " + action + ": HTTP " + std::to_string(r.status) + " " +
                      j.value("Code", std::string()) + ": " + j.value("Message", std::string()) +
                      " (RequestId " + j.value("RequestId", std::string()) + ")",
                  {});
    }
    done(std::nullopt, std::move(j));
  });
}

void AlidnsProvider::present(const TxtRecord& record, Done done) {
  alidns::Params p{{"Action", "AddDomainRecord"},
                   {"DomainName", withoutDot(record.zone)},
                   {"RR", relativeName(record.fqdn, record.zone)},
                   {"Type", "TXT"},
                   {"Value", record.value}};
  // Alibaba's smallest TTL on most plans is 600 s; a smaller dns_ttl is passed as given.
  p["TTL"] = std::to_string(record.ttl.count() > 0 ? record.ttl.count() : 600);
  call(std::move(p), [this, record, done = std::move(done)](std::optional<std::string> err, Json j) {
    if (err)
      return done(err);
    if (j.contains("RecordId") && j["RecordId"].is_string())
      recordIds_[record.fqdn + " " + record.value] = j["RecordId"];
    done(std::nullopt);
  });
}

void AlidnsProvider::cleanUp(const TxtRecord& record, Done done) {
  const std::string key = record.fqdn + " " + record.value;
  if (auto it = recordIds_.find(key); it != recordIds_.end()) {
    const std::string id = it->second;
    recordIds_.erase(it);
    return deleteRecord(id, std::move(done));
  }
  alidns::Params p{{"Action", "DescribeDomainRecords"},
                   {"DomainName", withoutDot(record.zone)},
                   {"RRKeyWord", relativeName(record.fqdn, record.zone)},
                   {"TypeKeyWord", "TXT"},
                   {"ValueKeyWord", record.value}};
  call(std::move(p), [this, record, done = std::move(done)](std::optional<std::string> err, Json j) {
    if (err)
      return done(err);
    // {"DomainRecords": {"Record": [{"RecordId", "RR", "Type", "Value", ...}]}, "TotalCount", ...}
    const Json records =
        j.contains("DomainRecords") ? j["DomainRecords"].value("Record", Json::array()) : Json();
    for (const auto& rec : records) {
      if (rec.value("Value", "") == record.value && rec.value("Type", "") == "TXT" &&
          rec.contains("RecordId"))
        return deleteRecord(rec["RecordId"].get<std::string>(), done);
    }
    done(std::nullopt);  // already gone
  });
}

void AlidnsProvider::deleteRecord(const std::string& recordId, Done done) {
  call({{"Action", "DeleteDomainRecord"}, {"RecordId", recordId}},
       [done = std::move(done)](std::optional<std::string> err, const Json&) { done(err); });
}

}  // namespace gatehouse::acme::dns
