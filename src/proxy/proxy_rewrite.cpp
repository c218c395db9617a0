#include "proxy/proxy_rewrite.h"

#include <utility>

namespace gatehouse::proxy {

void rewriteForUpstream(const runtime::Handler& rewrite, runtime::Exchange& ex, std::string& method,
                        std::string& target) {
  auto& r = ex.request;
  // Only the fields a rewrite handler changes; everything else is untouched.
  std::string savedMethod = r.method;
  std::string savedPath = r.path;
  std::string savedRawPath = r.rawPath;
  std::string savedQuery = r.query;
  const bool savedHasQuery = r.hasQuery;
  rewrite.handle(ex);
  method = std::exchange(r.method, std::move(savedMethod));
  target = r.uri();
  r.path = std::move(savedPath);
  r.rawPath = std::move(savedRawPath);
  r.query = std::move(savedQuery);
  r.hasQuery = savedHasQuery;
}

}  // namespace gatehouse::proxy
