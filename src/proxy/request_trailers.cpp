#include "proxy/request_trailers.h"

#include <algorithm>
#include <vector>

#include "http/field_syntax.h"

namespace gatehouse::proxy {

std::string announcedRequestTrailers(const runtime::Request& req) {
  if (req.bodyLength != runtime::Request::kChunked) {
    return {};  // Go keeps a non-chunked request's Trailer as a field (then dropped as hop-by-hop)
  }
  std::vector<std::string> names;
  for (const auto& f : req.headers) {
    if (!runtime::equalsIgnoreCase(f.name, "Trailer")) {
      continue;
    }
    http::forEachListItem(f.value, [&](std::string_view item) {
      std::string name = runtime::canonicalHeaderName(item);
      // Go's HTTP/2 server drops these bogus trailer names (HTTP/1 refuses the request).
      if (name != "Transfer-Encoding" && name != "Trailer" && name != "Content-Length") {
        names.push_back(std::move(name));
      }
      return true;
    });
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string out;
  for (const auto& n : names) {
    out.append(out.empty() ? "" : ",").append(n);
  }
  return out;
}

}  // namespace gatehouse::proxy
