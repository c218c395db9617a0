#pragma once
// Entry of the route chain for one server: stamps the Server header (before handlers run,
// so `header -Server` can remove it, as in Caddy) and runs the server's routes.

#include "http/session.h"
#include "provision/runtime.h"

namespace gatehouse::router {

class SiteRouter final : public http::RequestHandler {
 public:
  explicit SiteRouter(const provision::ServerRuntime& server) : server_(server) {}
  runtime::Outcome handle(runtime::Exchange& ex) override;
  runtime::Outcome resumed(runtime::Exchange& ex) override;
  void finished(const runtime::Exchange& ex) override;

 private:
  const provision::ServerRuntime& server_;
};

}  // namespace gatehouse::router
