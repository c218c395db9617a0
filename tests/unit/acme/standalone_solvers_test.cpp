// Challenge listeners of our own (alt_http_port / alt_tlsalpn_port with no server on the
// port): the HTTP-01 solver opens its listener for the first challenge and closes it after
// the last, a port held by another program fails with an actionable message, and the
// TLS-ALPN-01 listener completes a handshake only for acme-tls/1 and a presented name.
#include "solvers/standalone_solvers.h"

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "crypto/tls_alpn_cert.h"
#include "manager/challenge_certificates.h"

using namespace gatehouse::acme;

namespace {
struct Loop {
  uv_loop_t loop{};
  Loop() { uv_loop_init(&loop); }
  ~Loop() {
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
  }
};

// A socket bound (and listening when asked) on 127.0.0.1, port chosen by the kernel.
struct Held {
  int fd = -1;
  uint16_t port = 0;
  explicit Held(bool listening) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    if (listening)
      ::listen(fd, 4);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Held() { release(); }
  void release() {
    if (fd >= 0)
      ::close(fd);
    fd = -1;
  }
};

bool connects(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

uint16_t freePort() {
  Held h(false);
  return h.port;
}

const AcmeLog& quietLog() {
  static std::ostringstream sink;
  static const AcmeLog log(sink);
  return log;
}

// A blocking TLS client handshake with `alpn` and `sni`; true when it completes.
// `subject` gets `sni` when the peer certificate names it.
bool handshake(uint16_t port, const std::string& sni, const std::string& alpn, std::string* subject) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  if (ok) {
    std::string wire(1, static_cast<char>(alpn.size()));
    wire += alpn;
    SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(wire.data()),
                        static_cast<unsigned>(wire.size()));
    SSL_set_tlsext_host_name(ssl, sni.c_str());
    SSL_set_fd(ssl, fd);
    ok = SSL_connect(ssl) == 1;
  }
  if (ok && subject != nullptr) {
    X509* peer = SSL_get1_peer_certificate(ssl);
    *subject = peer != nullptr && X509_check_host(peer, sni.c_str(), sni.size(), 0, nullptr) == 1 ? sni : "";
    X509_free(peer);
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
  return ok;
}
}  // namespace

TEST_CASE("the own HTTP-01 listener is open while challenges are presented", "[acme]") {
  Loop l;
  ChallengeResponder responder;
  const uint16_t port = freePort();
  StandaloneHttp01Solver solver(&l.loop, responder, {"127.0.0.1", port}, quietLog());
  std::optional<std::string> err = "unset";
  solver.present({"a.test", "t1", "t1.k"}, [&](std::optional<std::string> e) { err = e; });
  CHECK_FALSE(err);
  CHECK(connects(port));
  CHECK(responder.http01("t1") == "t1.k");
  solver.present({"b.test", "t2", "t2.k"}, [&](std::optional<std::string> e) { err = e; });
  CHECK_FALSE(err);
  bool cleaned = false;
  solver.cleanUp({"a.test", "t1", "t1.k"}, [&] { cleaned = true; });
  CHECK(cleaned);
  CHECK_FALSE(responder.http01("t1"));
  CHECK(connects(port));  // b.test's challenge still needs it
  // A challenge whose present failed is cleaned up too: it must not close b.test's listener.
  solver.cleanUp({"c.test", "never", "x"}, [] {});
  CHECK(connects(port));
  solver.cleanUp({"b.test", "t2", "t2.k"}, [] {});
  uv_run(&l.loop, UV_RUN_NOWAIT);  // the close callbacks
  CHECK_FALSE(connects(port));
}

TEST_CASE("a challenge port held by another program fails with what to change", "[acme]") {
  Loop l;
  ChallengeResponder responder;
  Held other(true);
  StandaloneHttp01Solver solver(&l.loop, responder, {"127.0.0.1", other.port}, quietLog());
  std::optional<std::string> err;
  solver.present({"a.test", "t", "t.k"}, [&](std::optional<std::string> e) { err = e; });
  REQUIRE(err);
  CHECK(err->find("cannot listen for HTTP-01 challenges on 127.0.0.1:" + std::to_string(other.port)) == 0);
  CHECK(err->find("another program holds port " + std::to_string(other.port)) != std::string::npos);
  CHECK(err->find("alt_http_port") != std::string::npos);
  CHECK_FALSE(responder.http01("t"));
  solver.cleanUp({"a.test", "t", "t.k"}, [] {});
  // Once the port is free, the next order gets it.
  other.release();
  err.reset();
  solver.present({"a.test", "t", "t.k"}, [&](std::optional<std::string> e) { err = e; });
  CHECK_FALSE(err);
  solver.shutdown();
}

TEST_CASE("listen errors name the option to change", "[acme]") {
  const auto denied = challengeListenError("tls-alpn-01", {"", 443}, UV_EACCES);
  CHECK(denied.find("TLS-ALPN-01 challenges on *:443") != std::string::npos);
  CHECK(denied.find("CAP_NET_BIND_SERVICE") != std::string::npos);
  CHECK(denied.find("alt_tlsalpn_port") != std::string::npos);
  const auto busy = challengeListenError("tls-alpn-01", {"::1", 8443}, UV_EADDRINUSE);
  CHECK(busy.find("[::1]:8443") != std::string::npos);
  CHECK(busy.find("https_port") != std::string::npos);
  CHECK(challengeListenError("http-01", {"192.0.2.1", 80}, UV_EADDRNOTAVAIL).find("bind_host") !=
        std::string::npos);
}

TEST_CASE("the own TLS-ALPN-01 listener answers only acme-tls/1 for a presented name", "[acme]") {
  Loop l;
  auto responder = std::make_shared<ChallengeResponder>();
  auto certificates = std::make_shared<ChallengeCertificates>(responder);
  const uint16_t port = freePort();
  StandaloneTlsAlpn01Solver solver(&l.loop, *responder, certificates, {"127.0.0.1", port}, quietLog());
  std::optional<std::string> err = "unset";
  solver.present({"a.test", "tok", "tok.key"}, [&](std::optional<std::string> e) { err = e; });
  REQUIRE_FALSE(err);

  std::atomic<bool> finished{false};
  bool good = false, wrongAlpn = true, wrongName = true;
  std::string subject;
  std::thread client([&] {
    good = handshake(port, "a.test", "acme-tls/1", &subject);
    wrongAlpn = handshake(port, "a.test", "h2", nullptr);
    wrongName = handshake(port, "b.test", "acme-tls/1", nullptr);
    finished = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!finished && std::chrono::steady_clock::now() < deadline)
    uv_run(&l.loop, UV_RUN_NOWAIT);
  client.join();
  CHECK(good);
  CHECK(subject == "a.test");
  CHECK_FALSE(wrongAlpn);
  CHECK_FALSE(wrongName);
  solver.cleanUp({"a.test", "tok", "tok.key"}, [] {});
  uv_run(&l.loop, UV_RUN_NOWAIT);
  CHECK_FALSE(connects(port));
}
