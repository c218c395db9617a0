// POST /load (replace the whole config; a Caddyfile is adapted first) and POST /adapt
// (Caddyfile -> JSON with the adapter's warnings), as caddy 2.6.2 answers them.

#include <vector>

#include "admin/admin_server.h"
#include "admin/api_router.h"
#include "admin/content_adapter.h"
#include "gatehouse/config/site_graph_writer.h"
#include "log/process_log.h"

namespace gatehouse::admin {

ApiResponse handleLoad(const ApiRequest& req, ConfigChanger& changer) {
  if (req.method != "POST") {
    return errorResponse(405, "method not allowed");
  }
  Adapted adapted;
  if (auto err = adaptByContentType(req.contentType, req.body, adapted)) {
    return errorResponse(400, err->message);
  }
  const bool force = req.cacheControl == "must-revalidate";
  if (auto err = changer.change("POST", "/config", adapted.result, "", force)) {
    ApiResponse r = errorResponse(400, "loading config: " + err->message);
    return r;
  }
  log::logOwn(log::Level::Info, "admin.api", "load complete");  // unchanged too, as caddy 2.6.2
  ApiResponse r;
  if (!adapted.warnings.empty()) {
    // Caddy writes the warnings as the body (no newline); Go sniffs it as text.
    r.contentType = "text/plain; charset=utf-8";
    r.body = config::dump(adapted.warnings, false);
  }
  return r;
}

ApiResponse handleAdapt(const ApiRequest& req) {
  if (req.method != "POST") {
    return errorResponse(405, "method not allowed");
  }
  Adapted adapted;
  if (auto err = adaptByContentType(req.contentType, req.body, adapted)) {
    return errorResponse(400, err->message);
  }
  // {"warnings":[...],"result":<the JSON as adapted>}; warnings omitted when none.
  std::string body = "{";
  if (!adapted.warnings.empty()) {
    body += "\"warnings\":" + config::dump(adapted.warnings, false) + ",";
  }
  try {
    body += "\"result\":" + config::dump(Json::parse(adapted.result), false) + "}\n";
  } catch (const std::exception& e) {
    return errorResponse(
        500, std::string("json: error calling MarshalJSON for type json.RawMessage: ") + e.what());
  }
  ApiResponse r;
  r.contentType = "application/json";
  r.body = std::move(body);
  return r;
}

}  // namespace gatehouse::admin
