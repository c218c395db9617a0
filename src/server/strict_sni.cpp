#include "server/strict_sni.h"

#include <string_view>

#include "gatehouse/runtime/header_list.h"

namespace gatehouse::server {

namespace {
std::string_view hostname(std::string_view hostport) {
  if (!hostport.empty() && hostport.front() == '[') {
    size_t close = hostport.find(']');
    return close == std::string_view::npos ? hostport : hostport.substr(1, close - 1);
  }
  size_t colon = hostport.rfind(':');
  if (colon != std::string_view::npos && hostport.find(':') == colon) {
    return hostport.substr(0, colon);
  }
  return hostport;
}
}  // namespace

runtime::Outcome StrictSniGuard::handle(runtime::Exchange& ex) {
  const auto& info = ex.request.tlsInfo;
  if (info && !runtime::equalsIgnoreCase(info->serverName, hostname(ex.request.host))) {
    return ex.fail(421, "strict host matching: TLS ServerName (" + info->serverName + ") and HTTP Host (" +
                            ex.request.host + ") values differ");
  }
  return next_.handle(ex);
}

}  // namespace gatehouse::server
