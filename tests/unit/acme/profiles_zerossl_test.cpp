// ACME profiles in the directory (meta.profiles) and the check made before newOrder, and
// ZeroSSL's EAB credentials API (request and answer). Pebble 2.4 offers no profiles and
// ZeroSSL's API is out of reach here, so both are tested without a server.
#include <catch2/catch.hpp>

#include "protocol/directory.h"
#include "protocol/zerossl_eab.h"

using namespace gatehouse::acme;

namespace {
const char* kDirectory = R"({"newNonce":"n","newAccount":"a","newOrder":"o",
  "meta":{"profiles":{"classic":"The same profile you're accustomed to","shortlived":"Six-day certificates",
  "tlsserver":"https://letsencrypt.org/docs/profiles#tlsserver"}}})";
}

TEST_CASE("directory: meta.profiles is read as name -> description", "[acme][profiles]") {
  const auto d = parseDirectory(kDirectory);
  REQUIRE(d.profiles.size() == 3);
  CHECK(d.profiles.at("shortlived") == "Six-day certificates");
  CHECK(parseDirectory(R"({"newNonce":"n","newAccount":"a","newOrder":"o"})").profiles.empty());
  // A malformed profiles member is ignored, not fatal (the CA's default profile applies).
  CHECK(parseDirectory(R"({"newNonce":"n","newAccount":"a","newOrder":"o","meta":{"profiles":["x"]}})")
            .profiles.empty());
}

TEST_CASE("profile check before newOrder names what the CA offers", "[acme][profiles]") {
  const auto d = parseDirectory(kDirectory);
  CHECK(profileProblem(d, "").empty());
  CHECK(profileProblem(d, "shortlived").empty());
  CHECK(profileProblem(d, "sixday") ==
        "the CA does not offer profile 'sixday'; available profiles: classic, shortlived, tlsserver");
  const auto none = parseDirectory(R"({"newNonce":"n","newAccount":"a","newOrder":"o"})");
  CHECK(profileProblem(none, "shortlived") ==
        "the CA offers no certificate profiles (its directory has no meta.profiles), so profile 'shortlived' "
        "cannot be requested");
  CHECK(profileProblem(none, "").empty());
}

TEST_CASE("ZeroSSL EAB request: by API key, else by email", "[acme][zerossl]") {
  const auto byKey = zeroSslEabRequest(kZeroSslApiBase, "abc123+/=", "me@example.com");
  CHECK(byKey.method == "POST");
  CHECK(byKey.url == "https://api.zerossl.com/acme/eab-credentials?access_key=abc123%2B%2F%3D");
  CHECK(byKey.body.empty());
  CHECK(byKey.headers.empty());

  const auto byEmail = zeroSslEabRequest("https://api.test/acme", "", "me+tag@example.com");
  CHECK(byEmail.method == "POST");
  CHECK(byEmail.url == "https://api.test/acme/eab-credentials-email");
  CHECK(byEmail.body == "email=me%2Btag%40example.com");
  REQUIRE(byEmail.headers.size() == 1);
  CHECK(byEmail.headers[0].first == "Content-Type");
  CHECK(byEmail.headers[0].second == "application/x-www-form-urlencoded");

  // No key and no email: Caddy's stand-in address.
  CHECK(zeroSslEabRequest(kZeroSslApiBase, "", "").body == "email=caddy%40zerossl.com");
}

TEST_CASE("ZeroSSL EAB answer: credentials, or the API's error with its code", "[acme][zerossl]") {
  const auto eab =
      parseZeroSslEabResponse(200, R"({"success":true,"eab_kid":"kid-1","eab_hmac_key":"bWFjLWtleQ"})");
  CHECK(eab.keyId == "kid-1");
  CHECK(eab.macKey == "bWFjLWtleQ");
  CHECK_THROWS_WITH(
      parseZeroSslEabResponse(401, R"({"success":false,"error":{"code":101,"type":"invalid_access_key"}})"),
      "ZeroSSL EAB credentials: HTTP 401: invalid_access_key (code 101)");
  // An error object wins even on 200 (the API reports failures in the body).
  CHECK_THROWS_WITH(parseZeroSslEabResponse(200, R"({"success":false,"error":{"code":2700,"type":"x"}})"),
                    "ZeroSSL EAB credentials: HTTP 200: x (code 2700)");
  CHECK_THROWS_WITH(parseZeroSslEabResponse(500, R"({"success":false})"),
                    "ZeroSSL EAB credentials: HTTP 500");
  CHECK_THROWS_WITH(parseZeroSslEabResponse(502, "<html>bad gateway</html>"),
                    "ZeroSSL EAB credentials: HTTP 502, not a JSON object");
  CHECK_THROWS_WITH(parseZeroSslEabResponse(200, R"({"success":true,"eab_kid":"k"})"),
                    "ZeroSSL EAB credentials: the answer has no eab_hmac_key");
  CHECK_THROWS_WITH(parseZeroSslEabResponse(200, R"({"success":true,"eab_kid":"","eab_hmac_key":"m"})"),
                    "ZeroSSL EAB credentials: the answer has no eab_kid");
}
