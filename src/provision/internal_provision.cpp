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
    std::shared_ptr<tls::CertificateStore> store, std::vector<std::string>& warnings) {
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
    try {
      certs->manage(choice.name, issuer, choice.renewalWindowRatio);
    } catch (const std::exception& e) {
      throw ProvisionError(choice.path, "certificate for " + choice.name + ": " + e.what());
    }
  }
  certs->startRenewal();
  return certs;
}

}  // namespace gatehouse::provision
