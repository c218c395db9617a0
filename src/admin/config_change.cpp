#include "admin/config_change.h"

#include <vector>

#include "admin/admin_server.h"
#include "log/process_log.h"

namespace gatehouse::admin {

namespace {

Json rootOf(const Json& config) {
  Json root = Json::object();
  root["config"] = config;
  return root;
}

std::vector<std::string> fields(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    const size_t b = s.find_first_not_of(" \t\r\n\v\f", i);
    if (b == std::string::npos) {
      break;
    }
    const size_t e = s.find_first_of(" \t\r\n\v\f", b);
    out.push_back(s.substr(b, e == std::string::npos ? std::string::npos : e - b));
    i = e == std::string::npos ? s.size() : e;
  }
  return out;
}

}  // namespace

std::optional<ApiError> ConfigChanger::checkIfMatch(const Json& root, const std::string& ifMatch) const {
  if (ifMatch.size() < 2 || ifMatch.front() != '"' || ifMatch.back() != '"') {
    return ApiError{400, "malformed If-Match header; expect quoted string"};
  }
  const std::vector<std::string> parts = fields(ifMatch.substr(1, ifMatch.size() - 2));
  if (parts.size() != 2) {
    return ApiError{400, "malformed If-Match header; expect format \"<path> <hash>\""};
  }
  Json copy = root;  // a GET never changes it, but the traversal takes a mutable tree
  std::string encoded;
  if (auto err = accessConfig(copy, "GET", parts[0], Json(), &encoded)) {
    return ApiError{500, *err};
  }
  if (fnv1aHex(encoded) != parts[1]) {
    return ApiError{412, "If-Match header did not match current config hash"};
  }
  return std::nullopt;
}

std::optional<ApiError> ConfigChanger::change(const std::string& method, const std::string& path,
                                              const std::string& body, const std::string& ifMatch, bool force,
                                              bool* unchanged) {
  if (method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "CONNECT" ||
      method == "TRACE") {
    return ApiError{500, "method not allowed"};
  }
  std::lock_guard lock(sink_.changeMutex());
  const Json running = sink_.currentConfig();
  Json root = rootOf(running);
  if (!ifMatch.empty()) {
    if (auto err = checkIfMatch(root, ifMatch)) {
      return err;
    }
  }
  Json value;
  if (!body.empty()) {
    try {
      value = Json::parse(body);
    } catch (const std::exception& e) {
      return ApiError{500, std::string("decoding request body: ") + e.what()};
    }
  }
  if (auto err = accessConfig(root, method, path, value, nullptr)) {
    return ApiError{500, *err};
  }
  const Json& next = root["config"];
  if (!force && goEncode(next) == goEncode(running)) {
    if (unchanged != nullptr) {
      *unchanged = true;
    }
    log::logOwn(log::Level::Info, "", "config is unchanged");  // nothing to reload
    return std::nullopt;
  }
  std::map<std::string, std::string> index;
  if (auto err = indexIds(next, "/config", index)) {
    return ApiError{500, "indexing config: " + *err};
  }
  std::string error;
  if (!sink_.loadConfig(next, error)) {
    return ApiError{500, "loading new config: " + error};
  }
  return std::nullopt;
}

std::optional<std::string> ConfigChanger::read(const std::string& path, std::string& out) const {
  Json root = rootOf(sink_.currentConfig());
  return accessConfig(root, "GET", path, Json(), &out);
}

std::optional<std::string> ConfigChanger::pathOfId(const std::string& id) const {
  std::map<std::string, std::string> index;
  indexIds(sink_.currentConfig(), "/config", index);
  auto it = index.find(id);
  if (it == index.end()) {
    return std::nullopt;
  }
  return it->second;
}

}  // namespace gatehouse::admin
