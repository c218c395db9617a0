#include "cli/admin_client.h"

#include <curl/curl.h>

#include <cctype>
#include <cstring>
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

namespace {

// Go's wording for a refused or failed connection ("dial tcp 127.0.0.1:1: connect: connection
// refused"), which caddy's CLI prints; curl's own text when there is no system error to name.
std::string transportError(CURL* curl, CURLcode rc, const std::string& address, bool unix) {
  long osErrno = 0;
  curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &osErrno);
  if (rc != CURLE_COULDNT_CONNECT || osErrno == 0) {
    return curl_easy_strerror(rc);
  }
  std::string reason = std::strerror(static_cast<int>(osErrno));
  if (!reason.empty()) {
    reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
  }
  if (unix) {
    return "dial unix " + address.substr(5) + ": connect: " + reason;
  }
  char* ip = nullptr;
  long port = 0;
  curl_easy_getinfo(curl, CURLINFO_PRIMARY_IP, &ip);
  curl_easy_getinfo(curl, CURLINFO_PRIMARY_PORT, &port);
  if (ip != nullptr && *ip != '\0' && port != 0) {
    const std::string host =
        std::string(ip).find(':') == std::string::npos ? ip : "[" + std::string(ip) + "]";
    return "dial tcp " + host + ":" + std::to_string(port) + ": connect: " + reason;
  }
  // curl keeps no address for a refused connection: the one dialled, localhost being
  // 127.0.0.1 first as Go resolves it
  std::string dialled = address;
  if (dialled.starts_with("localhost:")) {
    dialled = "127.0.0.1" + dialled.substr(9);
  }
  return "dial tcp " + dialled + ": connect: " + reason;
}

}  // namespace

bool requestAdmin(const std::string& method, const std::string& address, const std::string& path,
                  const std::string& body, const std::vector<std::string>& headers, std::string& answer,
                  std::string& error) {
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
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  if (method == "POST") {
    curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headerList.get());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(curl.get(), CURLOPT_NOPROXY, "*");  // the admin endpoint is always local
  const CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    const std::string verb = method == "POST" ? "Post" : "Get";
    error = "performing request: " + verb + " \"" + url +
            "\": " + transportError(curl.get(), rc, address, unix) +
            " (is gatehouse running with its admin endpoint there?)";
    return false;
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status >= 400) {  // as caddy's CLI: an error is a 4xx or 5xx answer
    while (!answer.empty() && answer.back() == '\n') {
      answer.pop_back();
    }
    error = "gatehouse responded with error: HTTP " + std::to_string(status) + ": " + answer;
    return false;
  }
  return true;
}

int postToAdmin(const std::string& address, const std::string& path, const std::string& body,
                const std::vector<std::string>& headers) {
  std::string answer;
  std::string error;
  if (!requestAdmin("POST", address, path, body, headers, answer, error)) {
    std::cerr << "Error: " << error << "\n";
    return 1;
  }
  return 0;
}

}  // namespace gatehouse::cli
