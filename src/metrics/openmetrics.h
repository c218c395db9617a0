#pragma once
// The `metrics` handler's OpenMetrics answer: caddy 2.6.2's promhttp handler negotiates
// OpenMetrics 0.0.1 from the Accept header (what Prometheus asks for first) unless
// `disable_openmetrics` is set, and writes the same series in that format.

#include <string>
#include <string_view>

namespace gatehouse::metrics {

inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr std::string_view kOpenMetricsContentType =
    "application/openmetrics-text; version=0.0.1; charset=utf-8";

// expfmt.NegotiateIncludingOpenMetrics: the Accept entries by preference (q, then the more
// specific), the first text/plain (version 0.0.4 or none) or application/openmetrics-text
// (version 0.0.1 or none) wins; anything else, or nothing, means text.
bool negotiatesOpenMetrics(std::string_view accept);

// Rewrites a text exposition (Prometheus 0.0.4, as HttpMetrics writes it) as OpenMetrics:
// counter families named without `_total` in HELP/TYPE, float values and `le` bounds with
// a ".0" when integral (bucket and _count values stay integers), and a final "# EOF".
std::string toOpenMetrics(std::string_view text);

}  // namespace gatehouse::metrics
