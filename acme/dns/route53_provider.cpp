#include "dns/route53_provider.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>

#include "dns/aws_credentials.h"
#include "util/uv_delay.h"

namespace gatehouse::acme::dns {

namespace {

constexpr const char* kApi = "/2013-04-01";

// The API version's path joined with `parts`, appended into one string (GCC 12 at -O2 warns,
// wrongly, on the chain of temporaries `std::string(kApi) + a + b` builds).
std::string apiPath(std::initializer_list<std::string_view> parts) {
  std::string out(kApi);
  for (std::string_view p : parts) {
    out.append(p);
  }
  return out;
}

std::string envOr(const std::string& value, const char* name) {
  if (!value.empty())
    return value;
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

std::string amzNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string absolute(const std::string& name) {
  return name.ends_with(".") ? name : name + ".";
}

// What Route 53 may succeed with when asked again (AWS SDK's retryable errors).
bool retryable(const HttpResponse& r) {
  if (!r.ok())
    return r.transient;
  if (r.status >= 500)
    return true;
  const std::string code = route53::errorText(r.body);
  return code.starts_with("Throttling") || code.starts_with("PriorRequestNotComplete");
}

}  // namespace

Route53Provider::Route53Provider(uv_loop_t* loop, Route53Settings settings)
    : loop_(loop), settings_(std::move(settings)) {
  auto& c = settings_.credentials;
  if (c.accessKeyId.empty() && c.secretAccessKey.empty()) {
    c.accessKeyId = envOr("", "AWS_ACCESS_KEY_ID");
    c.secretAccessKey = envOr("", "AWS_SECRET_ACCESS_KEY");
    c.sessionToken = envOr(c.sessionToken, "AWS_SESSION_TOKEN");
  }
  if (c.accessKeyId.empty() && c.secretAccessKey.empty()) {
    auto fromFiles = aws::profileCredentials(settings_.profile);
    if (!fromFiles.problem.empty())
      throw std::invalid_argument("route53: " + fromFiles.problem);
    if (fromFiles.credentials)
      c = *fromFiles.credentials;
  }
  if (c.accessKeyId.empty() || c.secretAccessKey.empty()) {
    throw std::invalid_argument(
        "route53: no credentials: set access_key_id and secret_access_key, AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials" +
        (settings_.profile.empty() ? std::string() : " (profile '" + settings_.profile + "' not found)") +
        "; instance roles are not supported yet");
  }
  settings_.region = envOr(settings_.region, "AWS_REGION");
  const std::string& region = settings_.region;
  if (region.starts_with("cn-")) {
    endpoint_ = "https://route53.amazonaws.com.cn";
    signingRegion_ = "cn-northwest-1";
  } else if (region.starts_with("us-gov-")) {
    endpoint_ = "https://route53.us-gov.amazonaws.com";
    signingRegion_ = "us-gov-west-1";
  } else {
    endpoint_ = "https://route53.amazonaws.com";
    signingRegion_ = "us-east-1";
  }
  if (const char* base = std::getenv("GATEHOUSE_TEST_ROUTE53_API"); base != nullptr && *base != '\0')
    endpoint_ = base;
  if (endpoint_.ends_with("/"))
    endpoint_.pop_back();
}

void Route53Provider::call(const std::string& method, const std::string& path,
                           const std::vector<std::pair<std::string, std::string>>& query,
                           const std::string& body, int attempt, BodyDone done) {
  if (!http_) {
    if (loop_ == nullptr)
      return done("route53: no event loop", "");
    http_ = std::make_unique<HttpClient>(loop_, HttpClientOptions{"", "Gatehouse", 4 << 20});
  }
  aws::Request toSign{method, path, query, {}, body};
  const size_t schemeEnd = endpoint_.find("://");
  toSign.headers["host"] = endpoint_.substr(schemeEnd == std::string::npos ? 0 : schemeEnd + 3);
  if (!body.empty())
    toSign.headers["content-type"] = "text/xml";
  aws::sign(toSign, settings_.credentials, signingRegion_, "route53", amzNow());
  HttpRequest req;
  req.method = method;
  req.url = endpoint_ + path;
  if (!query.empty())
    req.url += "?" + aws::canonicalQuery(query);
  for (const auto& [name, value] : toSign.headers)
    req.headers.emplace_back(name, value);
  req.body = body;
  const int attempts = 1 + (settings_.maxRetries > 0 ? settings_.maxRetries : 2);
  http_->send(std::move(req), [this, method, path, query, body, attempt, attempts,
                               done = std::move(done)](HttpResponse r) mutable {
    if (retryable(r) && attempt + 1 < attempts && !shutDown_) {
      // Backoff as the AWS SDK's retryer: throttling needs time, not an immediate repeat.
      const auto delay = route53::retryDelay(attempt);
      runAfter(loop_, delay,
               [this, alive = std::weak_ptr<int>(alive_), method, path, query, body, attempt,
                done = std::move(done)]() mutable {
                 if (!alive.expired() && !shutDown_)
                   call(method, path, query, body, attempt + 1, std::move(done));
               });
      return;
    }
    if (!r.ok())
      return done("route53: " + method + " " + path + ": " + r.error, "");
    if (r.status / 100 != 2)
      return done("route53: " + method + " " + path + ": HTTP " + std::to_string(r.status) + " " +
                      route53::errorText(r.body),
                  "");
    done(std::nullopt, std::move(r.body));
  });
}

void Route53Provider::zoneId(const std::string& zone,
                             std::function<void(std::optional<std::string>, std::string)> done) {
  if (!settings_.hostedZoneId.empty())
    return done(std::nullopt, settings_.hostedZoneId);
  call("GET", apiPath({"/hostedzonesbyname"}), {{"dnsname", zone}, {"maxitems", "1"}}, "", 0,
       [zone, done = std::move(done)](std::optional<std::string> err, const std::string& body) {
         if (err)
           return done(err, "");
         auto id = route53::hostedZoneId(body, zone);
         if (!id)
           return done("route53: no hosted zone named " + zone + " is visible to these credentials", "");
         done(std::nullopt, *id);
       });
}

void Route53Provider::currentSet(const TxtRecord& record, SetDone done) {
  zoneId(record.zone,
         [this, record, done = std::move(done)](std::optional<std::string> err, std::string zid) {
           if (err)
             return done(err, "", std::nullopt);
           call("GET", apiPath({"/hostedzone/", zid, "/rrset"}),
                {{"name", absolute(record.fqdn)}, {"type", "TXT"}, {"maxitems", "1"}}, "", 0,
                [record, zid, done](std::optional<std::string> e, const std::string& body) {
                  if (e)
                    return done(e, zid, std::nullopt);
                  done(std::nullopt, zid, route53::txtRecordSet(body, record.fqdn));
                });
         });
}

void Route53Provider::change(const std::string& zid, const std::string& action, const route53::RecordSet& set,
                             bool wait, Done done) {
  call("POST", apiPath({"/hostedzone/", zid, "/rrset/"}), {}, route53::changeBatch(action, set), 0,
       [this, wait, done = std::move(done)](std::optional<std::string> err, const std::string& body) {
         if (err || !wait)
           return done(err);
         const auto ids = route53::xmlTexts(body, "Id");  // ChangeInfo's "/change/C..."
         if (ids.empty())
           return done("route53: ChangeResourceRecordSets answered no change id");
         const std::string id = ids[0].starts_with("/change/") ? ids[0].substr(8) : ids[0];
         waitInSync(id, route53::waitDeadline(std::chrono::steady_clock::now(), settings_.maxWait), done);
       });
}

void Route53Provider::waitInSync(const std::string& changeId, std::chrono::steady_clock::time_point deadline,
                                 Done done) {
  call("GET", apiPath({"/change/", changeId}), {}, "", 0,
       [this, changeId, deadline, done = std::move(done)](std::optional<std::string> err,
                                                          const std::string& body) mutable {
         if (err)
           return done(err);
         const auto status = route53::xmlTexts(body, "Status");
         if (!status.empty() && status[0] == "INSYNC")
           return done(std::nullopt);
         if (std::chrono::steady_clock::now() + std::chrono::seconds(2) > deadline || shutDown_)
           return done("route53: change " + changeId + " not INSYNC within max_wait_dur (" +
                       std::to_string(settings_.maxWait.count()) + " s)");
         runAfter(loop_, std::chrono::seconds(2),
                  [this, alive = std::weak_ptr<int>(alive_), changeId, deadline,
                   done = std::move(done)]() mutable {
                    if (!alive.expired() && !shutDown_)
                      waitInSync(changeId, deadline, std::move(done));
                  });
       });
}

void Route53Provider::presentNow(const TxtRecord& record, Done done) {
  currentSet(record, [this, record, done = std::move(done)](std::optional<std::string> err, std::string zid,
                                                            std::optional<route53::RecordSet> set) {
    if (err)
      return done(err);
    const std::string quoted = "\"" + record.value + "\"";
    route53::RecordSet next = set.value_or(route53::RecordSet{absolute(record.fqdn), "TXT", 0, {}});
    next.ttl = record.ttl.count() > 0 ? record.ttl.count() : 120;
    if (std::find(next.values.begin(), next.values.end(), quoted) == next.values.end())
      next.values.push_back(quoted);
    change(zid, "UPSERT", next, settings_.waitForPropagation, done);
  });
}

void Route53Provider::cleanUpNow(const TxtRecord& record, Done done) {
  currentSet(record, [this, record, done = std::move(done)](std::optional<std::string> err, std::string zid,
                                                            std::optional<route53::RecordSet> set) {
    if (err)
      return done(err);
    const std::string quoted = "\"" + record.value + "\"";
    if (!set || std::find(set->values.begin(), set->values.end(), quoted) == set->values.end())
      return done(std::nullopt);  // already gone
    route53::RecordSet rest = *set;
    std::erase(rest.values, quoted);
    // DELETE must name the set exactly as it is; a set keeps its other values with UPSERT.
    if (rest.values.empty())
      return change(zid, "DELETE", *set, false, done);
    change(zid, "UPSERT", rest, false, done);  // removing needs no wait: nothing validates it
  });
}

}  // namespace gatehouse::acme::dns
