#include "metrics/http_metrics.h"

#include <catch2/catch.hpp>
#include <thread>

using gatehouse::runtime::Exchange;
namespace m = gatehouse::metrics;

namespace {

void serve(m::HttpMetrics& metrics, std::initializer_list<uint32_t> handlers, int status,
           const char* method = "GET", int errorStatus = 0, bool abort = false) {
  Exchange ex;
  ex.request.method = method;
  ex.request.start = std::chrono::steady_clock::now();
  ex.request.headerBytes = 100;
  ex.request.rawPath = "/x";
  ex.request.host = "example.test";
  ex.request.headers.add("Host", "example.test");  // not in Go's header map
  ex.request.headers.add("Accept", "a");
  ex.request.headers.add("accept", "b");  // one map key: its name counts once
  ex.response.abort = abort;
  for (uint32_t id : handlers) {
    metrics.handlerStarted(ex, id);
  }
  ex.response.status = status;
  ex.response.bytesWritten = 2000;
  ex.error.status = errorStatus;
  metrics.exchangeFinished(ex);
}

}  // namespace

TEST_CASE("Go's 'g' float formatting, as Prometheus prints numbers", "[metrics]") {
  CHECK(m::formatFloat(0.005) == "0.005");
  CHECK(m::formatFloat(1) == "1");
  CHECK(m::formatFloat(2.5) == "2.5");
  CHECK(m::formatFloat(262144) == "262144");
  CHECK(m::formatFloat(1048576) == "1.048576e+06");
  CHECK(m::formatFloat(4194304) == "4.194304e+06");
  CHECK(m::formatFloat(0.00001) == "1e-05");
  CHECK(m::formatFloat(0.0001) == "0.0001");
  CHECK(m::sanitizeMethod("BREW") == "OTHER");
  CHECK(m::sanitizeCode(0) == 200);
}

TEST_CASE("HTTP metrics sum per-thread shards into Caddy's families", "[metrics]") {
  m::HttpMetrics metrics;
  const uint32_t headers = metrics.registerHandler("srv0", "headers");
  const uint32_t respond = metrics.registerHandler("srv0", "static_response");
  CHECK(metrics.registerHandler("srv0", "headers") == headers);
  serve(metrics, {headers, respond}, 200);
  std::thread other([&] {
    serve(metrics, {headers, respond}, 200);
    serve(metrics, {respond}, 404, "BREW", 404);
    serve(metrics, {headers}, 0, "GET", 0, true);
  });
  other.join();
  const std::string text = metrics.exposition();
  CHECK(text.find("# TYPE caddy_http_requests_total counter\n") != std::string::npos);
  CHECK(text.find("caddy_http_requests_total{handler=\"headers\",server=\"srv0\"} 2\n") != std::string::npos);
  CHECK(text.find("caddy_http_requests_total{handler=\"static_response\",server=\"srv0\"} 3\n") !=
        std::string::npos);
  CHECK(text.find("caddy_http_request_errors_total{handler=\"static_response\",server=\"srv0\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("caddy_http_requests_in_flight{handler=\"headers\",server=\"srv0\"} 0\n") !=
        std::string::npos);
  CHECK(text.find("caddy_http_request_duration_seconds_bucket{code=\"200\",handler=\"static_response\","
                  "method=\"GET\",server=\"srv0\",le=\"+Inf\"} 2\n") != std::string::npos);
  // As caddy 2.6.2: an error counts the request and the error, observes no histogram; an
  // aborted exchange only moves in-flight; a series exists once something was counted in it.
  CHECK(text.find("code=\"404\"") == std::string::npos);
  CHECK(text.find("caddy_http_request_errors_total{handler=\"headers\"") == std::string::npos);
  CHECK(text.find("caddy_http_response_size_bytes_bucket{code=\"200\",handler=\"static_response\","
                  "method=\"GET\",server=\"srv0\",le=\"4096\"} 2\n") != std::string::npos);
  // computeApproximateRequestSize: "/x" + "GET" + "HTTP/1.1" + "example.test" + "Accept" + "a" + "b".
  CHECK(text.find("caddy_http_request_size_bytes_sum{code=\"200\",handler=\"headers\",method=\"GET\","
                  "server=\"srv0\"} 66\n") != std::string::npos);
  // Families come in name order.
  CHECK(text.find("caddy_http_request_duration_seconds") < text.find("caddy_http_request_errors_total"));
  CHECK(text.find("caddy_http_requests_total") < text.find("caddy_http_response_size_bytes"));
}
