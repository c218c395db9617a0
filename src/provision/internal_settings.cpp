#include "provision/internal_settings.h"

#include "provision/provision_error.h"
#include "provision/runtime.h"
#include "storage/file_storage.h"

namespace gatehouse::provision {

using config::Json;

namespace {

const Json* pkiCa(const config::Config& config, const std::string& id) {
  auto it = config.otherApps.find("pki");
  if (it == config.otherApps.end() || !it->second.is_object()) {
    return nullptr;
  }
  if (!it->second.contains("certificate_authorities")) {
    return nullptr;
  }
  const Json& cas = it->second["certificate_authorities"];
  if (!cas.is_object() || !cas.contains(id)) {
    return nullptr;
  }
  return &cas[id];
}

std::string stringField(const Json& obj, const char* key, const std::string& path) {
  const Json& v = obj[key];
  if (!v.is_string() || v.get<std::string>().empty()) {
    throw ProvisionError(path + "." + key, "expected a non-empty string");
  }
  return v.get<std::string>();
}

}  // namespace

std::string storageRoot(const config::Config& config) {
  if (config.storage.is_null()) {
    return acme::FileStorage::defaultRoot();
  }
  if (!config.storage.is_object() || config.storage.value("module", "") != "file_system") {
    throw ProvisionError("storage.module", "storage modules other than file_system are not supported yet");
  }
  for (const auto& [key, _] : config.storage.items()) {
    if (key != "module" && key != "root") {
      throw ProvisionError("storage." + key, "not supported yet");
    }
  }
  if (!config.storage.contains("root")) {
    return acme::FileStorage::defaultRoot();
  }
  return stringField(config.storage, "root", "storage");
}

void checkPkiApp(const config::Config& config) {
  auto it = config.otherApps.find("pki");
  if (it == config.otherApps.end()) {
    return;
  }
  const Json& pki = it->second;
  if (!pki.is_object()) {
    throw ProvisionError("apps.pki", "expected an object");
  }
  for (const auto& [key, value] : pki.items()) {
    if (key != "certificate_authorities") {
      throw ProvisionError("apps.pki." + key, "not supported yet");
    }
    if (!value.is_object()) {
      throw ProvisionError("apps.pki.certificate_authorities", "expected an object");
    }
    for (const auto& [id, _] : value.items()) {
      if (id != "local") {
        throw ProvisionError("apps.pki.certificate_authorities." + id,
                             "certificate authorities other than 'local' are not supported yet");
      }
      std::vector<std::string> ignored;
      (void)localCaOptions(config, id, ignored);
    }
  }
}

acme::internal::LocalCaOptions localCaOptions(const config::Config& config, const std::string& id,
                                              std::vector<std::string>& warnings) {
  acme::internal::LocalCaOptions opts;
  opts.id = id;
  const Json* ca = pkiCa(config, id);
  bool installTrust = true;
  if (ca != nullptr) {
    const std::string path = "apps.pki.certificate_authorities." + id;
    if (!ca->is_object()) {
      throw ProvisionError(path, "expected an object");
    }
    for (const auto& [key, value] : ca->items()) {
      const std::string p = path + "." + key;
      if (key == "name") {
        opts.name = stringField(*ca, "name", path);
      } else if (key == "root_common_name") {
        opts.rootCommonName = stringField(*ca, "root_common_name", path);
      } else if (key == "intermediate_common_name") {
        opts.intermediateCommonName = stringField(*ca, "intermediate_common_name", path);
      } else if (key == "intermediate_lifetime") {
        const auto ms = parseDuration(value, p);
        if (ms.count() > 0) {
          opts.intermediateLifetime = std::chrono::duration_cast<std::chrono::seconds>(ms);
        }
        if (opts.intermediateLifetime >= acme::internal::kRootLifetime) {
          throw ProvisionError(p,
                               "intermediate certificate lifetime must be less than the root's (3600 days)");
        }
      } else if (key == "install_trust") {
        if (!value.is_boolean()) {
          throw ProvisionError(p, "expected a boolean");
        }
        installTrust = value.get<bool>();
      } else {
        throw ProvisionError(p, "not supported yet");
      }
    }
  }
  if (installTrust) {
    warnings.push_back("pki CA '" + id +
                       "': the root is not installed into trust stores automatically; run `gatehouse trust`");
  }
  return opts;
}

InternalIssuerSettings internalIssuerSettings(const Json& issuer, const std::string& path) {
  InternalIssuerSettings s;
  for (const auto& [key, value] : issuer.items()) {
    const std::string p = path + "." + key;
    if (key == "module") {
      continue;
    } else if (key == "ca") {
      s.ca = stringField(issuer, "ca", path);
      if (s.ca != "local") {
        throw ProvisionError(p, "certificate authorities other than 'local' are not supported yet");
      }
    } else if (key == "lifetime") {
      const auto ms = parseDuration(value, p);
      if (ms.count() > 0) {
        s.lifetime = std::chrono::duration_cast<std::chrono::seconds>(ms);
      }
      if (s.lifetime.count() < 1) {
        throw ProvisionError(p, "lifetime must be at least one second");
      }
    } else if (key == "sign_with_root") {
      if (!value.is_boolean() || value.get<bool>()) {
        throw ProvisionError(p, "sign_with_root is not supported yet");
      }
    } else {
      throw ProvisionError(p, "not supported yet");
    }
  }
  return s;
}

}  // namespace gatehouse::provision
