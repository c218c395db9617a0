// `gatehouse trust` / `gatehouse untrust`: install or remove the local CA's root in the
// system trust store (Debian: /usr/local/share/ca-certificates + update-ca-certificates).
// The root comes from storage, as `caddy trust` gets it from the running server's CA.

#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/command.h"
#include "cli/config_loader.h"
#include "internal/local_ca.h"
#include "internal/x509_builder.h"
#include "provision/internal_settings.h"
#include "provision/provision_error.h"
#include "storage/atomic_file.h"
#include "storage/file_storage.h"
#include "storage/storage_keys.h"
#include "util/process_runner.h"

namespace gatehouse::cli {

namespace {

constexpr const char* kTrustDir = "/usr/local/share/ca-certificates";
constexpr std::chrono::seconds kUpdateLimit{120};

std::string trustFile(const std::string& caId) {
  std::string path = kTrustDir;
  path.append("/gatehouse-local-").append(acme::storage_keys::safe(caId)).append(".crt");
  return path;
}

// Runs update-ca-certificates to completion; false (after printing why) on failure.
bool updateCaCertificates() {
  uv_loop_t loop;
  if (uv_loop_init(&loop) != 0) {
    std::cerr << "trust: cannot create an event loop\n";
    return false;
  }
  std::optional<std::string> error;
  bool finished = false;
  acme::runProcess(&loop, {"update-ca-certificates"}, {}, kUpdateLimit, [&](std::optional<std::string> e) {
    error = std::move(e);
    finished = true;
  });
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  if (!finished || error) {
    std::cerr << "trust: update-ca-certificates failed: " << (error ? *error : "did not finish") << "\n";
    return false;
  }
  return true;
}

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
    std::cerr << "trust: " << e.what() << "\n";
    return false;
  }
  if (flags.has("storage")) {
    out.storageRoot = flags.get("storage");
  }
  return true;
}

bool requireRoot(const char* what) {
  if (geteuid() == 0) {
    return true;
  }
  std::cerr << what << ": changing the system trust store (" << kTrustDir
            << ") needs root; run it with sudo\n";
  return false;
}

}  // namespace

int runTrust(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {"config", "adapter", "storage", "ca"}, {}, flags, "trust")) {
    return 2;
  }
  Target target;
  if (!resolveTarget(flags, target) || !requireRoot("trust")) {
    return 1;
  }
  try {
    acme::FileStorage storage(target.storageRoot);
    if (target.mustExist && !target.options.root &&
        !storage.load(acme::internal::ca_keys::rootCert(target.options.id))) {
      std::cerr << "trust: no certificate authority '" << target.options.id << "' in " << storage.root()
                << " (name its config with --config)\n";
      return 1;
    }
    const auto ca =
        acme::internal::LocalCa::loadOrCreate(storage, target.options, std::chrono::system_clock::now());
    const std::string file = trustFile(target.options.id);
    acme::writeFileAtomic(file, acme::internal::certificateToPem(ca.root()), 0644);
    const std::string from =
        target.options.root ? target.options.root->certificate
                            : storage.root() + "/" + acme::internal::ca_keys::rootCert(target.options.id);
    std::cout << "installed " << from << " as " << file << "\n";
  } catch (const std::exception& e) {
    std::cerr << "trust: " << e.what() << "\n";
    return 1;
  }
  return updateCaCertificates() ? 0 : 1;
}

int runUntrust(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {"ca"}, {}, flags, "untrust")) {
    return 2;
  }
  const std::string caId = flags.get("ca", "local");
  if (!requireRoot("untrust")) {
    return 1;
  }
  const std::string file = trustFile(caId);
  std::error_code ec;
  if (!std::filesystem::remove(file, ec)) {
    if (ec) {
      std::cerr << "untrust: removing " << file << ": " << ec.message() << "\n";
      return 1;
    }
    std::cout << file << " was not installed\n";
    return 0;
  }
  std::cout << "removed " << file << "\n";
  return updateCaCertificates() ? 0 : 1;
}

}  // namespace gatehouse::cli
