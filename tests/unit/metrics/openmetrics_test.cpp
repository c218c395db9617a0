#include "metrics/openmetrics.h"

#include <catch2/catch.hpp>

namespace m = gatehouse::metrics;

TEST_CASE("OpenMetrics is negotiated as Go's expfmt does", "[metrics]") {
  // Prometheus' Accept header: OpenMetrics first.
  CHECK(m::negotiatesOpenMetrics(
      "application/openmetrics-text; version=0.0.1,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
  // A newer Prometheus asks for 1.0.0 first, which 2.6.2's expfmt skips, then 0.0.1.
  CHECK(
      m::negotiatesOpenMetrics("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                               "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
  CHECK(m::negotiatesOpenMetrics("text/plain;q=0.5, application/openmetrics-text"));
  CHECK_FALSE(m::negotiatesOpenMetrics(""));
  CHECK_FALSE(m::negotiatesOpenMetrics("*/*"));
  CHECK_FALSE(m::negotiatesOpenMetrics("text/plain"));
  CHECK_FALSE(m::negotiatesOpenMetrics("text/plain, application/openmetrics-text"));
  CHECK_FALSE(m::negotiatesOpenMetrics("application/openmetrics-text; version=2.0"));
}

TEST_CASE("a text exposition is rewritten as OpenMetrics", "[metrics]") {
  const std::string text =
      "# HELP a_seconds Histogram.\n# TYPE a_seconds histogram\n"
      "a_seconds_bucket{code=\"200\",le=\"0.005\"} 1\n"
      "a_seconds_bucket{code=\"200\",le=\"1\"} 1\n"
      "a_seconds_bucket{code=\"200\",le=\"1.048576e+06\"} 2\n"
      "a_seconds_bucket{code=\"200\",le=\"+Inf\"} 2\n"
      "a_seconds_sum{code=\"200\"} 58\n"
      "a_seconds_count{code=\"200\"} 2\n"
      "# HELP b_total Counter.\n# TYPE b_total counter\nb_total{h=\"x\"} 3\n"
      "# HELP c Gauge.\n# TYPE c gauge\nc 0\nc{x=\"y\"} 6.9777e-05\n";
  CHECK(m::toOpenMetrics(text) ==
        "# HELP a_seconds Histogram.\n# TYPE a_seconds histogram\n"
        "a_seconds_bucket{code=\"200\",le=\"0.005\"} 1\n"
        "a_seconds_bucket{code=\"200\",le=\"1.0\"} 1\n"
        "a_seconds_bucket{code=\"200\",le=\"1.048576e+06\"} 2\n"
        "a_seconds_bucket{code=\"200\",le=\"+Inf\"} 2\n"
        "a_seconds_sum{code=\"200\"} 58.0\n"
        "a_seconds_count{code=\"200\"} 2\n"
        "# HELP b Counter.\n# TYPE b counter\nb_total{h=\"x\"} 3.0\n"
        "# HELP c Gauge.\n# TYPE c gauge\nc 0.0\nc{x=\"y\"} 6.9777e-05\n# EOF\n");
}
