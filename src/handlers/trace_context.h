#pragma once
// W3C Trace Context (traceparent / tracestate) as the OpenTelemetry Go SDK that Caddy
// 2.6.2's `tracing` handler uses reads and writes it: what is accepted as a parent, how
// the sampled flag is kept, and how a tracestate list is normalised when it is passed on.

#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::handlers {

struct TraceParent {
  std::string traceId;  // 32 lower-case hex digits, not all zero
  std::string spanId;   // 16 lower-case hex digits, not all zero
  bool sampled = false;
};

// A `traceparent` value as otel-go's TraceContext propagator extracts it; nullopt when it
// would start a new trace instead (malformed, version ff, unknown flags on version 00,
// an all-zero id).
std::optional<TraceParent> parseTraceParent(std::string_view value);

// The `traceparent` value otel-go injects: version 00 and only the sampled flag.
std::string formatTraceParent(std::string_view traceId, std::string_view spanId, bool sampled);

// A `tracestate` list as otel-go re-serialises it (members trimmed, joined by ","), or
// nullopt when it does not parse (a bad member, a duplicate key, more than 32 members): the
// propagator then drops it.
std::optional<std::string> normalizeTraceState(std::string_view value);

// `n` random bytes as lower-case hex, never all zero (a valid trace or span id).
std::string randomHexId(size_t bytes);

}  // namespace gatehouse::handlers
