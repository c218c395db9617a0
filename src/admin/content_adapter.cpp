#include "admin/content_adapter.h"

#include <algorithm>
#include <cctype>

#include "gatehouse/config/site_graph_writer.h"
#include "gatehouse/parser/adapter.h"

namespace gatehouse::admin {

using config::Json;

namespace {

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
}  // namespace

std::optional<ApiError> adaptByContentType(const std::string& contentType, const std::string& body,
                                           Adapted& out) {
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

}  // namespace gatehouse::admin
