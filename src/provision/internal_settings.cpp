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

// root|intermediate {"certificate", "private_key", "format"}: PEM files, the one format
// Caddy 2.6.2's KeyPair.Load reads.
acme::internal::KeyPairFiles keyPairFiles(const Json& kp, const std::string& path) {
  if (!kp.is_object()) {
    throw ProvisionError(path, "expected an object");
  }
  acme::internal::KeyPairFiles files;
  for (const auto& [key, value] : kp.items()) {
    if (key == "certificate") {
      files.certificate = stringField(kp, "certificate", path);
    } else if (key == "private_key") {
      files.privateKey = stringField(kp, "private_key", path);
    } else if (key == "format") {
      if (!value.is_string() ||
          (value.get<std::string>() != "pem_file" && !value.get<std::string>().empty())) {
        throw ProvisionError(path + ".format",
                             "unsupported format: " + value.dump() + " (Caddy 2.6.2 reads pem_file)");
      }
    } else {
      throw ProvisionError(path + "." + key, "not supported yet");
    }
  }
  if (files.certificate.empty() || files.privateKey.empty()) {
    throw ProvisionError(path, "needs both certificate and private_key");
  }
  return files;
}

// A CA's own `storage` (file_system only, as the global one).
std::string caStorageRoot(const Json& storage, const std::string& path) {
  if (!storage.is_object() || storage.value("module", "") != "file_system") {
    throw ProvisionError(path + ".module", "storage modules other than file_system are not supported yet");
  }
  for (const auto& [key, _] : storage.items()) {
    if (key != "module" && key != "root") {
      throw ProvisionError(path + "." + key, "not supported yet");
    }
  }
  return storage.contains("root") ? stringField(storage, "root", path) : acme::FileStorage::defaultRoot();
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

namespace {

// The root and intermediate files a CA names are read at start-up, as Caddy's pki app does.
void checkSuppliedPairs(const PkiCaOptions& opts, const std::string& path) {
  for (const auto& [which, pair] :
       {std::pair{"root", &opts.root}, std::pair{"intermediate", &opts.intermediate}}) {
    if (!pair->has_value()) {
      continue;
    }
    try {
      acme::internal::checkPairFiles(**pair, which);
    } catch (const std::runtime_error& e) {
      throw ProvisionError(path + "." + which, std::string("provisioning CA '") + opts.id + "': " + e.what());
    }
  }
}

}  // namespace

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
      std::vector<std::string> ignored;
      const PkiCaOptions opts = localCaOptions(config, id, ignored);
      checkSuppliedPairs(opts, "apps.pki.certificate_authorities." + id);
    }
  }
}

PkiCaOptions localCaOptions(const config::Config& config, const std::string& id,
                            std::vector<std::string>& warnings) {
  PkiCaOptions opts;
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
      } else if (key == "root" || key == "intermediate") {
        (key == "root" ? opts.root : opts.intermediate) = keyPairFiles(value, p);
      } else if (key == "storage") {
        opts.storageRoot = caStorageRoot(value, p);
      } else if (key == "maintenance_interval" || key == "renewal_window_ratio") {
        throw ProvisionError(p,
                             "not supported yet (a Caddy 2.11 option; Caddy 2.6.2 renews the intermediate "
                             "in the last fifth of its life)");
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
  if (opts.storageRoot.empty()) {
    opts.storageRoot = storageRoot(config);
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
    } else if (key == "lifetime") {
      const auto ms = parseDuration(value, p);
      if (ms.count() > 0) {
        s.lifetime = std::chrono::duration_cast<std::chrono::seconds>(ms);
      }
      if (s.lifetime.count() < 1) {
        throw ProvisionError(p, "lifetime must be at least one second");
      }
    } else if (key == "sign_with_root") {
      if (!value.is_boolean()) {
        throw ProvisionError(p, "expected a boolean");
      }
      s.signWithRoot = value.get<bool>();
    } else {
      throw ProvisionError(p, "not supported yet");
    }
  }
  return s;
}

}  // namespace gatehouse::provision

namespace gatehouse::provision {

std::shared_ptr<const acme::internal::LocalCa> loadPkiCa(const config::Config& config, const std::string& id,
                                                         std::vector<std::string>& warnings,
                                                         const std::string& user) {
  const PkiCaOptions opts = localCaOptions(config, id, warnings);
  if (pkiCa(config, id) == nullptr && id != "local") {
    // Caddy's pki app makes only the default CA on demand; others must be configured.
    throw ProvisionError(user, "no certificate authority configured with id: " + id);
  }
  acme::FileStorage storage(opts.storageRoot);
  try {
    return std::make_shared<const acme::internal::LocalCa>(
        acme::internal::LocalCa::loadOrCreate(storage, opts, std::chrono::system_clock::now()));
  } catch (const std::runtime_error& e) {
    throw ProvisionError("apps.pki.certificate_authorities." + id, e.what());
  }
}

}  // namespace gatehouse::provision
