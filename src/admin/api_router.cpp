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
  if (path == "/config" || path == "/id") {
    return redirectToSlash(req);
  }
  // The route's pattern and its module's name label the admin metrics.
  const char* pattern = nullptr;
  const char* handler = "admin";
  ApiResponse r;
  if (path.starts_with("/config/")) {
    pattern = "/config/";
    r = handleConfig(req, server.changer());
  } else if (path.starts_with("/id/")) {
    pattern = "/id/";
    ApiRequest original = req;
    r = handleConfigId(req, server);
    req = std::move(original);
  } else if (path == "/stop") {
    pattern = "/stop";
    r = handleStop(req, server.sink());
  } else if (path == "/load" || path == "/adapt") {
    pattern = path == "/load" ? "/load" : "/adapt";
    handler = "load";
    r = path == "/load" ? handleLoad(req, server.changer()) : handleAdapt(req);
  } else if (path == "/metrics") {
    pattern = "/metrics";
    handler = "metrics";
    r = handleMetrics(req, server);
  } else if (path == "/reverse_proxy/upstreams") {
    pattern = "/reverse_proxy/upstreams";
    handler = "reverse_proxy";
    r = handleUpstreams(req, server.sink());
  } else if (path.starts_with("/pki/")) {
    pattern = "/pki/";
    handler = "pki";
    r = handlePki(req, server.sink());
  } else {
    return notFound();
  }
  // Caddy's /id/ answers by an internal redirect, which its error counter counts too.
  const bool apiError = r.status >= 400 || std::string_view(pattern) == "/id/";
  server.metrics().count(r.status, handler, req.method, pattern, apiError);
  return r;
}

}  // namespace gatehouse::admin
