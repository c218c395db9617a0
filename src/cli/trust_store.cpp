#include "cli/trust_store.h"

#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <vector>

#include "internal/x509_builder.h"
#include "storage/atomic_file.h"
#include "storage/storage_keys.h"
#include "util/process_runner.h"

namespace gatehouse::cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* kSystemDir = "/usr/local/share/ca-certificates";
constexpr std::chrono::seconds kUpdateLimit{120};

// update-ca-certificates, pointed at the isolated store's own directories when there is one
// (an empty certificate list and no hooks, so only the installed roots make its bundle;
// --fresh so that a removed root's link goes too).
std::vector<std::string> updateCommand(const TrustStore& store) {
  std::vector<std::string> argv = {"update-ca-certificates"};
  if (store.isolated.empty()) {
    return argv;
  }
  const std::string root = store.isolated;
  for (const char* sub : {"/local", "/etc", "/certs", "/hooks"}) {
    fs::create_directories(root + sub);
  }
  // update-ca-certificates rewrites its bundle only when some certificate is left; on the
  // system store the distribution's always are, here the last root removed must empty it
  std::error_code ignored;
  fs::remove(root + "/etc/ca-certificates.crt", ignored);
  if (!fs::exists(root + "/ca-certificates.conf")) {
    std::ofstream(root + "/ca-certificates.conf").flush();
  }
  argv.insert(argv.end(), {"--fresh", "--localcertsdir", root + "/local", "--etccertsdir", root + "/etc",
                           "--certsdir", root + "/certs", "--certsconf", root + "/ca-certificates.conf",
                           "--hooksdir", root + "/hooks"});
  return argv;
}

bool update(const TrustStore& store) {
  uv_loop_t loop;
  if (uv_loop_init(&loop) != 0) {
    std::cerr << "Error: cannot create an event loop\n";
    return false;
  }
  std::optional<std::string> error;
  bool finished = false;
  acme::runProcess(&loop, updateCommand(store), {}, kUpdateLimit, [&](std::optional<std::string> e) {
    error = std::move(e);
    finished = true;
  });
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  if (!finished || error) {
    std::cerr << "Error: update-ca-certificates failed: " << (error ? *error : "did not finish") << "\n";
    return false;
  }
  return true;
}

std::string readAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TrustStore trustStore() {
  const char* isolated = std::getenv("GATEHOUSE_TRUST_STORE");
  if (isolated == nullptr || *isolated == '\0') {
    return TrustStore{kSystemDir, ""};
  }
  return TrustStore{std::string(isolated) + "/local", isolated};
}

bool mayChange(const TrustStore& store, const char* what) {
  if (!store.isolated.empty() || geteuid() == 0) {
    return true;
  }
  std::cerr << what << ": changing the system trust store (" << store.dir
            << ") needs root; run it with sudo\n";
  return false;
}

std::string trustFileFor(const TrustStore& store, const std::string& caId) {
  return store.dir + "/gatehouse-local-" + acme::storage_keys::safe(caId) + ".crt";
}

bool installRoot(const TrustStore& store, const std::string& file, const std::string& pem) {
  try {
    fs::create_directories(store.dir);
    acme::writeFileAtomic(file, pem, 0644);
  } catch (const std::exception& e) {
    std::cerr << "Error: " << e.what() << "\n";
    return false;
  }
  return update(store);
}

int removeRoot(const TrustStore& store, const X509* cert) {
  std::error_code ec;
  int removed = 0;
  for (fs::directory_iterator it(store.dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with("gatehouse-") || !name.ends_with(".crt")) {
      continue;  // only what Gatehouse installed
    }
    try {
      const auto installed = acme::internal::certificateFromPem(readAll(it->path()));
      if (X509_cmp(installed.get(), cert) != 0) {
        continue;
      }
    } catch (const std::exception&) {
      continue;
    }
    if (!fs::remove(it->path(), ec)) {
      break;
    }
    std::cout << "removed " << it->path().string() << "\n";
    ++removed;
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    std::cerr << "Error: " << store.dir << ": " << ec.message() << "\n";
    return -1;
  }
  return removed == 0 || update(store) ? removed : -1;
}

int removeFile(const TrustStore& store, const std::string& file) {
  std::error_code ec;
  if (!fs::remove(file, ec)) {
    if (ec) {
      std::cerr << "Error: removing " << file << ": " << ec.message() << "\n";
      return -1;
    }
    return 0;
  }
  std::cout << "removed " << file << "\n";
  return update(store) ? 1 : -1;
}

}  // namespace gatehouse::cli
