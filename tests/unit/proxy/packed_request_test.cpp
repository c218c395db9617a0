// PackedRequest: what a relayed tunnel keeps of its request comes back whole for a reload's
// route check.
#include "proxy/packed_request.h"

#include <catch2/catch.hpp>

using gatehouse::proxy::PackedRequest;
using gatehouse::runtime::Request;

TEST_CASE("PackedRequest gives back every field a route matcher reads", "[proxy][relay]") {
  Request r;
  r.method = "GET";
  r.host = "chat.example.com:8443";
  r.path = "/ws/a b";
  r.rawPath = "/ws/a%20b";
  r.query = "room=1&x=";
  r.hasQuery = true;
  r.origUri = "/ws/a%20b?room=1&x=";
  r.headers.emplaceBack("Host", "chat.example.com:8443");
  r.headers.emplaceBack("Upgrade", "websocket");
  r.headers.emplaceBack("Connection", "Upgrade");
  r.headers.emplaceBack("X-Empty", "");
  r.versionMinor = 1;
  r.tls = true;
  r.remoteIp = "::1";
  r.remotePort = 51234;
  r.localPort = 8443;
  r.upgrade = "websocket";

  const PackedRequest packed(r);
  Request back;
  packed.unpack(back);
  CHECK(back.method == r.method);
  CHECK(back.host == r.host);
  CHECK(back.path == r.path);
  CHECK(back.rawPath == r.rawPath);
  CHECK(back.query == r.query);
  CHECK(back.hasQuery);
  CHECK(back.origUri == r.origUri);
  CHECK(back.remoteIp == r.remoteIp);
  CHECK(back.remotePort == 51234);
  CHECK(back.localPort == 8443);
  CHECK(back.tls);
  CHECK(back.versionMajor == 1);
  CHECK(back.versionMinor == 1);
  CHECK(back.upgrade == "websocket");
  REQUIRE(back.headers.size() == 4);
  CHECK(back.headers.get("upgrade") == "websocket");
  CHECK(back.headers.has("X-Empty"));
  CHECK(back.headers.get("X-Empty").empty());
}

TEST_CASE("An empty PackedRequest leaves the request as it is", "[proxy][relay]") {
  const PackedRequest packed;
  Request back;
  back.method = "GET";
  packed.unpack(back);
  CHECK(back.method == "GET");
  CHECK(back.headers.empty());
}
