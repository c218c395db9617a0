#pragma once
// reverse_proxy's handle_response entries: Caddy's ResponseHandler. The first entry whose
// matcher takes the upstream's status and fields decides: a status-only entry
// (`replace_status`) changes the status the client gets and the response goes on as usual;
// an entry with routes hands the request to those routes instead (Caddy's `handle_response
// @m { ... }`), which see the upstream response through {http.reverse_proxy.status_code},
// {http.reverse_proxy.status_text} and {http.reverse_proxy.header.*} and may copy it
// (copy_response, copy_response_headers); routes that end without a response let the chain
// go on after the reverse_proxy (Caddy compiles them with `next`).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/exchange.h"
#include "handlers/handlers.h"
#include "proxy/response_matcher.h"
#include "router/placeholders.h"
#include "router/route.h"

namespace gatehouse::proxy {

struct ResponseHandler {
  std::optional<ResponseMatcher> match;  // absent: every response
  int status = 0;                        // a status-only entry's status; 0 with routes
  // A status-only entry whose status holds placeholders, rendered per response.
  std::shared_ptr<const router::Template> statusTemplate;
  std::unique_ptr<router::RouteList> routes;

  // The status a status-only entry gives a response whose upstream status is `upstream`:
  // as Caddy, a rendered 0 keeps it. -1 with `error` set when the rendered text is not a
  // status code (Caddy answers 500).
  int statusFor(const runtime::Exchange& ex, int upstream, std::string& error) const;

  // The handle_response array; throws ProvisionError for what is not supported yet.
  static std::vector<ResponseHandler> parseAll(const config::Json& j, const std::string& path,
                                               const handlers::RouteCompiler& compile);
};

// The first entry that takes the response, or null.
const ResponseHandler* firstMatching(const std::vector<ResponseHandler>& list, int status,
                                     const runtime::HeaderList& headers);

// The upstream response that handle_response routes are handling (Caddy's
// handleResponseContext); copy_response and copy_response_headers reach it through
// Exchange::pending.
class HeldResponse {
 public:
  virtual ~HeldResponse() = default;
  // The upstream's header fields as received (names canonical, framing fields removed).
  [[nodiscard]] virtual const runtime::HeaderList& heldHeaders() const = 0;
  // The answer came chunked (Go's transport took its Trailer field as the trailer names).
  [[nodiscard]] virtual bool heldChunked() const = 0;
  // Answers with the upstream response as reverse_proxy would (header_down, streamed
  // body); `status` > 0 replaces the upstream's status.
  virtual void copyResponse(int status) = 0;
};

// The held response of the exchange, when a handle_response route is running.
HeldResponse* heldResponse(runtime::Exchange& ex);

// Sets {http.reverse_proxy.status_code}, {...status_text} and {...header.<Field>}.
// `reason` is the upstream's reason phrase (status_text is Go's Response.Status, "404 Not Found").
void publishResponse(runtime::Exchange& ex, int status, std::string_view reason,
                     const runtime::HeaderList& headers);

}  // namespace gatehouse::proxy
