#include "provision/cert_managers_provision.h"

#include <algorithm>
#include <cctype>

#include "getcert/http_managers.h"
#include "provision/provision_error.h"

namespace gatehouse::provision {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// One tls.get_certificate.http module: its URL.
std::string httpManagerUrl(const config::Json& m, const std::string& path) {
  for (const auto& [key, _] : m.items()) {
    if (key != "via" && key != "url") {
      throw ProvisionError(path + "." + key, "unknown field '" + key + "' of tls.get_certificate.http");
    }
  }
  if (!m.contains("url") || !m["url"].is_string() || m["url"].get<std::string>().empty()) {
    throw ProvisionError(path + ".url", "URL is required");  // Caddy's words
  }
  return m["url"].get<std::string>();
}

std::vector<std::string> managerUrls(const config::Json& list, const std::string& path) {
  if (!list.is_array()) {
    throw ProvisionError(path, "expected an array of certificate manager modules");
  }
  std::vector<std::string> urls;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string p = path + "[" + std::to_string(i) + "]";
    const config::Json& m = list[i];
    const std::string via =
        m.is_object() && m.contains("via") && m["via"].is_string() ? m["via"].get<std::string>() : "";
    if (via == "http") {
      urls.push_back(httpManagerUrl(m, p));
    } else if (via == "tailscale") {
      throw ProvisionError(
          p,
          "certificate manager 'tailscale' (tls.get_certificate.tailscale) is not supported yet: "
          "it asks the local tailscaled over its LocalAPI socket; use 'http' or load the "
          "certificate with 'tls <cert> <key>'");
    } else if (via.empty()) {
      throw ProvisionError(p + ".via", "a certificate manager needs its module name in 'via'");
    } else {
      throw ProvisionError(p + ".via", "unknown module: tls.get_certificate." + via);
    }
  }
  return urls;
}

}  // namespace

std::shared_ptr<const tls::CertificateManagers> provisionCertificateManagers(const TlsAppRuntime& tls) {
  std::vector<acme::ManagerPolicy> policies;
  bool any = false;
  for (size_t i = 0; i < tls.policies.size(); ++i) {
    const config::AutomationPolicy& p = *tls.policies[i];
    acme::ManagerPolicy mp;
    for (const auto& s : p.subjects) {
      mp.subjects.push_back(lower(s));
    }
    if (!p.getCertificate.is_null()) {
      mp.urls = managerUrls(p.getCertificate,
                            "apps.tls.automation.policies[" + std::to_string(i) + "].get_certificate");
      any = any || !mp.urls.empty();
    }
    policies.push_back(std::move(mp));
  }
  if (!any) {
    return nullptr;
  }
  return std::make_shared<const acme::HttpCertificateManagers>(std::move(policies));
}

}  // namespace gatehouse::provision
