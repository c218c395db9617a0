// The path byte sets (Go's shouldEscape in encodePath mode, and validEncoded) as tables
// must keep every byte's answer.
#include <catch2/catch.hpp>
#include <string>
#include <string_view>

#include "gatehouse/runtime/exchange.h"
#include "http/uri.h"

namespace {
bool unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("-._~$&+,/:;=@!'()*").find(static_cast<char>(c)) != std::string_view::npos;
}
}  // namespace

TEST_CASE("uri: every byte escaped or kept as Go's encodePath, a received path kept as Go's validEncoded") {
  for (int b = 0; b < 256; ++b) {
    const auto c = static_cast<unsigned char>(b);
    const std::string one(1, static_cast<char>(c));
    INFO("byte " << b);
    CHECK((gatehouse::http::escapePath(one) == one) == unreserved(c));
    if (c == '%' || c == '?' || c == '#') {
      continue;  // an escape, the query, a fragment
    }
    gatehouse::runtime::Request req;
    req.method = "GET";
    const std::string target = "/a" + one;
    if (gatehouse::http::parseTarget(target, req)) {
      CHECK((req.rawPath == target) == (unreserved(c) || c == '[' || c == ']'));
    }
  }
  gatehouse::runtime::Request req;
  req.method = "GET";
  REQUIRE(gatehouse::http::parseTarget("/a%20b/[x]", req));
  CHECK(req.rawPath == "/a%20b/[x]");
  CHECK(req.path == "/a b/[x]");
}
