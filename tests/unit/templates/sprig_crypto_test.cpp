// Sprig's random crypto functions: output structure and verification, not bytes.
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include "crypto/ossl_handles.h"
#include "handlers/bcrypt.h"
#include "templates/caddy_context.h"
#include "templates/sprig_keys.h"

using namespace gatehouse::templates;
namespace acme = gatehouse::acme;

namespace {

std::string run(const std::string& text) {
  const FuncMap& funcs = baseFunctions();
  TemplateSet set;
  parseTemplate(set, "t", text, [&](std::string_view n) { return funcs.contains(n); }, {});
  std::string out;
  executeTemplate(set, funcs, "t", Value(), out);
  return out;
}

acme::X509Ptr certOf(const std::string& pem) {
  acme::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return acme::X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

std::string keyIdOf(EVP_PKEY* k) {
  return std::to_string(EVP_PKEY_get_base_id(k)) + "/" + std::to_string(EVP_PKEY_get_bits(k));
}

}  // namespace

TEST_CASE("sprig bcrypt and htpasswd give $2a$ cost-10 hashes that verify", "[templates]") {
  const std::string h = run(R"({{ bcrypt "s3cret" }})");
  CHECK(h.rfind("$2a$10$", 0) == 0);
  CHECK(h.size() == 60);
  CHECK(gatehouse::handlers::bcryptMatches(h, "s3cret") == true);
  CHECK(gatehouse::handlers::bcryptMatches(h, "other") == false);
  const std::string line = run(R"({{ htpasswd "alice" "pw" }})");
  REQUIRE(line.rfind("alice:$2a$10$", 0) == 0);
  CHECK(gatehouse::handlers::bcryptMatches(line.substr(6), "pw") == true);
  CHECK(run(R"({{ htpasswd "a:b" "pw" }})") == "invalid username: a:b");
}

TEST_CASE("sprig derivePassword: the Master Password vectors caddy 2.6.2 prints", "[templates]") {
  CHECK(run(R"({{ derivePassword 1 "long" "password" "user" "example.com" }})") == "ZedaFaxcZaso9*");
  CHECK(run(R"({{ derivePassword 1 "pin" "p" "u" "s" }})") == "2461");
}

TEST_CASE("sprig encryptAES round-trips; randBytes is base64 of n bytes", "[templates]") {
  CHECK(run(R"({{ encryptAES "k" "hello world" | decryptAES "k" }})") == "hello world");
  CHECK(
      run(R"({{ encryptAES "a-password-longer-than-32-bytes-xyz" "x" | decryptAES "a-password-longer-than-32-bytes-xyz" }})") ==
      "x");
  CHECK(run(R"({{ encryptAES "k" "0123456789abcdef" | len }})") == "64");  // IV + 2 blocks (a full pad block)
  CHECK(run(R"({{ randBytes 12 | len }})") == "16");
  CHECK(run(R"({{ ne (randBytes 16) (randBytes 16) }})") == "true");
}

TEST_CASE("sprig genPrivateKey: Sprig's PEM forms, parsed back to the same key type", "[templates]") {
  const std::string ec = run(R"({{ genPrivateKey "ecdsa" }})");
  CHECK(ec.rfind("-----BEGIN EC PRIVATE KEY-----\n", 0) == 0);
  CHECK(keyIdOf(parseSprigKeyPem(ec).get()) == std::to_string(EVP_PKEY_EC) + "/256");
  const std::string ed = run(R"({{ genPrivateKey "ed25519" }})");
  CHECK(ed.rfind("-----BEGIN PRIVATE KEY-----\n", 0) == 0);
  CHECK(EVP_PKEY_get_base_id(parseSprigKeyPem(ed).get()) == EVP_PKEY_ED25519);
  // Re-encoding a parsed key gives the same text, as Go's does.
  CHECK(sprigKeyPem(parseSprigKeyPem(ec).get()) == ec);
  CHECK(run(R"({{ genPrivateKey "x" }})") == "Unknown type x");
  CHECK_THROWS_WITH(parseSprigKeyPem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
                    "no private key data in PEM block of type CERTIFICATE");
}

TEST_CASE("sprig genCA / genSignedCert: a CA and a leaf that verifies against it", "[templates]") {
  const std::string out =
      run(R"({{ $k := genPrivateKey "ecdsa" }}{{ $ca := genCAWithKey "test-ca" 30 $k }})"
          R"({{ $leaf := genSignedCert "leaf.test" (list "127.0.0.1") (list "leaf.test" "b.test") 10 $ca }})"
          R"({{ $ca.Cert }}@@{{ $leaf.Cert }}@@{{ $leaf.Key }})");
  const auto a = out.find("@@");
  const auto b = out.find("@@", a + 2);
  REQUIRE(b != std::string::npos);
  auto ca = certOf(out.substr(0, a));
  auto leaf = certOf(out.substr(a + 2, b - a - 2));
  REQUIRE(ca);
  REQUIRE(leaf);
  CHECK(X509_check_ca(ca.get()) == 1);
  CHECK(X509_check_ca(leaf.get()) == 0);
  CHECK(X509_check_host(leaf.get(), "b.test", 0, 0, nullptr) == 1);
  CHECK(X509_check_ip_asc(leaf.get(), "127.0.0.1", 0) == 1);
  CHECK(X509_verify(leaf.get(), X509_get0_pubkey(ca.get())) == 1);
  CHECK(X509_check_issued(ca.get(), leaf.get()) == X509_V_OK);
  // The leaf's own key is RSA 2048 and matches its certificate.
  auto key = parseSprigKeyPem(out.substr(b + 2));
  CHECK(keyIdOf(key.get()) == std::to_string(EVP_PKEY_RSA) + "/2048");
  CHECK(X509_check_private_key(leaf.get(), key.get()) == 1);
  CHECK(X509_get_ext_by_NID(leaf.get(), NID_authority_key_identifier, -1) >= 0);
}

TEST_CASE("sprig genSelfSignedCertWithKey keeps the key; errors as Sprig words them", "[templates]") {
  CHECK(
      run(R"({{ $k := genPrivateKey "ed25519" }}{{ $c := genSelfSignedCertWithKey "me" nil (list "me.test") 1 $k }}{{ eq $c.Key $k }})") ==
      "true");
  CHECK_THROWS_WITH(run(R"({{ genSelfSignedCertWithKey "me" nil nil 1 "junk" }})"),
                    Catch::Contains("parsing private key: no PEM data in input"));
  CHECK_THROWS_WITH(run(R"({{ genCAWithKey "ca" 1 (genPrivateKey "dsa") }})"),
                    Catch::Contains("does not implement crypto.Signer"));
}
