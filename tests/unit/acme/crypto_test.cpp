// JWS, JWK, thumbprints, base64url, CSRs and the TLS-ALPN-01 certificate, checked against
// RFC vectors and OpenSSL's own verification.
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include "crypto/base64url.h"
#include "crypto/csr.h"
#include "crypto/jwk.h"
#include "crypto/jws.h"
#include "crypto/ossl_handles.h"
#include "crypto/private_key.h"
#include "crypto/tls_alpn_cert.h"

using namespace gatehouse::acme;

namespace {
// Verifies a flattened JWS with OpenSSL, converting a raw r||s signature back to DER.
bool verifyJws(const PrivateKey& key, const nlohmann::json& jws) {
  const std::string input = jws["protected"].get<std::string>() + "." + jws["payload"].get<std::string>();
  std::string sig = *base64urlDecode(jws["signature"].get<std::string>());
  const bool ec = EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_EC;
  const int bits = EVP_PKEY_get_bits(key.get());
  if (ec) {
    const size_t w = (bits + 7) / 8;
    REQUIRE(sig.size() == 2 * w);
    EcdsaSigPtr es(ECDSA_SIG_new());
    ECDSA_SIG_set0(es.get(), BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()), int(w), nullptr),
                   BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + w, int(w), nullptr));
    unsigned char* der = nullptr;
    const int len = i2d_ECDSA_SIG(es.get(), &der);
    sig.assign(reinterpret_cast<char*>(der), size_t(len));
    OPENSSL_free(der);
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const EVP_MD* md = ec && bits == 384 ? EVP_sha384() : EVP_sha256();
  REQUIRE(EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key.get()) == 1);
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}
}  // namespace

TEST_CASE("base64url encodes without padding and decodes both forms", "[acme]") {
  CHECK(base64url("") == "");
  CHECK(base64url("f") == "Zg");
  CHECK(base64url("fo") == "Zm8");
  CHECK(base64url("foo") == "Zm9v");
  CHECK(base64url(std::string("\xfb\xff", 2)) == "-_8");
  CHECK(*base64urlDecode("-_8") == std::string("\xfb\xff", 2));
  CHECK(*base64urlDecode("Zm8=") == "fo");
  CHECK_FALSE(base64urlDecode("Zm9v+").has_value());
  CHECK_FALSE(base64urlDecode("Z").has_value());
  CHECK(base64Std("fo") == "Zm8=");
}

TEST_CASE("RFC 7638 section 3.1 thumbprint vector", "[acme]") {
  const nlohmann::json jwk = {{"kty", "RSA"},
                              {"e", "AQAB"},
                              {"n",
                               "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuh"
                               "DR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjh"
                               "Mstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
                               "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQv"
                               "RL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_"
                               "xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnq"
                               "DKgw"}};
  CHECK(jwkThumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST_CASE("EC JWK keeps full-width coordinates and key authorization uses its thumbprint", "[acme]") {
  const PrivateKey key = PrivateKey::generate(KeyType::P256);
  const auto jwk = publicJwk(key);
  CHECK(jwk["kty"] == "EC");
  CHECK(jwk["crv"] == "P-256");
  CHECK(base64urlDecode(jwk["x"].get<std::string>())->size() == 32);
  CHECK(base64urlDecode(jwk["y"].get<std::string>())->size() == 32);
  CHECK(jwk.size() == 4);
  CHECK(keyAuthorization("tok", key) == "tok." + jwkThumbprint(jwk));
}

TEST_CASE("JWS signatures verify with OpenSSL for ES256, ES384 and RS256", "[acme]") {
  for (auto [type, alg] : {std::pair{KeyType::P256, "ES256"}, std::pair{KeyType::P384, "ES384"},
                           std::pair{KeyType::Rsa2048, "RS256"}}) {
    const PrivateKey key = PrivateKey::generate(type);
    const auto jws =
        signJws(key, {{"nonce", "n1"}, {"url", "https://ca/new-order"}, {"kid", "https://ca/acct/1"}},
                R"({"identifiers":[]})");
    const auto header = nlohmann::json::parse(*base64urlDecode(jws["protected"].get<std::string>()));
    CHECK(header["alg"] == alg);
    CHECK(header["nonce"] == "n1");
    CHECK(*base64urlDecode(jws["payload"].get<std::string>()) == R"({"identifiers":[]})");
    CHECK(verifyJws(key, jws));
    // Tampering breaks it.
    auto bad = jws;
    bad["payload"] = base64url("{}");
    CHECK_FALSE(verifyJws(key, bad));
  }
}

TEST_CASE("POST-as-GET has an empty payload", "[acme]") {
  const PrivateKey key = PrivateKey::generate(KeyType::P256);
  const auto jws = signJws(key, {{"nonce", "n"}, {"url", "u"}, {"kid", "k"}}, "");
  CHECK(jws["payload"] == "");
  CHECK(verifyJws(key, jws));
}

TEST_CASE("EAB is an HS256 JWS over the account JWK", "[acme]") {
  const PrivateKey key = PrivateKey::generate(KeyType::P256);
  const auto eab = signEab("kid-1", base64url("secret-mac-key-bytes"), "https://ca/new-acct", publicJwk(key));
  const auto header = nlohmann::json::parse(*base64urlDecode(eab["protected"].get<std::string>()));
  CHECK(header == nlohmann::json{{"alg", "HS256"}, {"kid", "kid-1"}, {"url", "https://ca/new-acct"}});
  CHECK(nlohmann::json::parse(*base64urlDecode(eab["payload"].get<std::string>())) == publicJwk(key));
  CHECK(base64urlDecode(eab["signature"].get<std::string>())->size() == 32);
  CHECK_THROWS(signEab("kid", "!!", "u", publicJwk(key)));
}

TEST_CASE("private keys round-trip through PEM for every key type", "[acme]") {
  for (auto type : {KeyType::P256, KeyType::P384, KeyType::Rsa2048, KeyType::Ed25519}) {
    const PrivateKey key = PrivateKey::generate(type);
    const PrivateKey back = PrivateKey::fromPem(key.toPem());
    CHECK(EVP_PKEY_eq(key.get(), back.get()) == 1);
  }
  CHECK_THROWS(PrivateKey::fromPem("not a key"));
  CHECK(parseKeyType("rsa4096") == KeyType::Rsa4096);
  CHECK_FALSE(parseKeyType("p521").has_value());
}

TEST_CASE("CSR carries every name as a SAN and is signed by the key", "[acme]") {
  for (auto type : {KeyType::P256, KeyType::Rsa2048, KeyType::Ed25519}) {
    const PrivateKey key = PrivateKey::generate(type);
    const std::string der = buildCsrDer(key, {"a.test", "www.a.test", "127.0.0.1"});
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    X509ReqPtr req(d2i_X509_REQ(nullptr, &p, long(der.size())));
    REQUIRE(req);
    CHECK(X509_REQ_verify(req.get(), key.get()) == 1);
    STACK_OF(X509_EXTENSION)* exts = X509_REQ_get_extensions(req.get());
    GeneralNamesPtr sans(
        static_cast<GENERAL_NAMES*>(X509V3_get_d2i(exts, NID_subject_alt_name, nullptr, nullptr)));
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    REQUIRE(sans);
    REQUIRE(sk_GENERAL_NAME_num(sans.get()) == 3);
    CHECK(sk_GENERAL_NAME_value(sans.get(), 0)->type == GEN_DNS);
    CHECK(sk_GENERAL_NAME_value(sans.get(), 1)->type == GEN_DNS);
    CHECK(sk_GENERAL_NAME_value(sans.get(), 2)->type == GEN_IPADD);
  }
}

TEST_CASE("TLS-ALPN-01 certificate has the name and a critical acmeIdentifier", "[acme]") {
  const std::string keyAuth = "token.thumbprint";
  const auto cert = buildTlsAlpnCertificate("a.test", keyAuth);
  BioPtr bio(BIO_new_mem_buf(cert.certPem.data(), int(cert.certPem.size())));
  X509Ptr x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(x);
  CHECK(X509_check_host(x.get(), "a.test", 0, 0, nullptr) == 1);
  Asn1ObjectPtr oid(OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1));
  const int idx = X509_get_ext_by_OBJ(x.get(), oid.get(), -1);
  REQUIRE(idx >= 0);
  X509_EXTENSION* ext = X509_get_ext(x.get(), idx);
  CHECK(X509_EXTENSION_get_critical(ext) == 1);
  // extnValue = DER OCTET STRING (04 20) holding SHA-256(keyAuth).
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(ext);
  const std::string got(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                        size_t(ASN1_STRING_length(value)));
  CHECK(got == std::string("\x04\x20", 2) + sha256(keyAuth));
  // Self-signed with the key that comes with it.
  const PrivateKey key = PrivateKey::fromPem(cert.keyPem);
  CHECK(X509_verify(x.get(), key.get()) == 1);
}
