// subroute: a nested route list; when it ends without stopping, the outer chain continues.

#include "handlers/handlers.h"
#include "provision/provision_error.h"

namespace gatehouse::handlers {

namespace {
class Subroute final : public runtime::Handler {
 public:
  explicit Subroute(router::RouteList routes) : routes_(std::move(routes)) {}
  runtime::Outcome handle(runtime::Exchange& ex) const override { return routes_.run(ex); }

 private:
  router::RouteList routes_;
};
static_assert(std::derived_from<Subroute, runtime::Handler>);
}  // namespace

std::unique_ptr<runtime::Handler> makeSubroute(const config::Handler& h, const std::string& path,
                                               const RouteCompiler& compile) {
  if (h.errors) {
    throw provision::ProvisionError(path + ".errors", "subroute error routes are not supported yet");
  }
  requireKnownFields(h, path, {"routes", "errors"});
  return std::make_unique<Subroute>(compile(h.routes, path + ".routes"));
}

}  // namespace gatehouse::handlers
