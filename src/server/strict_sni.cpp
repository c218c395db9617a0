#include "server/strict_sni.h"

#include <string_view>

#include "gatehouse/runtime/error_traces.h"
#include "gatehouse/runtime/header_list.h"
#include "http/uri.h"

namespace gatehouse::server {

runtime::Outcome StrictSniGuard::handle(runtime::Exchange& ex) {
  const auto& info = ex.request.tlsInfo;
  if (info && !runtime::equalsIgnoreCase(info->serverName, http::hostWithoutPort(ex.request.host))) {
    return ex.fail(421,
                   "strict host matching: TLS ServerName (" + info->serverName + ") and HTTP Host (" +
                       ex.request.host + ") values differ",
                   runtime::traces::kStrictSni);
  }
  return next_.handle(ex);
}

}  // namespace gatehouse::server
