#include "proxy/proxy_errors.h"

#include <catch2/catch.hpp>

namespace px = gatehouse::proxy;

TEST_CASE("a name the DNS does not know reads as Go's resolver words it", "[proxy][errors]") {
  // caddy 2.6.2 (pure Go resolver), `reverse_proxy nonexistent.invalid:80`, {err.message}:
  // "dial tcp: lookup nonexistent.invalid on 10.255.255.53:53: no such host"
  CHECK(px::noSuchHostText("nonexistent.invalid",
                           px::goNameserver("# generated\nsearch lan\nnameserver 10.255.255.53\n")) ==
        "dial tcp: lookup nonexistent.invalid on 10.255.255.53:53: no such host");
  CHECK(px::goNameserver("nameserver 127.0.0.11\nnameserver 8.8.8.8\n") ==
        "127.0.0.11:53");  // the first answered
  CHECK(px::goNameserver("nameserver fd00::1\n") == "[fd00::1]:53");
  CHECK(px::goNameserver("") == "127.0.0.1:53");  // Go's default
}
