// Drives a server TlsStream against an OpenSSL client entirely in memory.

#include "tls/tls_stream.h"

#include <openssl/err.h>

#include <catch2/catch.hpp>
#include <thread>

#include "test_certs.h"

using namespace gatehouse::tls;

namespace {

struct Client {
  SslCtxPtr ctx{SSL_CTX_new(TLS_client_method())};
  SslPtr ssl;
  BIO* in = nullptr;
  BIO* out = nullptr;

  explicit Client(const std::string& sni, const std::vector<unsigned char>& alpn = {},
                  SSL_SESSION* resume = nullptr, int maxVersion = TLS1_3_VERSION) {
    SSL_CTX_set_max_proto_version(ctx.get(), maxVersion);
    ssl.reset(SSL_new(ctx.get()));
    in = BIO_new(BIO_s_mem());
    out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(in, -1);
    SSL_set_bio(ssl.get(), in, out);
    SSL_set_connect_state(ssl.get());
    if (!sni.empty()) {
      SSL_set_tlsext_host_name(ssl.get(), sni.c_str());
    }
    if (!alpn.empty()) {
      SSL_set_alpn_protos(ssl.get(), alpn.data(), static_cast<unsigned>(alpn.size()));
    }
    if (resume != nullptr) {
      SSL_set_session(ssl.get(), resume);
    }
  }
};

// Shuttles bytes both ways until neither side produces more. Bounded.
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
    if (!s.established()) {
      s.handshake();
    } else {
      size_t got = 0;
      s.read(buf, sizeof(buf), got);
    }
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

std::string subjectCn(SSL* ssl) {
  X509* peer = SSL_get0_peer_certificate(ssl);
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
  return cn;
}

std::shared_ptr<ServerTls> server(std::shared_ptr<CertificateStore> store,
                                  std::shared_ptr<TicketKeyRing> ring,
                                  std::shared_ptr<const ChallengeCertificateProvider> challenges = nullptr) {
  ServerTlsOptions o;
  ConnectionPolicy p;
  p.defaultSni = "default.test";
  o.policies.push_back(std::move(p));
  o.alpn = {"http/1.1"};
  o.store = std::move(store);
  o.tickets = std::move(ring);
  o.challenges = std::move(challenges);
  return std::make_shared<ServerTls>(std::move(o));
}

const std::vector<unsigned char> kH2H1 = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

class OneChallenge final : public ChallengeCertificateProvider {
 public:
  explicit OneChallenge(CertificatePtr c) : cert_(std::move(c)) {}
  [[nodiscard]] std::shared_ptr<const Certificate> challengeCertificate(
      std::string_view name) const override {
    return name == "a.test" ? cert_ : nullptr;
  }

 private:
  CertificatePtr cert_;
};

}  // namespace

TEST_CASE("handshake from memory: SNI picks the certificate, ALPN picks http/1.1") {
  auto store = std::make_shared<CertificateStore>();
  store->install(testing::selfSigned({"a.test"}));
  store->install(testing::selfSigned({"*.wild.test"}));
  store->install(testing::selfSigned({"default.test"}));
  auto tls = server(store, std::make_shared<TicketKeyRing>());
  for (auto [sni, cn] : std::vector<std::pair<std::string, std::string>>{
           {"a.test", "a.test"}, {"x.wild.test", "*.wild.test"}, {"", "default.test"}}) {
    Client c(sni, kH2H1);
    TlsStream s(*tls, "127.0.0.1");
    pump(c, s);
    REQUIRE(s.established());
    CHECK(subjectCn(c.ssl.get()) == cn);
    CHECK(s.alpn() == "http/1.1");
    auto info = s.info();
    CHECK(info->version == "tls1.3");
    CHECK(info->serverName == sni);
  }
}

TEST_CASE("application data and close_notify") {
  auto store = std::make_shared<CertificateStore>();
  store->install(testing::selfSigned({"a.test"}));
  auto tls = server(store, std::make_shared<TicketKeyRing>());
  Client c("a.test");
  TlsStream s(*tls, "127.0.0.1");
  pump(c, s);
  REQUIRE(s.established());
  REQUIRE(SSL_write(c.ssl.get(), "ping", 4) == 4);
  char buf[64];
  int n = BIO_read(c.out, buf, sizeof(buf));
  s.pushCipher(buf, static_cast<size_t>(n));
  size_t got = 0;
  REQUIRE(s.read(buf, sizeof(buf), got) == TlsStream::Status::Ok);
  CHECK(std::string(buf, got) == "ping");
  REQUIRE(s.write("pong"));
  s.closeNotify();
  std::string back;
  s.takeOutput(back);
  BIO_write(c.in, back.data(), static_cast<int>(back.size()));
  char rbuf[64];
  int r = 0;
  std::string received;
  while ((r = SSL_read(c.ssl.get(), rbuf, sizeof(rbuf))) > 0) {
    received.append(rbuf, static_cast<size_t>(r));
  }
  CHECK(received == "pong");
  CHECK(SSL_get_error(c.ssl.get(), r) == SSL_ERROR_ZERO_RETURN);  // close_notify arrived
}

TEST_CASE("no certificate for the name and no default: the handshake fails cleanly") {
  auto store = std::make_shared<CertificateStore>();
  store->install(testing::selfSigned({"a.test"}));
  ServerTlsOptions o;
  o.policies.emplace_back();
  o.alpn = {"http/1.1"};
  o.store = store;
  ServerTls tls(std::move(o));
  Client c("other.test");
  TlsStream s(tls, "127.0.0.1");
  pump(c, s);
  CHECK_FALSE(s.established());
  CHECK(s.handshake() == TlsStream::Status::Failed);
}

TEST_CASE("default_sni answers only a ClientHello without SNI, never an unknown name (Caddy 2.6.2)") {
  auto store = std::make_shared<CertificateStore>();
  store->install(testing::selfSigned({"default.test"}));
  auto tls = server(store, std::make_shared<TicketKeyRing>());
  Client c("nope.test", kH2H1);
  TlsStream s(*tls, "127.0.0.1");
  pump(c, s);
  CHECK_FALSE(s.established());
  CHECK(s.handshake() == TlsStream::Status::Failed);
}

TEST_CASE("an SNI with a trailing dot is refused as Go's crypto/tls does") {
  auto store = std::make_shared<CertificateStore>();
  store->install(testing::selfSigned({"default.test"}));
  auto tls = server(store, std::make_shared<TicketKeyRing>());
  Client c("default.test.", kH2H1);
  TlsStream s(*tls, "127.0.0.1");
  pump(c, s);
  CHECK_FALSE(s.established());
  CHECK(s.handshake() == TlsStream::Status::Failed);
}

TEST_CASE("acme-tls/1 alone is answered with the challenge certificate") {
  auto store = std::make_shared<CertificateStore>();
  store->install(testing::selfSigned({"a.test"}));
  auto challenge = testing::selfSigned({"challenge.a.test"});
  auto tls = server(store, nullptr, std::make_shared<OneChallenge>(challenge));
  const std::vector<unsigned char> acme = {10, 'a', 'c', 'm', 'e', '-', 't', 'l', 's', '/', '1'};
  Client c("a.test", acme);
  TlsStream s(*tls, "127.0.0.1");
  pump(c, s);
  REQUIRE(s.established());
  CHECK(s.acmeChallenge());
  CHECK(s.alpn() == "acme-tls/1");
  CHECK(subjectCn(c.ssl.get()) == "challenge.a.test");
  Client other("b.test", acme);
  TlsStream s2(*tls, "127.0.0.1");
  pump(other, s2);
  CHECK_FALSE(s2.established());  // no challenge pending for b.test
}

TEST_CASE("a TLS 1.2 session ticket resumes on another context sharing the ticket keys") {
  auto store = std::make_shared<CertificateStore>();
  store->install(testing::selfSigned({"a.test"}));
  auto ring = std::make_shared<TicketKeyRing>();
  auto first = server(store, ring);
  auto second = server(store, ring);  // another worker, or the config after a reload
  Client c("a.test", {}, nullptr, TLS1_2_VERSION);
  TlsStream s(*first, "127.0.0.1");
  pump(c, s);
  REQUIRE(s.established());
  SSL_SESSION* sess = SSL_get1_session(c.ssl.get());
  REQUIRE(sess != nullptr);
  Client again("a.test", {}, sess, TLS1_2_VERSION);
  TlsStream s2(*second, "127.0.0.1");
  pump(again, s2);
  REQUIRE(s2.established());
  CHECK(SSL_session_reused(again.ssl.get()) == 1);
  CHECK(s2.info()->resumed);
  SSL_SESSION_free(sess);
}

TEST_CASE("ticket keys rotate and keep the newest few") {
  TicketKeyRing ring(std::chrono::seconds(1), 2);
  auto first = ring.keys();
  REQUIRE(first->size() == 1);
  CHECK(ring.keys() == first);  // no rotation before the interval
  std::this_thread::sleep_for(std::chrono::milliseconds(1050));
  auto second = ring.keys();
  REQUIRE(second->size() == 2);
  CHECK(second->front().name != first->front().name);
  CHECK(second->back().name == first->front().name);  // still decrypts older tickets
  std::this_thread::sleep_for(std::chrono::milliseconds(1050));
  auto third = ring.keys();
  REQUIRE(third->size() == 2);
  CHECK(third->back().name == second->front().name);  // the oldest is gone
}
