#pragma once
// encode: compresses responses (Caddy's http.handlers.encode with the gzip and zstd
// encoders). The handler only picks an encoding from the request and installs itself as an
// OutputStage; the decision to compress is made when the head is written, from the final
// status and header fields, and the body is then compressed as it streams out.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/handler.h"

namespace gatehouse::handlers {

std::unique_ptr<runtime::Handler> makeEncode(const config::Handler& h, const std::string& path);

// Caddy's AcceptedEncodings: the client's codings (lowercased) by descending q-value, ties
// broken by the server's `prefer` order; q=0 codings dropped; with `websocket` (a
// Sec-WebSocket-Key is present) only "identity" survives. Exposed for tests.
std::vector<std::string> acceptedEncodings(std::string_view acceptEncoding, bool websocket,
                                           const std::vector<std::string>& prefer);

}  // namespace gatehouse::handlers
