// flush_interval as Caddy's JSON gives it: nanoseconds (the Caddyfile's -1 is -1 ns) or a
// Go duration string; a negative one flushes every piece at once.
#include <catch2/catch.hpp>

#include "gatehouse/config/site_graph.h"
#include "proxy/proxy_config.h"

using gatehouse::config::Json;
using gatehouse::proxy::ProxyConfig;

namespace {

bool flushesAtOnce(const std::string& interval) {
  gatehouse::config::Handler h;
  h.name = "reverse_proxy";
  h.fields = Json::parse(R"({"upstreams": [{"dial": "127.0.0.1:1"}], "flush_interval": )" + interval + "}");
  return ProxyConfig::parse(h, "h", gatehouse::handlers::RouteCompiler{})->flushAtOnce;
}

}  // namespace

TEST_CASE("flush_interval -1 (ns, under a millisecond) flushes at once", "[proxy]") {
  // found by tests/compat/request_fuzz.py: -1 ns rounded to 0 ms read as "not negative",
  // so encode over such a proxy gave a small body a Content-Length (Caddy: chunked)
  CHECK(flushesAtOnce("-1"));
  CHECK(flushesAtOnce("\"-1ns\""));
  CHECK(flushesAtOnce("\"-1s\""));
  CHECK_FALSE(flushesAtOnce("0"));
  CHECK_FALSE(flushesAtOnce("100000000"));
  CHECK_FALSE(flushesAtOnce("\"1s\""));
}
