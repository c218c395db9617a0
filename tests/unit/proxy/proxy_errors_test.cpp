#include <catch2/catch.hpp>

#include "proxy/proxy_errors.h"

namespace px = gatehouse::proxy;

TEST_CASE("a name the DNS does not know reads as Go's resolver words it", "[proxy][errors]") {
  // caddy 2.6.2 (pure Go resolver), `reverse_proxy nonexistent.invalid:80`, {err.message}:
  // "dial tcp: lookup nonexistent.invalid on 10.255.255.53:53: no such host"
  CHECK(px::noSuchHostText("nonexistent.invalid", "# generated\nsearch lan\nnameserver 10.255.255.53\n") ==
        "dial tcp: lookup nonexistent.invalid on 10.255.255.53:53: no such host");
  CHECK(px::noSuchHostText("app", "nameserver 127.0.0.11\nnameserver 8.8.8.8\n") ==
        "dial tcp: lookup app on 127.0.0.11:53: no such host");  // the first server answered
  CHECK(px::noSuchHostText("db", "nameserver fd00::1\n") == "dial tcp: lookup db on [fd00::1]:53: no such host");
  CHECK(px::noSuchHostText("db", "") == "dial tcp: lookup db on 127.0.0.1:53: no such host");  // Go's default
}
