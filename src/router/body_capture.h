#pragma once
// {http.request.body}: Caddy 2.6.2 reads the whole request body when the placeholder is
// first rendered and puts the bytes back for later readers. Gatehouse reads bodies
// asynchronously, so a handler whose config names the placeholder is preceded by a capture
// step (handlers/body_capture_handler.cpp) that reads the body first and keeps its bytes in
// the exchange (here); the placeholder prints them and the proxy sends them again
// (proxy/captured_body_source.h) before the rest of the live stream.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::router {

// At most this many bytes are held for the placeholder (Caddy holds any size); a longer
// body prints its first kBodyCaptureCap bytes and reaches the proxy whole all the same.
inline constexpr size_t kBodyCaptureCap = size_t{1} << 20;

struct BodyCapture {
  const std::string* bytes;  // what the capture read, possibly past the cap by one piece
  bool complete;             // the body ended within them
};

// Records what the capture read; `complete` when the stream reached its end.
void storeBodyCapture(runtime::Exchange& ex, std::string bytes, bool complete);
[[nodiscard]] std::optional<BodyCapture> findBodyCapture(const runtime::Exchange& ex);

// The placeholder's value: the captured bytes up to request_body max_size (Go's
// MaxBytesReader stops there and Caddy keeps what it read) and the cap.
[[nodiscard]] std::string_view bodyPlaceholderValue(const runtime::Exchange& ex, const BodyCapture& capture);

}  // namespace gatehouse::router
