// The admin endpoint's Host and Origin checks, with the texts caddy 2.6.2 answers (taken
// from its responses to the same requests).
#include "admin/admin_guard.h"

#include <catch2/catch.hpp>

namespace ad = gatehouse::admin;

TEST_CASE("default origins: the listen address and the loopback names on its port", "[admin]") {
  ad::AdminGuard g({}, "localhost", 2019);
  CHECK(g.allowed() == std::vector<std::string>{"//localhost:2019", "//[::1]:2019", "//127.0.0.1:2019"});
  CHECK_FALSE(g.checkHost("localhost:2019"));
  CHECK_FALSE(g.checkHost("[::1]:2019"));
  CHECK_FALSE(g.checkHost("127.0.0.1:2019"));
  CHECK(g.checkHost("localhost") == std::optional<std::string>("host not allowed: localhost"));
  CHECK(g.checkHost("evil.test:2019"));
  CHECK_FALSE(g.enforceOrigin());
}

TEST_CASE("origins replace the defaults; enforce_origin checks Origin or Referer", "[admin]") {
  ad::AdminGuard g({std::vector<std::string>{"127.0.0.1:28019", "example.test", "https://secure.test"}, true},
                   "127.0.0.1", 28019);
  CHECK(g.checkHost("localhost:28019") == std::optional<std::string>("host not allowed: localhost:28019"));
  CHECK_FALSE(g.checkHost("example.test"));
  std::string allow;
  CHECK_FALSE(g.checkOrigin("http://example.test", "", allow));
  CHECK(allow == "http://example.test");
  CHECK_FALSE(g.checkOrigin("", "https://example.test/a/b?c", allow));
  CHECK(allow == "https://example.test");
  CHECK(g.checkOrigin("", "", allow) ==
        std::optional<std::string>("client is not allowed to access from origin ''"));
  CHECK(g.checkOrigin("http://evil.test", "", allow) ==
        std::optional<std::string>("client is not allowed to access from origin 'http://evil.test'"));
  CHECK(g.checkOrigin("example.test", "", allow));  // no scheme: a path to Go, no host
  CHECK_FALSE(g.checkOrigin("https://secure.test", "", allow));
  CHECK(g.checkOrigin("http://secure.test", "", allow));  // the scheme named must match
}
