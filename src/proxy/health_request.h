#pragma once
// The bytes of one active health check request, as Caddy 2.6.2's checks put them on the
// wire through Go's http.Client over the handler's transport (measured with a socket
// upstream recording every byte, tests/e2e/proxy_health_wire_vs_caddy_test.py):
//   request line, Host, User-Agent (Go's default unless health_headers has exactly
//   "User-Agent"; an empty one sends none), Content-Length (a body), then the configured
//   fields sorted by name, bytewise (Go's Header.Write; names kept as written, an empty
//   value as "Name: "), then `Accept-Encoding: gzip` when the transport asks for gzip
//   itself, and no Connection field: the connection is kept alive.
// Go asks for gzip when compression is on, the method is not HEAD, and the fields have no
// non-empty first "Accept-Encoding" or "Range" (exact names, as Go's Header.Get sees the
// map Caddy fills without canonicalizing); it then decodes a gzip answer before
// health_body looks at it.

#include <string>
#include <string_view>

#include "gatehouse/runtime/header_list.h"
#include "proxy/health_checker_redirect.h"
#include "proxy/upstream_h2_stream.h"

namespace gatehouse::proxy {

struct HealthWire {
  std::string bytes;
  bool askedGzip = false;  // the answer's gzip body is to be decoded
};

// `headers`: health_headers; `body`: the configured request body (sent when
// request.withBody); `compression`: the transport's (off: `compression off`);
// `closeAfter`: the transport has keep-alive off, so Go adds "Connection: close" after
// Accept-Encoding (its extra fields, sorted) unless a configured Connection asks for it.
HealthWire healthRequestWire(const HealthRequest& request, const runtime::HeaderList& headers,
                             std::string_view body, bool compression, bool closeAfter = false);

// The same check over HTTP/2 (h2c, or TLS that selected h2), as Go's HTTP/2 transport
// sends it: :authority the Host, a user-agent (Go-http-client/2.0 unless configured; an
// empty one sends none), the configured fields in HTTP/2's form, content-length with a
// body, accept-encoding gzip under the same rule as above.
struct HealthH2Head {
  H2RequestHead head;
  std::string body;
  bool askedGzip = false;
};
HealthH2Head healthRequestH2(const HealthRequest& request, const runtime::HeaderList& headers,
                             std::string_view body, bool compression, bool tls);

}  // namespace gatehouse::proxy
