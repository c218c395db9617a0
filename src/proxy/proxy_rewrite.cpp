#include "proxy/proxy_rewrite.h"

#include <utility>

namespace gatehouse::proxy {

RewrittenRequest rewriteForUpstream(const runtime::Handler& rewrite, runtime::Exchange& ex) {
  auto& r = ex.request;
  // Only the fields a rewrite handler changes; everything else is untouched.
  std::string savedMethod = r.method;
  std::string savedPath = r.path;
  std::string savedRawPath = r.rawPath;
  std::string savedQuery = r.query;
  const bool savedHasQuery = r.hasQuery;
  const std::string before = r.uri();
  rewrite.handle(ex);
  RewrittenRequest out;
  out.target = r.uri();
  const bool changed = r.method != savedMethod || out.target != before;
  out.bodyDropped = changed && (r.method == "GET" || r.method == "HEAD");
  out.method = std::exchange(r.method, std::move(savedMethod));
  out.path = std::exchange(r.path, std::move(savedPath));
  out.query = std::exchange(r.query, std::move(savedQuery));
  r.rawPath = std::move(savedRawPath);
  r.hasQuery = savedHasQuery;
  return out;
}

}  // namespace gatehouse::proxy
