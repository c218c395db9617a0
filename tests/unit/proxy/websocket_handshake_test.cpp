// The RFC 6455 handshake reverse_proxy makes for a WebSocket over HTTP/2 (RFC 8441).
#include "proxy/websocket_handshake.h"

#include <catch2/catch.hpp>
#include <string>

using gatehouse::proxy::acceptUpstreamWebSocket;
using gatehouse::proxy::isH2WebSocket;
using gatehouse::proxy::newWebSocketKey;
using gatehouse::proxy::webSocketAccept;
using gatehouse::runtime::HeaderList;
using gatehouse::runtime::Request;

TEST_CASE("Sec-WebSocket-Accept as RFC 6455 1.3 computes it", "[proxy][websocket]") {
  REQUIRE(webSocketAccept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("a fresh key per handshake: 16 random bytes in base64", "[proxy][websocket]") {
  const std::string a = newWebSocketKey();
  const std::string b = newWebSocketKey();
  REQUIRE(a.size() == 24);
  REQUIRE(a.ends_with("=="));
  REQUIRE(a != b);
}

TEST_CASE("only an HTTP/2 extended CONNECT for websocket is converted", "[proxy][websocket]") {
  Request r;
  r.method = "CONNECT";
  r.upgrade = "websocket";
  r.versionMajor = 2;
  REQUIRE(isH2WebSocket(r));
  r.upgrade = "connect-udp";
  REQUIRE_FALSE(isH2WebSocket(r));
  r.upgrade = "websocket";
  r.versionMajor = 1;
  REQUIRE_FALSE(isH2WebSocket(r));
  r.versionMajor = 2;
  r.method = "GET";
  REQUIRE_FALSE(isH2WebSocket(r));
}

TEST_CASE("the upstream's 101 must upgrade to websocket with the matching accept", "[proxy][websocket]") {
  const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  HeaderList good;
  good.add("upgrade", "WebSocket");
  good.add("sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  good.add("sec-websocket-protocol", "chat");
  REQUIRE(acceptUpstreamWebSocket(good, key));
  REQUIRE_FALSE(good.has("Sec-WebSocket-Accept"));  // meaningless to the HTTP/2 client
  REQUIRE(good.get("Sec-WebSocket-Protocol") == "chat");

  HeaderList wrong;
  wrong.add("Upgrade", "websocket");
  wrong.add("Sec-WebSocket-Accept", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  REQUIRE_FALSE(acceptUpstreamWebSocket(wrong, key));
  HeaderList other;
  other.add("Upgrade", "h2c");
  other.add("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  REQUIRE_FALSE(acceptUpstreamWebSocket(other, key));
  HeaderList none;
  none.add("Upgrade", "websocket");
  REQUIRE_FALSE(acceptUpstreamWebSocket(none, key));
}
