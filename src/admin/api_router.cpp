#include "admin/api_router.h"

#include <string_view>

#include "admin/admin_server.h"

namespace gatehouse::admin {

namespace {

// Go's ServeMux answer to "/config" when "/config/" is registered.
ApiResponse redirectToSlash(const ApiRequest& req) {
  ApiResponse r;
  r.status = 301;
  r.headers = "Location: " + req.path + "/\r\n";
  if (req.method == "GET" || req.method == "HEAD") {
    r.contentType = "text/html; charset=utf-8";
    r.body = "<a href=\"" + req.path + "/\">Moved Permanently</a>.\n\n";
  }
  return r;
}

ApiResponse notFound() {
  ApiResponse r;
  r.status = 404;
  r.contentType = "text/plain; charset=utf-8";
  r.headers = "X-Content-Type-Options: nosniff\r\n";
  r.body = "404 page not found\n";
  return r;
}

}  // namespace

ApiResponse routeRequest(ApiRequest& req, AdminServer& server) {
  const std::string_view path = req.path;
  if (path.starts_with("/config/")) {
    return handleConfig(req, server.changer());
  }
  if (path.starts_with("/id/")) {
    return handleConfigId(req, server);
  }
  if (path == "/config" || path == "/id") {
    return redirectToSlash(req);
  }
  if (path == "/load") {
    return handleLoad(req, server.changer());
  }
  if (path == "/adapt") {
    return handleAdapt(req);
  }
  if (path == "/stop") {
    return handleStop(req, server.sink());
  }
  return notFound();
}

}  // namespace gatehouse::admin
