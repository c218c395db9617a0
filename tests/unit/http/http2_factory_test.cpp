#include <catch2/catch.hpp>

#include "gatehouse/config/site_graph.h"
#include "http/h2_session_factory.h"
#include "http/http2_session.h"
#include "http/protocol_sniffer.h"
#include "http2_test_client.h"
#include "provision/provision_error.h"
#include "provision/runtime.h"
#include "router/site_router.h"

using gatehouse::config::configFromJson;
using gatehouse::config::Json;
using gatehouse::provision::provisionRuntime;

namespace {
std::unique_ptr<gatehouse::provision::Runtime> withProtocols(const std::string& protocols) {
  auto cfg = Json::parse(
      R"({"apps":{"http":{"servers":{"srv0":{"listen":[":0"],)" + protocols +
      R"("routes":[{"handle":[{"handler":"static_response","body":"{http.request.proto}"}]}]}}}}})");
  return provisionRuntime(configFromJson(cfg));
}
}  // namespace

TEST_CASE("h2: the protocols server option") {
  CHECK_FALSE(gatehouse::http::h2cAllowed(*withProtocols("")->servers[0]));
  CHECK_FALSE(gatehouse::http::h2cAllowed(*withProtocols(R"("protocols":["h1","h2","h3"],)")->servers[0]));
  CHECK(gatehouse::http::h2cAllowed(*withProtocols(R"("protocols":["h1","h2","h2c"],)")->servers[0]));
  CHECK_THROWS_WITH(withProtocols(R"("protocols":["h2c"],)"), Catch::Contains("without enabling HTTP/1.1"));
  CHECK_THROWS_WITH(withProtocols(R"("protocols":["h1","spdy"],)"), Catch::Contains("not supported yet"));
}

TEST_CASE("h2: the sniffer hands a preface to HTTP/2 and anything else to HTTP/1.1") {
  uv_loop_t loop{};
  uv_loop_init(&loop);
  {
    auto rt = withProtocols(R"("protocols":["h1","h2","h2c"],)");
    gatehouse::router::SiteRouter router(*rt->servers[0]);
    gatehouse::http::DateCache dates;
    SECTION("HTTP/2 with prior knowledge, the preface split over reads") {
      gatehouse::testing::MemoryTransport transport(&loop);
      auto session = gatehouse::http::makeCleartextSession(transport, router, dates, *rt->servers[0]);
      gatehouse::testing::H2Client client;
      const int32_t id = client.request("GET", "/");
      const std::string bytes = client.takeOutput();
      session->onData(bytes.data(), 5);
      CHECK(transport.out.empty());
      session->onData(bytes.data() + 5, bytes.size() - 5);
      client.feed(transport.out);
      CHECK(client.streams[id].headers[":status"] == "200");
      CHECK(client.streams[id].body == "HTTP/2.0");
      auto* sniffer = dynamic_cast<gatehouse::http::ProtocolSniffer*>(session.get());
      REQUIRE(sniffer != nullptr);
      CHECK(dynamic_cast<gatehouse::http::Http2Session*>(sniffer->inner()) != nullptr);
    }
    SECTION("HTTP/1.1 on the same port") {
      gatehouse::testing::MemoryTransport transport(&loop);
      auto session = gatehouse::http::makeCleartextSession(transport, router, dates, *rt->servers[0]);
      const std::string req = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
      session->onData(req.data(), req.size());
      CHECK(transport.out.starts_with("HTTP/1.1 200 OK\r\n"));
      CHECK(transport.out.ends_with("HTTP/1.1"));
    }
  }
  for (int i = 0; i < 100 && uv_run(&loop, UV_RUN_NOWAIT) != 0; ++i) {
  }
  uv_loop_close(&loop);
}

TEST_CASE("h2: the sniffer before it decided: EOF and shutdown close the connection") {
  uv_loop_t loop{};
  uv_loop_init(&loop);
  {
    auto rt = withProtocols(R"("protocols":["h1","h2","h2c"],)");
    gatehouse::router::SiteRouter router(*rt->servers[0]);
    gatehouse::http::DateCache dates;
    gatehouse::testing::MemoryTransport transport(&loop);
    auto session = gatehouse::http::makeCleartextSession(transport, router, dates, *rt->servers[0]);
    SECTION("a truncated preface, then EOF") {
      session->onData("PRI * HT", 8);
      CHECK(session->idle());
      session->onEof();
      CHECK(transport.closed);
    }
    SECTION("graceful stop before any byte came") {
      session->shutdown();
      CHECK(transport.closed);
    }
    SECTION("graceful stop while only part of the preface came: the client may finish") {
      session->onData("PRI", 3);
      session->shutdown();
      CHECK_FALSE(transport.closed);
      const std::string_view rest = gatehouse::http::ProtocolSniffer::kPreface.substr(3);
      session->onData(rest.data(), rest.size());
      CHECK(transport.out.size() > 9);  // SETTINGS, the GOAWAY notice and its PING
      CHECK_FALSE(transport.closed);
      session->onEof();
      CHECK(transport.closed);
    }
  }
  for (int i = 0; i < 100 && uv_run(&loop, UV_RUN_NOWAIT) != 0; ++i) {
  }
  uv_loop_close(&loop);
}
