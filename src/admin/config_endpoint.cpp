// /config/[path] and /id/<id>/[path]: read and change the running config, as caddy 2.6.2.

#include <vector>

#include "admin/admin_server.h"
#include "admin/api_router.h"

namespace gatehouse::admin {

namespace {

ApiResponse readConfig(const ApiRequest& req, ConfigChanger& changer) {
  std::string out;
  ApiResponse r;
  if (auto err = changer.read(req.path, out)) {
    r = errorResponse(400, *err);
  } else {
    r.contentType = "application/json";
    r.body = std::move(out);
    r.etagTrailer = "\"" + req.path + " " + fnv1aHex(r.body) + "\"";
  }
  r.chunkedWithTrailer = true;  // declared before the body is known, so errors have it too
  return r;
}

// Go's path.Join of the parts: empty and "." elements dropped, ".." pops.
std::string joinClean(const std::string& base, const std::vector<std::string>& rest) {
  std::vector<std::string> out;
  std::vector<std::string> all;
  size_t start = 1;
  while (start <= base.size()) {
    const size_t slash = base.find('/', start);
    all.push_back(base.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  all.insert(all.end(), rest.begin(), rest.end());
  for (const auto& p : all) {
    if (p.empty() || p == ".") {
      continue;
    }
    if (p == "..") {
      if (!out.empty()) {
        out.pop_back();
      }
      continue;
    }
    out.push_back(p);
  }
  std::string joined;
  for (const auto& p : out) {
    joined += "/" + p;
  }
  return joined.empty() ? "/" : joined;
}

}  // namespace

ApiResponse handleConfig(const ApiRequest& req, ConfigChanger& changer) {
  if (req.method == "GET") {
    return readConfig(req, changer);
  }
  if (req.method != "POST" && req.method != "PUT" && req.method != "PATCH" && req.method != "DELETE") {
    return errorResponse(405, "method " + req.method + " not allowed");
  }
  std::string body;
  if (req.method != "DELETE") {
    if (req.contentType.find("/json") == std::string::npos) {
      return errorResponse(400,
                           "unacceptable content-type: " + req.contentType + "; 'application/json' required");
    }
    body = req.body;
  }
  const bool force = req.cacheControl == "must-revalidate";
  if (auto err = changer.change(req.method, req.path, body, req.ifMatch, force)) {
    return errorResponse(*err);
  }
  return ApiResponse{};
}

ApiResponse handleConfigId(ApiRequest& req, AdminServer& server) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t slash = req.path.find('/', start);
    parts.push_back(req.path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  if (parts.size() < 3 || parts[2].empty()) {
    return errorResponse(400, "request path is missing object ID");
  }
  const auto expanded = server.changer().pathOfId(parts[2]);
  if (!expanded) {
    return errorResponse(404, "unknown object ID '" + parts[2] + "'");
  }
  // Caddy rewrites the path and serves the request again from the top.
  req.path = joinClean(*expanded, std::vector<std::string>(parts.begin() + 3, parts.end()));
  if (req.path.starts_with("/id/")) {
    return errorResponse(400, "malformed object path");  // an id cannot name another id
  }
  return routeRequest(req, server);
}

}  // namespace gatehouse::admin
