#include "router/site_router.h"

namespace gatehouse::router {

runtime::Outcome SiteRouter::handle(runtime::Exchange& ex) {
  ex.serverName = server_.name;
  ex.response.headers.add("Server", "Gatehouse");
  // Nothing answered (or a terminal route ended the chain): the session sends Caddy's
  // empty 200.
  return server_.routes.run(ex);
}

runtime::Outcome SiteRouter::resumed(runtime::Exchange& /*ex*/) {
  // TODO(error routes): run handle_errors routes when ex.error is set.
  return runtime::Outcome::Handled;
}

void SiteRouter::finished(const runtime::Exchange& ex) {
  if (server_.metrics != nullptr) {
    server_.metrics->exchangeFinished(ex);
  }
  if (server_.accessLog) {
    server_.accessLog->record(ex);
  }
}

}  // namespace gatehouse::router
