#include "protocol/zerossl_eab.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "dns/alidns_signature.h"

namespace gatehouse::acme {

HttpRequest zeroSslEabRequest(const std::string& apiBase, const std::string& apiKey,
                              const std::string& email) {
  HttpRequest req;
  req.method = "POST";
  req.timeout = std::chrono::seconds(30);
  if (!apiKey.empty()) {
    req.url = apiBase + "/eab-credentials?access_key=" + dns::alidns::percentEncode(apiKey);
    return req;
  }
  req.url = apiBase + "/eab-credentials-email";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = "email=" + dns::alidns::percentEncode(email.empty() ? kZeroSslFallbackEmail : email);
  return req;
}

ExternalAccountBinding parseZeroSslEabResponse(long status, const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) {
    throw std::runtime_error("ZeroSSL EAB credentials: HTTP " + std::to_string(status) +
                             ", not a JSON object");
  }
  if (j.contains("error") && j["error"].is_object()) {
    const auto& e = j["error"];
    const int code = e.contains("code") && e["code"].is_number_integer() ? e["code"].get<int>() : 0;
    if (code != 0) {
      const std::string type =
          e.contains("type") && e["type"].is_string() ? e["type"].get<std::string>() : "";
      throw std::runtime_error("ZeroSSL EAB credentials: HTTP " + std::to_string(status) + ": " + type +
                               " (code " + std::to_string(code) + ")");
    }
  }
  if (status != 200) {
    throw std::runtime_error("ZeroSSL EAB credentials: HTTP " + std::to_string(status));
  }
  auto text = [&](const char* key) {
    if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty()) {
      throw std::runtime_error(std::string("ZeroSSL EAB credentials: the answer has no ") + key);
    }
    return j[key].get<std::string>();
  };
  return ExternalAccountBinding{text("eab_kid"), text("eab_hmac_key")};
}

EabSource zeroSslEabSource(std::shared_ptr<HttpClient> http, std::string apiBase, std::string apiKey,
                           std::string email, const AcmeLog& log) {
  return [http = std::move(http), apiBase = std::move(apiBase), apiKey = std::move(apiKey),
          email = std::move(email),
          &log](std::function<void(std::optional<AcmeError>, ExternalAccountBinding)> done) {
    if (apiKey.empty() && email.empty()) {
      log.warn("tls.issuance.zerossl",
               "missing email address for ZeroSSL; it is strongly recommended to set one for next time", {});
    }
    http->send(zeroSslEabRequest(apiBase, apiKey, email), [done, &log](HttpResponse r) {
      if (!r.ok()) {
        return done(AcmeError{"ZeroSSL EAB credentials request: " + r.error, std::nullopt, {}},
                    ExternalAccountBinding{});
      }
      try {
        ExternalAccountBinding eab = parseZeroSslEabResponse(r.status, r.body);
        log.info("tls.issuance.zerossl", "generated EAB credentials", {{"key_id", eab.keyId}});
        done(std::nullopt, std::move(eab));
      } catch (const std::exception& e) {
        done(AcmeError{e.what(), std::nullopt, {}}, ExternalAccountBinding{});
      }
    });
  };
}

}  // namespace gatehouse::acme
