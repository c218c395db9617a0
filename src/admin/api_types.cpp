#include "admin/api_types.h"

#include "gatehouse/config/site_graph.h"

namespace gatehouse::admin {

ApiResponse errorResponse(const ApiError& e) {
  return errorResponse(e.status, e.message);
}

ApiResponse errorResponse(int status, const std::string& message) {
  config::Json body = config::Json::object();
  body["error"] = message;
  ApiResponse r;
  r.status = status;
  r.contentType = "application/json";
  r.body = config::dump(body, false) + "\n";  // json.Encoder's newline
  r.apiError = message;
  return r;
}

}  // namespace gatehouse::admin
