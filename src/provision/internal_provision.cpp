#include "provision/internal_provision.h"

#include <map>
#include <set>

#include "internal/internal_issuer.h"
#include "internal/local_ca.h"
#include "provision/internal_settings.h"
#include "provision/provision_error.h"
#include "storage/file_storage.h"

namespace gatehouse::provision {

std::shared_ptr<InternalCertificates> provisionInternalCertificates(
    const config::Config& config, const std::vector<InternalIssuerChoice>& names,
    std::shared_ptr<tls::CertificateStore> store, std::vector<std::string>& warnings, bool obtain) {
  if (names.empty()) {
    return nullptr;
  }
  auto storage = std::make_shared<acme::FileStorage>(storageRoot(config));
  std::map<std::string, std::shared_ptr<const acme::internal::LocalCa>> cas;  // by CA id
  auto caFor = [&](const std::string& id, const std::string& user) {
    auto& ca = cas[id];
    if (!ca) {
      ca = loadPkiCa(config, id, warnings, user);
    }
    return ca;
  };
  auto certs = std::make_shared<InternalCertificates>(storage, std::move(store));
  std::map<InternalIssuerSettings, std::shared_ptr<acme::CertificateIssuer>> issuers;
  std::set<std::string> seen;
  for (const auto& choice : names) {
    if (!seen.insert(choice.name).second) {
      continue;  // the first automation policy that covers a name decides, as in Caddy
    }
    const InternalIssuerSettings settings = internalIssuerSettings(choice.issuer, choice.path);
    auto& issuer = issuers[settings];
    if (!issuer) {
      issuer = std::make_shared<acme::internal::InternalIssuer>(caFor(settings.ca, choice.path + ".ca"),
                                                                settings.lifetime, settings.signWithRoot);
    }
    if (!obtain) {
      continue;
    }
    try {
      certs->manage(choice.name, issuer, choice.renewalWindowRatio);
    } catch (const std::exception& e) {
      throw ProvisionError(choice.path, "certificate for " + choice.name + ": " + e.what());
    }
  }
  certs->startRenewal();
  return certs;
}

void provisionPkiCas(const config::Config& config,
                     const std::vector<const config::AutomationPolicy*>& policies,
                     std::vector<std::string>& warnings) {
  std::map<std::string, std::string> ids;  // CA id -> JSON path of what needs it
  if (auto it = config.otherApps.find("pki"); it != config.otherApps.end()) {
    const auto cas = it->second.is_object()
                         ? it->second.value("certificate_authorities", config::Json::object())
                         : config::Json::object();
    for (const auto& [id, _] : cas.items()) {
      ids.emplace(id, "apps.pki.certificate_authorities." + id);
    }
    if (ids.empty()) {
      ids.emplace("local", "apps.pki");  // a pki app without CAs still makes the default one
    }
  }
  for (size_t i = 0; i < policies.size(); ++i) {
    const auto& issuers = policies[i]->issuers;
    for (size_t j = 0; j < issuers.size(); ++j) {
      if (!issuers[j].is_object() || issuers[j].value("module", "") != "internal") {
        continue;
      }
      const std::string path =
          "apps.tls.automation.policies[" + std::to_string(i) + "].issuers[" + std::to_string(j) + "]";
      ids.emplace(internalIssuerSettings(issuers[j], path).ca, path + ".ca");
    }
  }
  for (const auto& [id, user] : ids) {
    (void)loadPkiCa(config, id, warnings, user);
  }
}

}  // namespace gatehouse::provision
