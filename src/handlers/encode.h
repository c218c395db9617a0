#pragma once
// encode: compresses responses (Caddy's http.handlers.encode with the gzip and zstd
// encoders). The handler only picks an encoding from the request and installs itself as an
// OutputStage; the decision to compress is made when the head is written, from the final
// status and header fields, and the body is then compressed as it streams out.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/exchange.h"
#include "gatehouse/runtime/handler.h"

namespace gatehouse::handlers {

std::unique_ptr<runtime::Handler> makeEncode(const config::Handler& h, const std::string& path);

// Caddy's AcceptedEncodings: the client's codings (lowercased) by descending q-value, ties
// broken by the server's `prefer` order; q=0 codings dropped; with `websocket` (a
// Sec-WebSocket-Key is present) only "identity" survives. Exposed for tests.
// Caddy's first-write rule: compress when the first write is longer than minimum_length,
// or Content-Length says the body is. Exposed for tests.
bool firstWriteOverMinimum(uint64_t firstWrite, std::string_view contentLength, long long minLength);

// Whether encode holds the head for the body's first piece and decides on it: a stream of
// unknown length, or of a known length over the minimum with no Content-Type to match on;
// never for text/event-stream or a producer that wants its head out at once.
bool decidesOnFirstPiece(const runtime::Response& res, long long minLength);

std::vector<std::string> acceptedEncodings(std::string_view acceptEncoding, bool websocket,
                                           const std::vector<std::string>& prefer);

}  // namespace gatehouse::handlers
