// `gatehouse trust` / `gatehouse untrust`: install or remove a pki CA's root certificate in the
// system trust store (trust_store.h). As `caddy trust`, --address takes the root from a running
// server's admin API (GET /pki/ca/ID); without it Gatehouse reads the root from storage (that of
// --config, else the default), creating the CA when there is none, so that the root can be
// trusted before the server first runs (caddy 2.6.2 always asks a running server).
// `untrust --cert FILE` removes that certificate, as caddy's.

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/admin_client.h"
#include "cli/command.h"
#include "cli/config_loader.h"
#include "cli/trust_store.h"
#include "internal/local_ca.h"
#include "internal/x509_builder.h"
#include "provision/internal_settings.h"
#include "provision/provision_error.h"
#include "storage/file_storage.h"
#include "storage/storage_keys.h"

namespace gatehouse::cli {

namespace {

struct Target {
  std::string storageRoot;
  acme::internal::LocalCaOptions options;
  bool mustExist = false;  // a CA named without a config: only one already in storage
};

bool resolveTarget(const Flags& flags, Target& out) {
  const std::string caId = flags.get("ca", "local");
  try {
    if (flags.has("config")) {
      LoadedConfig loaded;
      if (!loadConfig(flags.get("config"), flags.get("adapter"), loaded)) {
        return false;
      }
      std::vector<std::string> ignored;
      provision::PkiCaOptions opts = provision::localCaOptions(loaded.config, caId, ignored);
      out.storageRoot = opts.storageRoot;
      out.options = opts;
    } else {
      out.storageRoot = acme::FileStorage::defaultRoot();
      out.options.id = caId;
      out.mustExist = caId != "local";
    }
  } catch (const provision::ProvisionError& e) {
    std::cerr << "Error: " << e.what() << "\n";
    return false;
  }
  if (flags.has("storage")) {
    out.storageRoot = flags.get("storage");
  }
  return true;
}

// The CA's root PEM from storage, created with the CA when missing; "" after printing why.
std::string rootFromStorage(const Target& target, std::string& from) {
  acme::FileStorage storage(target.storageRoot);
  if (target.mustExist && !target.options.root &&
      !storage.load(acme::internal::ca_keys::rootCert(target.options.id))) {
    std::cerr << "Error: no certificate authority '" << target.options.id << "' in " << storage.root()
              << " (name its config with --config)\n";
    return {};
  }
  const auto ca =
      acme::internal::LocalCa::loadOrCreate(storage, target.options, std::chrono::system_clock::now());
  from = target.options.root ? target.options.root->certificate
                             : storage.root() + "/" + acme::internal::ca_keys::rootCert(target.options.id);
  return acme::internal::certificateToPem(ca.root());
}

// The CA's root PEM as a running server's admin API gives it; "" after caddy's error text.
std::string rootFromAdmin(const std::string& address, const std::string& caId) {
  std::string answer;
  std::string error;
  if (!requestAdmin("GET", address, "/pki/ca/" + caId, "", {}, answer, error)) {
    std::cerr << "Error: requesting CA info: " << error << "\n";
    return {};
  }
  const auto info = nlohmann::json::parse(answer, nullptr, false);
  if (!info.is_object() || !info.contains("root_certificate") || !info["root_certificate"].is_string()) {
    std::cerr << "Error: requesting CA info: no root_certificate in the answer: " << answer << "\n";
    return {};
  }
  return info["root_certificate"].get<std::string>();
}

// Go's os.Stat error text ("stat FILE: no such file or directory").
std::string statError(const std::string& file) {
  std::string reason = std::strerror(errno);
  if (!reason.empty()) {
    reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
  }
  return "stat " + file + ": " + reason;
}

// `untrust --cert FILE`: the certificate in FILE, wherever Gatehouse installed it.
int untrustCertFile(const TrustStore& store, const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    std::cerr << "Error: accessing certificate file: " << statError(file) << "\n";
    return 1;
  }
  acme::X509Ptr cert;
  try {
    cert = acme::internal::certificateFromPem(readFileOrStdin(file));
  } catch (const std::exception& e) {
    std::cerr << "Error: failed to uninstall certificate file: error parsing " << file << ": " << e.what()
              << "\n";
    return 1;
  }
  const int removed = removeRoot(store, cert.get());
  if (removed == 0) {
    std::cout << file << " was not installed in " << store.dir << "\n";
  }
  return removed < 0 ? 1 : 0;
}

}  // namespace

int runTrust(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {"config", "adapter", "address", "storage", "ca"}, {}, flags, "trust")) {
    return 1;
  }
  const TrustStore store = trustStore();
  const std::string caId = flags.get("ca", "local");
  std::string pem;
  std::string from;
  try {
    if (flags.has("address")) {  // caddy's way: what the running server has
      from = "http://" + flags.get("address") + "/pki/ca/" + caId;
      pem = rootFromAdmin(flags.get("address"), caId);
    } else if (Target target; resolveTarget(flags, target)) {
      if (!mayChange(store, "trust")) {
        return 1;
      }
      pem = rootFromStorage(target, from);
    }
  } catch (const std::exception& e) {
    std::cerr << "Error: " << e.what() << "\n";
    return 1;
  }
  if (pem.empty() || !mayChange(store, "trust")) {
    return 1;
  }
  const std::string file = trustFileFor(store, caId);
  if (!installRoot(store, file, pem)) {
    return 1;
  }
  std::cout << "installed " << from << " as " << file << "\n";
  return 0;
}

int runUntrust(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {"ca", "cert", "config", "adapter", "address"}, {}, flags, "untrust")) {
    return 1;
  }
  if (flags.has("cert") && flags.values.size() > 1) {
    std::cerr << "Error: conflicting command line arguments, cannot use --cert with other flags\n";
    return 1;
  }
  const TrustStore store = trustStore();
  if (!mayChange(store, "untrust")) {
    return 1;
  }
  if (flags.has("cert")) {
    return untrustCertFile(store, flags.get("cert"));
  }
  const std::string caId = flags.get("ca", "local");
  if (flags.has("address")) {  // the root the running server has, wherever installed
    const std::string pem = rootFromAdmin(flags.get("address"), caId);
    if (pem.empty()) {
      return 1;
    }
    const int removed = removeRoot(store, acme::internal::certificateFromPem(pem).get());
    if (removed == 0) {
      std::cout << "the root of CA '" << caId << "' was not installed in " << store.dir << "\n";
    }
    return removed < 0 ? 1 : 0;
  }
  if (flags.has("config")) {  // refused as caddy refuses a config it cannot read
    LoadedConfig loaded;
    if (!loadConfig(flags.get("config"), flags.get("adapter"), loaded)) {
      return 1;
    }
  }
  const std::string file = trustFileFor(store, caId);
  const int removed = removeFile(store, file);
  if (removed == 0) {
    std::cout << file << " was not installed\n";
  }
  return removed < 0 ? 1 : 0;
}

}  // namespace gatehouse::cli
