// POST /stop: a graceful stop of the whole process, as SIGTERM (caddy 2.6.2's /stop), once
// the answer has been written.

#include "admin/admin_server.h"
#include "admin/api_router.h"

namespace gatehouse::admin {

ApiResponse handleStop(const ApiRequest& req, ConfigSink& sink) {
  if (req.method != "POST") {
    return errorResponse(405, "method not allowed");
  }
  ApiResponse r;
  r.afterWrite = [&sink] { sink.stop(); };
  return r;
}

}  // namespace gatehouse::admin
