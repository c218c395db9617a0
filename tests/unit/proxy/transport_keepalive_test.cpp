// keep_alive as Caddy 2.6.2 hands it to Go (probe_interval -> net.Dialer.KeepAlive, the
// rest -> http.Transport), max_conns_per_host, and the probes on a real TCP socket.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "gatehouse/config/site_graph.h"
#include "provision/provision_error.h"
#include "proxy/proxy_config.h"
#include "proxy/tcp_keepalive.h"

using gatehouse::config::Json;
using gatehouse::proxy::ProxyConfig;
using std::chrono::milliseconds;

namespace {

std::unique_ptr<ProxyConfig> parseTransport(const std::string& transport) {
  gatehouse::config::Handler h;
  h.name = "reverse_proxy";
  h.fields = Json::parse(R"({"upstreams": [{"dial": "127.0.0.1:1"}])" +
                         (transport.empty() ? std::string() : R"(, "transport": )" + transport) + "}");
  return ProxyConfig::parse(h, "h", gatehouse::handlers::RouteCompiler{});
}

int sockOpt(int fd, int level, int name) {
  int v = 0;
  socklen_t len = sizeof v;
  REQUIRE(getsockopt(fd, level, name, &v, &len) == 0);
  return v;
}

}  // namespace

TEST_CASE("keep_alive defaults: Caddy's without the object, Go's zero values with it", "[proxy]") {
  auto none = parseTransport("");
  CHECK(none->transport.keepAliveProbe == milliseconds(30'000));
  CHECK(none->keepAlive.idleTimeout == milliseconds(120'000));
  CHECK(none->keepAlive.maxIdlePerHost == 32);

  auto http = parseTransport(R"({"protocol": "http"})");
  CHECK(http->transport.keepAliveProbe == milliseconds(30'000));

  auto interval = parseTransport(R"({"protocol": "http", "keep_alive": {"probe_interval": 7000000000}})");
  CHECK(interval->transport.keepAliveProbe == milliseconds(7'000));
  CHECK(interval->keepAlive.enabled);
  CHECK(interval->keepAlive.idleTimeout == milliseconds(0));  // no idle timeout
  CHECK(interval->keepAlive.maxIdlePerHost == 2);             // DefaultMaxIdleConnsPerHost

  auto off = parseTransport(R"({"protocol": "http", "keep_alive": {"enabled": false}})");
  CHECK_FALSE(off->keepAlive.enabled);
  CHECK(off->transport.keepAliveProbe == milliseconds(15'000));  // Go's dialer default still probes

  auto negative = parseTransport(R"({"protocol": "http", "keep_alive": {"probe_interval": -1}})");
  CHECK(negative->transport.keepAliveProbe < milliseconds(0));

  auto conns = parseTransport(
      R"({"protocol": "http", "keep_alive": {"max_idle_conns": 5, "max_idle_conns_per_host": 3, "idle_timeout": 60000000000}})");
  CHECK(conns->keepAlive.maxIdle == 5);
  CHECK(conns->keepAlive.maxIdlePerHost == 3);
  CHECK(conns->keepAlive.idleTimeout == milliseconds(60'000));

  auto noIdle = parseTransport(R"({"protocol": "http", "keep_alive": {"max_idle_conns_per_host": -1}})");
  CHECK(noIdle->keepAlive.maxIdlePerHost == 0);

  CHECK_THROWS_AS(parseTransport(R"({"protocol": "http", "keep_alive": {"probe": 1}})"),
                  gatehouse::provision::ProvisionError);
}

TEST_CASE("max_conns_per_host: a shared limit when positive, none at zero", "[proxy]") {
  auto limited = parseTransport(R"({"protocol": "http", "max_conns_per_host": 5})");
  REQUIRE(limited->connLimit);
  CHECK(limited->connLimit->perHost() == 5);
  CHECK_FALSE(parseTransport(R"({"protocol": "http", "max_conns_per_host": 0})")->connLimit);
  CHECK_THROWS_AS(parseTransport(R"({"protocol": "http", "max_conns_per_host": "5"})"),
                  gatehouse::provision::ProvisionError);
}

TEST_CASE("TCP keep-alive probes as Go's dialer sets them", "[proxy]") {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  CHECK(gatehouse::proxy::setTcpKeepAlive(fd, milliseconds(7'000)) == 0);
  CHECK(sockOpt(fd, SOL_SOCKET, SO_KEEPALIVE) == 1);
  CHECK(sockOpt(fd, IPPROTO_TCP, TCP_KEEPIDLE) == 7);
  CHECK(sockOpt(fd, IPPROTO_TCP, TCP_KEEPINTVL) == 7);
  CHECK(gatehouse::proxy::setTcpKeepAlive(fd, milliseconds(1'500)) == 0);  // rounded up
  CHECK(sockOpt(fd, IPPROTO_TCP, TCP_KEEPIDLE) == 2);
  close(fd);

  const int untouched = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(gatehouse::proxy::setTcpKeepAlive(untouched, milliseconds(-1)) == 0);
  CHECK(sockOpt(untouched, SOL_SOCKET, SO_KEEPALIVE) == 0);
  close(untouched);
}
