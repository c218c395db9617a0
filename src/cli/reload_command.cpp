// gatehouse reload: adapts a config locally and posts it to the running server's admin
// endpoint (POST /load), as `caddy reload` does. The server validates and provisions it;
// a config it rejects leaves the running one in place and its error is printed here.

#include <curl/curl.h>

#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/config_loader.h"
#include "gatehouse/config/site_graph_writer.h"

namespace gatehouse::cli {

namespace {

struct CurlFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

size_t collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// The admin address: --address, else the config's admin.listen, else Caddy's default.
std::string adminAddress(const Flags& flags, const config::Config& cfg, std::string& error) {
  if (flags.has("address")) {
    return flags.get("address");
  }
  if (cfg.admin.is_object()) {
    if (cfg.admin.value("disabled", false)) {
      error = "the config disables the admin endpoint (admin off); nothing to reload through";
      return {};
    }
    if (cfg.admin.contains("listen") && cfg.admin["listen"].is_string()) {
      return cfg.admin["listen"].get<std::string>();
    }
  }
  return "localhost:2019";
}

}  // namespace

int runReload(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {"config", "adapter", "address"}, {}, flags, "reload")) {
    return 2;
  }
  const std::string path = flags.get("config", "Caddyfile");
  LoadedConfig loaded;
  if (!loadConfig(path, flags.get("adapter"), loaded)) {
    return 1;
  }
  printWarnings(loaded.warnings);
  std::string error;
  const std::string address = adminAddress(flags, loaded.config, error);
  if (address.empty()) {
    std::cerr << "Error: " << error << "\n";
    return 1;
  }
  const std::string body = config::dumpConfig(loaded.config, false);
  const std::string url = "http://" + address + "/load";
  std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
  std::unique_ptr<curl_slist, SlistFree> headers(
      curl_slist_append(nullptr, "Content-Type: application/json"));
  std::string response;
  long status = 0;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(curl.get(), CURLOPT_NOPROXY, "*");  // the admin endpoint is always local
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    std::cerr << "Error: sending configuration to " << url << ": " << curl_easy_strerror(rc)
              << " (is gatehouse running with its admin endpoint there?)\n";
    return 1;
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    std::cerr << "Error: " << url << ": HTTP " << status << ": " << response;
    if (response.empty() || response.back() != '\n') {
      std::cerr << "\n";
    }
    return 1;
  }
  return 0;
}

}  // namespace gatehouse::cli
