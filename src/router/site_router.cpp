#include "router/site_router.h"

namespace gatehouse::router {

void SiteRouter::handle(runtime::Exchange& ex) {
  ex.serverName = server_.name;
  ex.response.headers.add("Server", "Gatehouse");
  server_.routes.run(ex);
  // Nothing answered (or a terminal route ended the chain): the session sends Caddy's
  // empty 200.
}

}  // namespace gatehouse::router
