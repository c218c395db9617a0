// POST /load (replace the whole config; a Caddyfile is adapted first) and POST /adapt
// (Caddyfile -> JSON with the adapter's warnings), as caddy 2.6.2 answers them.

#include <algorithm>
#include <cctype>
#include <vector>

#include "admin/admin_server.h"
#include "admin/api_router.h"
#include "gatehouse/config/site_graph_writer.h"
#include "gatehouse/parser/adapter.h"

namespace gatehouse::admin {

namespace {

struct Adapted {
  std::string result;  // JSON text
  Json warnings = Json::array();
};

// caddyconfig.Warning: file, line, directive, message, each omitted when empty.
Json warningJson(const parser::Warning& w) {
  Json out = Json::object();
  if (!w.loc.file().empty()) {
    out["file"] = w.loc.file();
  }
  if (w.loc.line != 0) {
    out["line"] = w.loc.line;
  }
  if (!w.directive.empty()) {
    out["directive"] = w.directive;
  }
  if (!w.message.empty()) {
    out["message"] = w.message;
  }
  return out;
}

// Caddy's adaptByContentType: JSON (or no Content-Type) passes through; "text/<adapter>"
// names the adapter, of which only the Caddyfile one exists.
std::optional<ApiError> adaptByContentType(const std::string& contentType, const std::string& body, Adapted& out) {
  if (contentType.empty()) {
    out.result = body;
    return std::nullopt;
  }
  std::string media = contentType.substr(0, contentType.find(';'));
  media.erase(0, media.find_first_not_of(" \t"));
  media.erase(media.find_last_not_of(" \t") + 1);
  std::transform(media.begin(), media.end(), media.begin(), [](unsigned char c) { return std::tolower(c); });
  if (media.empty()) {
    return ApiError{400, "invalid Content-Type: mime: no media type"};
  }
  if (media.ends_with("/json")) {
    out.result = body;
    return std::nullopt;
  }
  const size_t slash = media.find('/');
  if (slash == std::string::npos) {
    return ApiError{500, "malformed Content-Type"};
  }
  const std::string adapter = media.substr(slash + 1);
  if (adapter != "caddyfile") {
    return ApiError{500, "unrecognized config adapter '" + adapter + "'"};
  }
  try {
    auto adapted = parser::adaptCaddyfile(body, "Caddyfile");
    out.result = config::dumpConfig(adapted.config, false);
    for (const auto& w : adapted.warnings) {
      out.warnings.push_back(warningJson(w));
    }
  } catch (const std::exception& e) {
    return ApiError{500, std::string("adapting config using caddyfile adapter: ") + e.what()};
  }
  return std::nullopt;
}

}  // namespace

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
    return errorResponse(500, std::string("json: error calling MarshalJSON for type json.RawMessage: ") + e.what());
  }
  ApiResponse r;
  r.contentType = "application/json";
  r.body = std::move(body);
  return r;
}

}  // namespace gatehouse::admin
