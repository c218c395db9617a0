#include "dns/duckdns_provider.h"

#include <cstdlib>
#include <stdexcept>

#include "dns/aws_sigv4.h"

namespace gatehouse::acme::dns {

namespace {

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

DuckdnsProvider::DuckdnsProvider(uv_loop_t* loop, DuckdnsSettings settings)
    : loop_(loop), settings_(std::move(settings)) {
  if (settings_.apiToken.empty())
    throw std::invalid_argument("duckdns: missing API token (api_token)");
  const char* base = std::getenv("GATEHOUSE_TEST_DUCKDNS_API");
  baseUrl_ = base != nullptr && *base != '\0' ? base : "https://www.duckdns.org";
  if (baseUrl_.ends_with("/"))
    baseUrl_.pop_back();
}

std::string DuckdnsProvider::duckDomain(const std::string& fqdn, const std::string& overrideDomain) {
  if (!overrideDomain.empty())
    return overrideDomain;
  std::string name = lower(fqdn.ends_with(".") ? fqdn.substr(0, fqdn.size() - 1) : fqdn);
  if (!name.ends_with(".duckdns.org"))
    return "";
  // <sub>.duckdns.org: the third label from the right starts the domain
  const size_t suffix = name.size() - std::string_view(".duckdns.org").size();
  const size_t dot = name.rfind('.', suffix - 1);
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

void DuckdnsProvider::present(const TxtRecord& record, Done done) {
  update(record, false, std::move(done));
}

void DuckdnsProvider::cleanUp(const TxtRecord& record, Done done) {
  update(record, true, std::move(done));
}

void DuckdnsProvider::update(const TxtRecord& record, bool clear, Done done) {
  const std::string domain = duckDomain(record.fqdn, settings_.overrideDomain);
  if (domain.empty())
    return done("duckdns: " + record.fqdn + " is not under duckdns.org; set override_domain");
  if (!http_) {
    if (loop_ == nullptr)
      return done("duckdns: no event loop");
    http_ = std::make_unique<HttpClient>(loop_, HttpClientOptions{"", "Gatehouse", 1 << 20});
  }
  HttpRequest req;
  req.url = baseUrl_ + "/update?domains=" + aws::uriEncode(domain) +
            "&token=" + aws::uriEncode(settings_.apiToken) + "&txt=" + aws::uriEncode(record.value) +
            "&verbose=true" + (clear ? "&clear=true" : "");
  const std::string what = std::string(clear ? "clearing" : "setting") + " the TXT record of " + domain;
  http_->send(std::move(req), [what, done = std::move(done)](HttpResponse r) {
    // the URL holds the token: errors name the domain, never the request
    if (!r.ok())
      return done("duckdns: " + what + ": " + r.error);
    const std::string first = r.body.substr(0, r.body.find('\n'));
    if (r.status != 200 || first != "OK")
      return done("duckdns: " + what + ": HTTP " + std::to_string(r.status) + ", answer " +
                  first.substr(0, 40) + " (wrong token or domain?)");
    done(std::nullopt);
  });
}

}  // namespace gatehouse::acme::dns
