#include "cli/admin_client.h"

#include <curl/curl.h>

#include <iostream>
#include <memory>

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

}  // namespace

std::string adminAddress(const Flags& flags, const config::Config* cfg, std::string& error) {
  if (flags.has("address")) {
    return flags.get("address");
  }
  if (cfg != nullptr && cfg->admin.is_object()) {
    if (cfg->admin.value("disabled", false)) {
      error = "the config disables the admin endpoint (admin off); nothing to talk to";
      return {};
    }
    if (cfg->admin.contains("listen") && cfg->admin["listen"].is_string()) {
      return cfg->admin["listen"].get<std::string>();
    }
  }
  return "localhost:2019";
}

int postToAdmin(const std::string& address, const std::string& path, const std::string& body,
                const std::vector<std::string>& headers) {
  // "unix//run/a.sock": HTTP over that socket with an empty Host header, which is what
  // caddy's CLI sends and the only Host its admin endpoint takes there by default.
  const bool unix = address.starts_with("unix/");
  const std::string url = unix ? "http://localhost" + path : "http://" + address + path;
  std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
  curl_slist* list = nullptr;
  if (unix) {
    list = curl_slist_append(list, "Host;");  // "Name;" sends the header with no value
    curl_easy_setopt(curl.get(), CURLOPT_UNIX_SOCKET_PATH, address.substr(5).c_str());
  }
  for (const auto& h : headers) {
    list = curl_slist_append(list, h.c_str());
  }
  std::unique_ptr<curl_slist, SlistFree> headerList(list);
  std::string response;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headerList.get());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(curl.get(), CURLOPT_NOPROXY, "*");  // the admin endpoint is always local
  const CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    std::cerr << "Error: " << (unix ? address + path : url) << ": " << curl_easy_strerror(rc)
              << " (is gatehouse running with its admin endpoint there?)\n";
    return 1;
  }
  long status = 0;
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
