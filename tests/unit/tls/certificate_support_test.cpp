// Certificate choice as caddy 2.6.2 makes it (Go's SupportsCertificate, certmagic's
// DefaultCertificateSelector and cache lookup): src/tls/certificate_support.cpp probed
// inside a real ClientHello callback, and ServerTls's name rules through whole handshakes.

#include "tls/certificate_support.h"

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <functional>

#include "tls/alpn_negotiation.h"
#include "tls/server_tls.h"
#include "tls/tls_stream.h"

using namespace gatehouse::tls;

namespace {

struct CertSpec {
  std::vector<std::string> dns;  // SAN DNS names (none: no SAN extension)
  std::string cn;                // subject CN ("" none)
  std::string key = "P-256";     // "P-256", "P-384" or "RSA"
  long fromSeconds = -3600;      // notBefore, relative to now
  long toSeconds = 86400;        // notAfter, relative to now
  std::vector<std::string> tags;
};

CertificatePtr makeCert(const CertSpec& spec) {
  EvpPkeyPtr key(spec.key == "RSA" ? EVP_RSA_gen(2048) : EVP_EC_gen(spec.key.c_str()));
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  static long serial = 1000;  // test-only; single-threaded
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.fromSeconds);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.toSeconds);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string cn = spec.cn.empty() ? "" : spec.cn;
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("test"), -1, -1,
                             0);
  if (!cn.empty()) {
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()),
                               -1, -1, 0);
  }
  X509_set_issuer_name(cert.get(), name);
  if (!spec.dns.empty()) {
    std::string san;
    for (const auto& n : spec.dns) {
      san += (san.empty() ? "DNS:" : ",DNS:") + n;
    }
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert.get(), key.get(), EVP_sha256());
  return std::make_shared<const Certificate>(std::move(cert), std::move(key), nullptr, spec.tags);
}

// What a test client offers. Empty strings leave OpenSSL's defaults.
struct Offer {
  std::string sni;
  int minVersion = TLS1_2_VERSION;
  int maxVersion = TLS1_3_VERSION;
  std::string sigalgs;  // "ECDSA+SHA256:rsa_pss_rsae_sha256"
  std::string groups;   // "X25519:P-256"
  std::string ciphers;  // TLS 1.2 suites
  std::vector<unsigned char> alpn;
};

// A client SSL on memory BIOs offering `o`.
struct Client {
  SslCtxPtr ctx{SSL_CTX_new(TLS_client_method())};
  SslPtr ssl;
  BIO* in = nullptr;
  BIO* out = nullptr;

  explicit Client(const Offer& o) {
    SSL_CTX_set_min_proto_version(ctx.get(), o.minVersion);
    SSL_CTX_set_max_proto_version(ctx.get(), o.maxVersion);
    ssl.reset(SSL_new(ctx.get()));
    if (!o.sigalgs.empty()) {
      REQUIRE(SSL_set1_sigalgs_list(ssl.get(), o.sigalgs.c_str()) == 1);
    }
    if (!o.groups.empty()) {
      REQUIRE(SSL_set1_groups_list(ssl.get(), o.groups.c_str()) == 1);
    }
    if (!o.ciphers.empty()) {
      REQUIRE(SSL_set_cipher_list(ssl.get(), o.ciphers.c_str()) == 1);
    }
    if (!o.alpn.empty()) {
      SSL_set_alpn_protos(ssl.get(), o.alpn.data(), static_cast<unsigned>(o.alpn.size()));
    }
    in = BIO_new(BIO_s_mem());
    out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(in, -1);
    SSL_set_bio(ssl.get(), in, out);
    SSL_set_connect_state(ssl.get());
    if (!o.sni.empty()) {
      SSL_set_tlsext_host_name(ssl.get(), o.sni.c_str());
    }
  }

  std::string hello() {
    SSL_do_handshake(ssl.get());
    std::string bytes(BIO_ctrl_pending(out), '\0');
    BIO_read(out, bytes.data(), static_cast<int>(bytes.size()));
    return bytes;
  }
};

// Runs `probe` inside a server's ClientHello callback for the ClientHello `o` makes, the
// server's versions and TLS 1.2 suites set as `policy`'s (ServerTls applies them there too).
void probeHello(const Offer& o, const ConnectionPolicy& policy, const std::function<void(SSL*)>& probe) {
  Client c(o);
  const std::string hello = c.hello();
  REQUIRE_FALSE(hello.empty());
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  SslPtr server(SSL_new(ctx.get()));
  SSL_set_min_proto_version(server.get(), policy.minVersion);
  SSL_set_max_proto_version(server.get(), policy.maxVersion);
  SSL_set_cipher_list(server.get(),
                      policy.cipherList.empty() ? kDefaultCipherList : policy.cipherList.c_str());
  BIO* in = BIO_new_mem_buf(hello.data(), static_cast<int>(hello.size()));
  SSL_set_bio(server.get(), in, BIO_new(BIO_s_mem()));
  SSL_set_accept_state(server.get());
  bool ran = false;
  std::function<void(SSL*)> once = [&](SSL* s) {
    ran = true;
    probe(s);
  };
  SSL_CTX_set_client_hello_cb(
      ctx.get(),
      +[](SSL* s, int* alert, void* arg) -> int {
        (*static_cast<std::function<void(SSL*)>*>(arg))(s);
        *alert = SSL_AD_INTERNAL_ERROR;
        return SSL_CLIENT_HELLO_ERROR;
      },
      &once);
  SSL_do_handshake(server.get());
  ERR_clear_error();
  REQUIRE(ran);
}

bool supports(const Offer& o, const CertificatePtr& cert, const ConnectionPolicy& policy = {}) {
  bool out = false;
  probeHello(o, policy, [&](SSL* s) {
    std::string sni = o.sni;
    std::transform(sni.begin(), sni.end(), sni.begin(), [](unsigned char ch) { return std::tolower(ch); });
    out = clientSupportsCertificate(s, *cert, policy, sni);
  });
  return out;
}

CertificatePtr choose(const Offer& o, const std::vector<CertificatePtr>& choices,
                      const ConnectionPolicy& policy = {}) {
  CertificatePtr out;
  probeHello(o, policy, [&](SSL* s) { out = defaultCertificateChoice(s, choices, policy, o.sni); });
  return out;
}

Offer tls13(std::string sni = "a.test") {
  Offer o;
  o.sni = std::move(sni);
  o.minVersion = TLS1_3_VERSION;
  return o;
}

Offer tls12(std::string sni = "a.test") {
  Offer o;
  o.sni = std::move(sni);
  o.maxVersion = TLS1_2_VERSION;
  return o;
}

}  // namespace

TEST_CASE("certificate support: the SNI must be in the SAN; a wildcard covers one label; CN alone never") {
  auto exact = makeCert({.dns = {"a.test"}});
  auto wild = makeCert({.dns = {"*.w.test"}});
  auto cnOnly = makeCert({.cn = "a.test"});  // Go's VerifyHostname ignores the CN
  CHECK(supports(tls13("a.test"), exact));
  CHECK(supports(tls13("A.TEST"), exact));
  CHECK_FALSE(supports(tls13("b.test"), exact));
  CHECK(supports(tls13("x.w.test"), wild));
  CHECK_FALSE(supports(tls13("y.x.w.test"), wild));
  CHECK_FALSE(supports(tls13("w.test"), wild));
  CHECK_FALSE(supports(tls13("a.test"), cnOnly));
  // Without SNI no name is checked.
  CHECK(supports(tls13(""), exact));
  CHECK(supports(tls13(""), cnOnly));
}

TEST_CASE("certificate support: TLS 1.3 signature schemes decide the key type") {
  auto ec256 = makeCert({.dns = {"a.test"}});
  auto ec384 = makeCert({.dns = {"a.test"}, .key = "P-384"});
  auto rsa = makeCert({.dns = {"a.test"}, .key = "RSA"});
  Offer pssOnly = tls13();
  pssOnly.sigalgs = "rsa_pss_rsae_sha256";
  CHECK(supports(pssOnly, rsa));
  CHECK_FALSE(supports(pssOnly, ec256));
  Offer p256Only = tls13();
  p256Only.sigalgs = "ecdsa_secp256r1_sha256";
  CHECK(supports(p256Only, ec256));
  CHECK_FALSE(supports(p256Only, ec384));  // TLS 1.3 ties an ECDSA scheme to its curve
  CHECK_FALSE(supports(p256Only, rsa));
  Offer pkcs1Only = tls13();
  pkcs1Only.sigalgs = "RSA+SHA256";  // PKCS#1 v1.5 signs nothing in TLS 1.3
  CHECK_FALSE(supports(pkcs1Only, rsa));
}

TEST_CASE("certificate support: TLS 1.2 needs a mutual suite, group and (ECDSA) the key's curve") {
  auto ec256 = makeCert({.dns = {"a.test"}});
  auto ec384 = makeCert({.dns = {"a.test"}, .key = "P-384"});
  auto rsa = makeCert({.dns = {"a.test"}, .key = "RSA"});
  CHECK(supports(tls12(), ec256));
  CHECK(supports(tls12(), rsa));
  // P-384 is not among caddy's default curves (X25519, P-256).
  CHECK_FALSE(supports(tls12(), ec384));
  ConnectionPolicy p384;
  p384.groups = "X25519:P-256:P-384";
  CHECK(supports(tls12(), ec384, p384));
  // A client without P-256 cannot verify a P-256 key even with X25519 for the exchange.
  Offer x25519 = tls12();
  x25519.groups = "X25519";
  CHECK_FALSE(supports(x25519, ec256));
  CHECK(supports(x25519, rsa));
  // Suites: an ECDHE-RSA-only client is no use to an ECDSA key, and the reverse.
  Offer rsaSuites = tls12();
  rsaSuites.ciphers = "ECDHE-RSA-AES128-GCM-SHA256";
  CHECK(supports(rsaSuites, rsa));
  CHECK_FALSE(supports(rsaSuites, ec256));
  Offer ecSuites = tls12();
  ecSuites.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256";
  CHECK(supports(ecSuites, ec256));
  CHECK_FALSE(supports(ecSuites, rsa));
  // Static RSA key exchange when the policy allows it and no group is shared.
  ConnectionPolicy staticRsa;
  staticRsa.cipherList = "AES128-GCM-SHA256";
  Offer plainRsa = tls12();
  plainRsa.ciphers = "AES128-GCM-SHA256";
  plainRsa.groups = "P-521";
  CHECK(supports(plainRsa, rsa, staticRsa));
  CHECK_FALSE(supports(plainRsa, ec256, staticRsa));
}

TEST_CASE("certificate support: a client whose versions the policy refuses supports nothing") {
  auto ec = makeCert({.dns = {"a.test"}});
  ConnectionPolicy only13;
  only13.minVersion = TLS1_3_VERSION;
  int version = -1;
  probeHello(tls12(), only13, [&](SSL* s) { version = negotiatedVersion(s); });
  CHECK(version == 0);
  CHECK_FALSE(supports(tls12(), ec, only13));
  probeHello(Offer{.sni = "a.test"}, ConnectionPolicy{}, [&](SSL* s) { version = negotiatedVersion(s); });
  CHECK(version == TLS1_3_VERSION);
  ConnectionPolicy only12;
  only12.maxVersion = TLS1_2_VERSION;
  probeHello(Offer{.sni = "a.test"}, only12, [&](SSL* s) { version = negotiatedVersion(s); });
  CHECK(version == TLS1_2_VERSION);
}

TEST_CASE("default choice: the first supported certificate in its validity window, else the last supported") {
  auto rsa = makeCert({.dns = {"a.test"}, .key = "RSA"});
  auto ec = makeCert({.dns = {"a.test"}});
  auto ecExpired = makeCert({.dns = {"a.test"}, .fromSeconds = -7200, .toSeconds = -3600});
  auto ecFuture = makeCert({.dns = {"a.test"}, .fromSeconds = 3600, .toSeconds = 7200});
  Offer pss = tls13();
  pss.sigalgs = "rsa_pss_rsae_sha256";
  Offer ecdsa = tls13();
  ecdsa.sigalgs = "ecdsa_secp256r1_sha256";
  // The key type the client can use, whatever the order.
  CHECK(choose(pss, {ec, rsa}) == rsa);
  CHECK(choose(ecdsa, {rsa, ec}) == ec);
  CHECK(choose(Offer{.sni = "a.test"}, {rsa, ec}) == rsa);  // both fit: the first
  // Out of its window: passed over for a current one, later in the list too.
  CHECK(choose(ecdsa, {ecExpired, ec}) == ec);
  CHECK(choose(ecdsa, {ecFuture, ec}) == ec);
  // Only expired ones fit: the last that fits.
  CHECK(choose(ecdsa, {ecExpired, rsa, ecFuture}) == ecFuture);
  // None fits: the first, as certmagic (the handshake then fails on its own terms).
  Offer pkcs1 = tls13();
  pkcs1.sigalgs = "RSA+SHA256";
  CHECK(choose(pkcs1, {ec, rsa}) == ec);
  // One choice is taken unchecked, none is null.
  CHECK(choose(pss, {ec}) == ec);
  CHECK(choose(pss, {}) == nullptr);
  // A choice not valid for the SNI is passed over (the CN-only one here).
  auto cnOnly = makeCert({.cn = "a.test"});
  CHECK(choose(Offer{.sni = "a.test"}, {cnOnly, ec}) == ec);
}

TEST_CASE("TLS 1.3 refusals in Go's order: no shared group, no fitting signature scheme") {
  auto ec = makeCert({.dns = {"a.test"}});
  auto rsa = makeCert({.dns = {"a.test"}, .key = "RSA"});
  Offer x448 = tls13();
  x448.groups = "X448";
  bool noGroup = false;
  probeHello(x448, ConnectionPolicy{},
             [&](SSL* s) { noGroup = tls13WithoutSharedGroup(s, ConnectionPolicy{}); });
  CHECK(noGroup);
  ConnectionPolicy p521;
  p521.groups = "P-521";
  Offer p256 = tls13();
  p256.groups = "P-256";
  probeHello(p256, p521, [&](SSL* s) { noGroup = tls13WithoutSharedGroup(s, p521); });
  CHECK(noGroup);
  probeHello(tls13(), ConnectionPolicy{},
             [&](SSL* s) { noGroup = tls13WithoutSharedGroup(s, ConnectionPolicy{}); });
  CHECK_FALSE(noGroup);
  Offer p256v12 = tls12();
  p256v12.groups = "P-256";
  probeHello(p256v12, p521, [&](SSL* s) { noGroup = tls13WithoutSharedGroup(s, p521); });
  CHECK_FALSE(noGroup);  // TLS 1.2 falls back to static RSA or fails later

  Offer pss = tls13();
  pss.sigalgs = "rsa_pss_rsae_sha256";
  int alert = -1;
  probeHello(pss, ConnectionPolicy{}, [&](SSL* s) { alert = tls13SignatureAlert(s, *ec); });
  CHECK(alert == SSL_AD_HANDSHAKE_FAILURE);
  probeHello(pss, ConnectionPolicy{}, [&](SSL* s) { alert = tls13SignatureAlert(s, *rsa); });
  CHECK(alert == 0);
}

TEST_CASE("ALPN as Go's negotiateALPN: server order, http/1.1 beside h2, refusal only when nothing fits") {
  using V = std::vector<std::string_view>;
  const std::vector<std::string> h2h1 = {"h2", "http/1.1"};
  CHECK(negotiateAlpn(h2h1, V{"http/1.1", "h2"}).selected == "h2");
  CHECK(negotiateAlpn(h2h1, V{"foo", "http/1.1"}).selected == "http/1.1");
  CHECK(negotiateAlpn(h2h1, V{"foo"}).refused);
  CHECK_FALSE(negotiateAlpn(h2h1, V{}).refused);
  CHECK_FALSE(negotiateAlpn({}, V{"foo"}).refused);
  // An http/1.1 client of an h2-only server goes on without ALPN (Go issue 46310).
  const auto h2only = negotiateAlpn({"h2"}, V{"foo", "http/1.1"});
  CHECK_FALSE(h2only.refused);
  CHECK(h2only.selected.empty());
  CHECK(negotiateAlpn({"http/1.1"}, V{"h2"}).refused);
  const unsigned char wire[] = {2, 'h', '2', 3, 'f', 'o', 'o', 9, 'x'};  // the last entry is cut short
  CHECK(alpnProtocols(wire, sizeof(wire)) == V{"h2", "foo"});
}

// ------------------------------------------------------------ the name rules, end to end

namespace {

void pump(Client& c, TlsStream& s) {
  for (int i = 0; i < 20; ++i) {
    SSL_do_handshake(c.ssl.get());
    char buf[16384];
    bool moved = false;
    int n;
    while ((n = BIO_read(c.out, buf, sizeof(buf))) > 0) {
      s.pushCipher(buf, static_cast<size_t>(n));
      moved = true;
    }
    s.handshake();
    std::string back;
    s.takeOutput(back);
    if (!back.empty()) {
      BIO_write(c.in, back.data(), static_cast<int>(back.size()));
      moved = true;
    }
    if (!moved) {
      break;
    }
  }
  ERR_clear_error();
}

// The served leaf's O=... CN=... and SAN DNS names, or "" when the handshake failed.
std::string served(ServerTls& tls, const Offer& o, const std::string& localIp = "127.0.0.1") {
  Client c(o);
  TlsStream s(tls, localIp);
  pump(c, s);
  X509* peer = SSL_get0_peer_certificate(c.ssl.get());
  if (!s.established() || peer == nullptr) {
    return "";
  }
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
  return cn;
}

// The alert the client got, as OpenSSL's description ("" when none).
std::string alertSeen(ServerTls& tls, const Offer& o) {
  Client c(o);
  std::string seen;
  SSL_set_info_callback(
      c.ssl.get(), +[](const SSL* s, int where, int ret) {
        if ((where & SSL_CB_READ_ALERT) != 0) {
          *static_cast<std::string*>(SSL_get_app_data(s)) = SSL_alert_desc_string_long(ret);
        }
      });
  SSL_set_app_data(c.ssl.get(), &seen);
  TlsStream s(tls, "127.0.0.1");
  pump(c, s);
  return seen;
}

// One policy (ConnectionPolicy is move-only: `setup` fills it in).
std::unique_ptr<ServerTls> server(std::vector<CertificatePtr> certs,
                                  const std::function<void(ConnectionPolicy&)>& setup = {},
                                  std::vector<std::string> alpn = {"h2", "http/1.1"}) {
  auto store = std::make_shared<CertificateStore>();
  store->replaceAll(std::move(certs));
  ServerTlsOptions o;
  ConnectionPolicy policy;
  if (setup) {
    setup(policy);
  }
  o.policies.push_back(std::move(policy));
  o.alpn = std::move(alpn);
  o.store = std::move(store);
  return std::make_unique<ServerTls>(std::move(o));
}

}  // namespace

TEST_CASE("certificate choice: the CN is a name of its own, beside the SANs (certmagic)") {
  auto tls = server({makeCert({.dns = {"san.test"}, .cn = "cn.test"})});
  CHECK(served(*tls, tls13("cn.test")) == "cn.test");
  CHECK(served(*tls, tls13("san.test")) == "cn.test");
  CHECK(served(*tls, tls13("other.test")).empty());
}

TEST_CASE("certificate choice: wildcards replace labels from the left, one more at a time") {
  auto tls =
      server({makeCert({.dns = {"*.w.test"}, .cn = "one"}), makeCert({.dns = {"*.*.test"}, .cn = "two"})});
  CHECK(served(*tls, tls13("x.w.test")) == "one");
  CHECK(served(*tls, tls13("x.v.test")) == "two");
  CHECK(served(*tls, tls13("y.x.w.test")).empty());  // "*.x.w.test", "*.*.w.test", "*.*.*.test": none
}

TEST_CASE("certificate choice: tags filter the name's certificates, and all of them when none has the name") {
  auto plain = makeCert({.dns = {"a.test"}, .cn = "plain"});
  auto tagged = makeCert({.dns = {"b.test"}, .cn = "tagged", .tags = {"blue"}});
  auto blue = [](ConnectionPolicy& p) { p.anyTag = {"blue"}; };
  auto tls = server({plain, tagged}, blue);
  // An unknown name: every certificate is a candidate (certmagic hands a custom selector
  // all of them when none carries the name), and the tag picks.
  CHECK(served(*tls, tls13("zz.test")) == "tagged");
  // a.test's own certificate lacks the tag, so the wildcard candidates come next, and
  // "*.test" (no certificate has it) hands over every certificate: the tagged one again.
  CHECK(served(*tls, tls13("a.test")) == "tagged");
  auto untagged = server({plain, tagged});
  CHECK(served(*untagged, tls13("zz.test")).empty());  // no selection: no fallback to all
}

TEST_CASE("certificate choice without SNI: the local address, then default_sni, then fallback_sni") {
  auto ip = makeCert({.dns = {"ip.test"}, .cn = "127.0.0.1"});
  auto def = makeCert({.dns = {"def.test"}, .cn = "def"});
  auto fb = makeCert({.dns = {"fb.test"}, .cn = "fb"});
  auto tls = server({ip, def, fb}, [](ConnectionPolicy& p) {
    p.defaultSni = "def.test";
    p.fallbackSni = "fb.test";
  });
  CHECK(served(*tls, tls13(""), "127.0.0.1") == "127.0.0.1");  // caddy 2.6.2: the address first
  CHECK(served(*tls, tls13(""), "10.0.0.1") == "def");
  CHECK(served(*tls, tls13("zz.test")) == "fb");  // default_sni never stands in for an unknown SNI
  auto tls2 = server({ip, def, fb}, [](ConnectionPolicy& p) { p.fallbackSni = "fb.test"; });
  CHECK(served(*tls2, tls13(""), "10.0.0.1") == "fb");
  auto tls3 = server({ip, def, fb});
  CHECK(served(*tls3, tls13(""), "10.0.0.1").empty());
}

TEST_CASE("certificate choice: among a name's certificates, the key type the client can use") {
  auto rsa = makeCert({.dns = {"a.test"}, .cn = "rsa", .key = "RSA"});
  auto ec = makeCert({.dns = {"a.test"}, .cn = "ec"});
  auto tls = server({rsa, ec});
  Offer pss = tls13();
  pss.sigalgs = "rsa_pss_rsae_sha256";
  Offer ecdsa = tls13();
  ecdsa.sigalgs = "ecdsa_secp256r1_sha256";
  CHECK(served(*tls, pss) == "rsa");
  CHECK(served(*tls, ecdsa) == "ec");
  auto expired = makeCert({.dns = {"a.test"}, .cn = "old", .fromSeconds = -7200, .toSeconds = -60});
  auto tls2 = server({expired, ec});
  CHECK(served(*tls2, tls13()) == "ec");
}

TEST_CASE("refusals in Go's order: ALPN first in TLS 1.2, after the group and certificate in TLS 1.3") {
  const std::vector<unsigned char> foo = {3, 'f', 'o', 'o'};
  auto tls = server({makeCert({.dns = {"a.test"}})});
  // TLS 1.2: an unknown protocol is refused before the (missing) certificate is looked for.
  Offer unknownName = tls12("zz.test");
  unknownName.alpn = foo;
  CHECK(alertSeen(*tls, unknownName) == "no application protocol");
  Offer knownName = tls12("a.test");
  knownName.alpn = foo;
  CHECK(alertSeen(*tls, knownName) == "no application protocol");
  // TLS 1.3: a missing certificate, a group or signature scheme nobody shares come first.
  Offer unknown13 = tls13("zz.test");
  unknown13.alpn = foo;
  CHECK(alertSeen(*tls, unknown13) == "internal error");
  Offer x448 = tls13("a.test");
  x448.alpn = foo;
  x448.groups = "X448";
  CHECK(alertSeen(*tls, x448) == "handshake failure");
  Offer pss = tls13("a.test");
  pss.alpn = foo;
  pss.sigalgs = "rsa_pss_rsae_sha256";
  CHECK(alertSeen(*tls, pss) == "handshake failure");
  Offer fine13 = tls13("a.test");
  fine13.alpn = foo;
  CHECK(alertSeen(*tls, fine13) == "no application protocol");
}

TEST_CASE(
    "certificate choice without SNI: no wildcard candidates for the address or default_sni (certmagic)") {
  auto ip = makeCert({.dns = {"ip.test"}, .cn = "127.0.0.1"});
  auto tagged = makeCert({.dns = {"b.test"}, .cn = "tagged", .tags = {"blue"}});
  auto tls = server({ip, tagged}, [](ConnectionPolicy& p) { p.anyTag = {"blue"}; });
  // The address's certificate lacks the tag; "*.0.0.1" would hand every certificate to
  // the tag filter, which caddy 2.6.2 never does for a name that is not the SNI.
  CHECK(served(*tls, tls13(""), "127.0.0.1").empty());
  // A default_sni no certificate carries: the tag filter sees them all (certmagic's rule).
  auto tls2 = server({ip, tagged}, [](ConnectionPolicy& p) {
    p.anyTag = {"blue"};
    p.defaultSni = "def.test";
  });
  CHECK(served(*tls2, tls13(""), "127.0.0.1") == "tagged");
}
