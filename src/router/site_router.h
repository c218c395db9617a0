#pragma once
// Entry of the route chain for one server: stamps the Server header (before handlers run,
// so `header -Server` can remove it, as in Caddy), runs the server's routes and, when a
// handler failed, its error routes (Caddy's handle_errors).

#include "http/session.h"
#include "provision/runtime.h"

namespace gatehouse::router {

class SiteRouter final : public http::RequestHandler {
 public:
  explicit SiteRouter(const provision::ServerRuntime& server) : server_(server) {}
  runtime::Outcome handle(runtime::Exchange& ex) override;
  runtime::Outcome resumed(runtime::Exchange& ex) override;
  void finished(const runtime::Exchange& ex) override;
  [[nodiscard]] bool recordsExchanges() const override {
    return server_.metrics != nullptr || server_.accessLog != nullptr;
  }

 private:
  // A challenge path with no token of ours: starts reading a stored challenge (another
  // server's); true when the exchange now waits for it.
  bool lookUpStoredChallenge(runtime::Exchange& ex) const;
  // From after the ACME check: trusted proxies, the routes, then error routes.
  runtime::Outcome runRoutes(runtime::Exchange& ex);
  // After the chain (or its continuation) stopped: routes a new error.
  runtime::Outcome afterChain(runtime::Exchange& ex, runtime::Outcome outcome) const;
  static void restoreFirstError(runtime::Exchange& ex, int firstStatus);
  runtime::Outcome runErrorRoutes(runtime::Exchange& ex) const;
  static runtime::Outcome runFilters(runtime::Exchange& ex);
  static runtime::Outcome continueChain(runtime::Exchange& ex, runtime::Outcome outcome,
                                        const std::vector<runtime::ChainFrame>& frames);

  const provision::ServerRuntime& server_;
};

}  // namespace gatehouse::router
