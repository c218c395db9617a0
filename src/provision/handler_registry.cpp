// Handler module name -> factory. One row per handler the runtime implements; any other
// name stops start-up with its JSON path.

#include "provision/handler_registry.h"

#include <array>

#include "handlers/encode.h"
#include "handlers/handlers.h"
#include "provision/provision_error.h"
#include "proxy/reverse_proxy.h"

namespace gatehouse::provision {

std::unique_ptr<runtime::Handler> makeHandler(const config::Handler& h, const std::string& path,
                                              const handlers::RouteCompiler& compile) {
  if (h.name == "static_response") {
    return handlers::makeStaticResponse(h, path);
  }
  if (h.name == "subroute") {
    return handlers::makeSubroute(h, path, compile);
  }
  if (h.name == "headers") {
    return handlers::makeHeaders(h, path);
  }
  if (h.name == "vars") {
    return handlers::makeVars(h, path);
  }
  if (h.name == "rewrite") {
    return handlers::makeRewrite(h, path);
  }
  if (h.name == "file_server") {
    return handlers::makeFileServer(h, path);
  }
  if (h.name == "reverse_proxy") {
    return proxy::makeReverseProxy(h, path);
  }
  if (h.name == "encode") {
    return handlers::makeEncode(h, path);
  }
  throw ProvisionError(path, "handler '" + h.name + "' is not supported yet");
}

}  // namespace gatehouse::provision
