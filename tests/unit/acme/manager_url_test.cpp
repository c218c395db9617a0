// The URL Caddy's tls.get_certificate.http asks, byte for byte as caddy 2.6.2 sends it (the
// expected strings were recorded from caddy 2.6.2 against a loopback endpoint).
#include "getcert/manager_url.h"

#include <catch2/catch.hpp>

using gatehouse::acme::managerUrl;
using gatehouse::acme::redactedUrl;
using gatehouse::tls::ManagerQuery;

TEST_CASE("manager URL: query keys sorted, values in Go's encoding, own query kept", "[getcert]") {
  ManagerQuery q{"a.test", {0x0403, 0x0804}, {0x1302, 0xc02c, 0x9f, 0xff}};
  CHECK(managerUrl("http://127.0.0.1:1/cert?x=1", q) ==
        "http://127.0.0.1:1/cert?cipher_suites=1302%2Cc02c%2C9f%2Cff&server_name=a.test&"
        "signature_schemes=403%2C804&x=1");
  // A configured server_name is replaced; repeated keys keep their order; '+' is a space.
  CHECK(managerUrl("https://h/p?z=a+b&server_name=evil&z=2#frag", q) ==
        "https://h/p?cipher_suites=1302%2Cc02c%2C9f%2Cff&server_name=a.test&"
        "signature_schemes=403%2C804&z=a+b&z=2#frag");
}

TEST_CASE("manager URL: no SNI and no extensions give empty values", "[getcert]") {
  CHECK(managerUrl("http://h/c", ManagerQuery{}) ==
        "http://h/c?cipher_suites=&server_name=&signature_schemes=");
}

TEST_CASE("manager URL: pairs Go drops (semicolons, bad escapes) are dropped", "[getcert]") {
  CHECK(managerUrl("http://h/c?a=1;b=2&c=%zz&d=%41", ManagerQuery{}) ==
        "http://h/c?cipher_suites=&d=A&server_name=&signature_schemes=");
}

TEST_CASE("redacted URL: no user info, query or fragment", "[getcert]") {
  CHECK(redactedUrl("https://user:pw@certs.example:8443/get?token=x#f") == "https://certs.example:8443/get");
  CHECK(redactedUrl("http://127.0.0.1:9/cert?token=x") == "http://127.0.0.1:9/cert");
  CHECK(redactedUrl("http://h") == "http://h");
}
