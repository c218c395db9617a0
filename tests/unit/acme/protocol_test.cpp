// Pieces of the ACME protocol that do not need a CA: problems, directory, Retry-After, Link
// headers, ARI windows and certificate facts, the HTTP-01 responder.
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include "crypto/certificate_info.h"
#include "crypto/ossl_handles.h"
#include "crypto/tls_alpn_cert.h"
#include "gatehouse/acme/challenge_responder.h"
#include "http/http_types.h"
#include "protocol/directory.h"
#include "protocol/problem.h"
#include "protocol/retry_after.h"
#include "service/renewal_policy.h"
#include "solvers/http01_listener.h"

using namespace gatehouse::acme;

TEST_CASE("problem documents are parsed and compared by ACME type", "[acme]") {
  auto p = parseProblem(
      R"({"type":"urn:ietf:params:acme:error:badNonce","detail":"JWS has an invalid anti-replay nonce","status":400})",
      400);
  REQUIRE(p);
  CHECK(p->is("badNonce"));
  CHECK_FALSE(p->is("badNonc"));
  CHECK(p->describe() == "400 urn:ietf:params:acme:error:badNonce - JWS has an invalid anti-replay nonce");
  CHECK_FALSE(parseProblem("<html>oops</html>", 500).has_value());
  CHECK_FALSE(parseProblem("{}", 500).has_value());
  CHECK(parseProblem(R"({"detail":"x"})", 503)->status == 503);
}

TEST_CASE("directory requires the core URLs and reads ARI and EAB metadata", "[acme]") {
  const auto d = parseDirectory(R"({"newNonce":"n","newAccount":"a","newOrder":"o","renewalInfo":"r",
    "meta":{"externalAccountRequired":true,"termsOfService":"tos"}})");
  CHECK(d.newOrder == "o");
  CHECK(d.renewalInfo == "r");
  CHECK(d.externalAccountRequired);
  CHECK(d.termsOfService == "tos");
  CHECK_THROWS_WITH(parseDirectory(R"({"newNonce":"n","newAccount":"a"})"),
                    "directory has no \"newOrder\" URL");
  CHECK_THROWS_WITH(parseDirectory("garbage"), "directory is not a JSON object");
}

TEST_CASE("Retry-After accepts seconds and HTTP dates", "[acme]") {
  const auto now = std::chrono::system_clock::from_time_t(1764158400);  // 2025-11-26T12:00:00Z
  CHECK(parseRetryAfter("120", now) == std::chrono::seconds(120));
  CHECK(parseRetryAfter("Wed, 26 Nov 2025 12:00:30 GMT", now) == std::chrono::seconds(30));
  CHECK(parseRetryAfter("Wed, 26 Nov 2025 11:00:00 GMT", now) == std::chrono::seconds(0));
  CHECK_FALSE(parseRetryAfter("soon", now).has_value());
  CHECK_FALSE(parseRetryAfter("", now).has_value());
}

TEST_CASE("Link headers are split by rel", "[acme]") {
  HttpResponse r;
  r.headers = {{"Link", R"(<https://ca/dir>;rel="index", <https://ca/cert/1/alt/1>; rel="alternate")"},
               {"link", "<https://ca/cert/1/alt/2>;rel=alternate"},
               {"Content-Type", "application/pem-certificate-chain"}};
  CHECK(r.links("alternate") ==
        std::vector<std::string>{"https://ca/cert/1/alt/1", "https://ca/cert/1/alt/2"});
  CHECK(r.links("index") == std::vector<std::string>{"https://ca/dir"});
  CHECK(r.header("content-type") == "application/pem-certificate-chain");
  CHECK(r.header("Replay-Nonce").empty());
}

TEST_CASE("ARI windows are parsed and a time is picked inside", "[acme]") {
  const auto w = parseRenewalInfo(nlohmann::json::parse(
      R"({"suggestedWindow":{"start":"2026-01-01T00:00:00Z","end":"2026-01-03T00:00:00Z"}})"));
  REQUIRE(w);
  CHECK(pickInWindow(*w, 0.5) - w->start == std::chrono::hours(24));
  CHECK_FALSE(parseRenewalInfo(nlohmann::json::parse(
      R"({"suggestedWindow":{"start":"2026-01-03T00:00:00Z","end":"2026-01-01T00:00:00Z"}})")));
  CHECK_FALSE(parseRenewalInfo(nlohmann::json::parse("{}")));
}

TEST_CASE("certificate facts: names, validity, renewal at two thirds", "[acme]") {
  const auto cert = buildTlsAlpnCertificate("a.test", "x.y");
  const auto info = readCertificateInfo(cert.certPem);
  CHECK(info.names == std::vector<std::string>{"a.test"});
  CHECK(info.notAfter - info.notBefore == std::chrono::hours(24 * 7));
  const auto lifetime = info.notAfter - info.notBefore;
  CHECK(info.notAfter - defaultRenewalTime(info) == lifetime / 3);
  CHECK(splitPemCertificates(cert.certPem + cert.certPem).size() == 2);
  CHECK(certificateMatchesKey(cert.certPem, cert.keyPem));
  CHECK_FALSE(certificateMatchesKey(cert.certPem, buildTlsAlpnCertificate("a.test", "x.y").keyPem));
  CHECK_FALSE(certificateMatchesKey("junk", cert.keyPem));
  CHECK_THROWS(readCertificateInfo("nope"));
}

TEST_CASE("the challenge responder answers only tokens it presents", "[acme]") {
  ChallengeResponder r;
  r.setHttp01("tok", "tok.thumb");
  CHECK(r.http01ForPath("/.well-known/acme-challenge/tok") == "tok.thumb");
  CHECK(r.http01ForPath("/.well-known/acme-challenge/tok?x=1") == "tok.thumb");
  CHECK_FALSE(r.http01ForPath("/.well-known/acme-challenge/other"));
  CHECK_FALSE(r.http01ForPath("/.well-known/acme-challenge/tok/extra"));
  CHECK_FALSE(r.http01ForPath("/tok"));
  r.setTlsAlpn01("A.Test", {"cert", "key"});
  CHECK(r.tlsAlpn01("a.test")->certPem == "cert");
  r.clearTlsAlpn01("a.test");
  CHECK_FALSE(r.tlsAlpn01("a.test"));

  const auto ok = http01Response(r, "GET /.well-known/acme-challenge/tok HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(ok.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(ok.find("\r\n\r\ntok.thumb") != std::string::npos);
  CHECK(http01Response(r, "HEAD /.well-known/acme-challenge/tok HTTP/1.1\r\n\r\n").find("tok.thumb") ==
        std::string::npos);
  CHECK(http01Response(r, "GET / HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404", 0) == 0);
  CHECK(http01Response(r, "POST /.well-known/acme-challenge/tok HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 405", 0) ==
        0);
  CHECK(http01Response(r, "garbage\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);
  r.clearHttp01("tok");
  CHECK(http01Response(r, "GET /.well-known/acme-challenge/tok HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404", 0) ==
        0);
}

namespace {
// A self-signed certificate with the serial and Authority Key Identifier of RFC 9773's
// example (section 4.1), which only the ARI CertID reads.
std::string rfc9773ExampleCertificate() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr x(X509_new());
  REQUIRE((key && x));
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(x.get()), 0x87654321);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600);
  X509_set_pubkey(x.get(), key.get());
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("ari.test"), -1,
                             -1, 0);
  X509_set_issuer_name(x.get(), name);
  const unsigned char keyId[] = {0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40, 0x41, 0xE1, 0xB3,
                                 0x7B, 0x84, 0x7B, 0xA0, 0xAE, 0x2C, 0xDE, 0x01, 0xC8, 0xD4};
  std::unique_ptr<AUTHORITY_KEYID, OsslDeleter<AUTHORITY_KEYID_free>> akid(AUTHORITY_KEYID_new());
  akid->keyid = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(akid->keyid, keyId, sizeof keyId);
  X509_add1_ext_i2d(x.get(), NID_authority_key_identifier, akid.get(), 0, X509V3_ADD_DEFAULT);
  REQUIRE(X509_sign(x.get(), key.get(), EVP_sha256()) > 0);
  BioPtr out(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(out.get(), x.get());
  char* data = nullptr;
  const long len = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}
}  // namespace

TEST_CASE("ARI CertID: base64url(AKI keyIdentifier) . base64url(serial DER octets), RFC 9773's example",
          "[acme]") {
  // RFC 9773 section 4.1: keyIdentifier 69:88:5B:...:C8:D4 and serial 00:87:65:43:21.
  CHECK(readCertificateInfo(rfc9773ExampleCertificate()).ariCertId == "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
}
