#pragma once
// Automatic HTTPS for `gatehouse run`: keeps a certificate for every managed name in the
// runtime's CertificateStore. Built at provision: certificates already in storage (and
// not due) are installed at once, without contacting the CA. start() (called once the
// listeners are up) runs the rest on the manager's own libuv loop thread, so no serving
// loop ever waits on the CA: missing certificates are ordered concurrently and installed
// hot when they arrive, each is renewed in the last third of its lifetime by a timer, and
// failures are retried with exponential backoff. Challenges are answered by the engine
// through responder() (HTTP-01) and challengeProvider() (TLS-ALPN-01).

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "gatehouse/acme/challenge_responder.h"
#include "gatehouse/tls/certificate_store.h"
#include "gatehouse/tls/challenge_provider.h"
#include "log/acme_log.h"
#include "manager/manager_config.h"
#include "protocol/acme_client.h"
#include "solvers/http01_solver.h"
#include "solvers/tls_alpn01_solver.h"
#include "storage/file_storage.h"

namespace gatehouse::acme {

class StorageLock;

class CertificateManager {
 public:
  CertificateManager(ManagerConfig config, std::shared_ptr<tls::CertificateStore> store);
  ~CertificateManager();
  CertificateManager(const CertificateManager&) = delete;
  CertificateManager& operator=(const CertificateManager&) = delete;

  // Starts the loop thread (once; later calls do nothing).
  void start();

  [[nodiscard]] std::shared_ptr<const ChallengeResponder> responder() const { return responder_; }
  [[nodiscard]] std::shared_ptr<const tls::ChallengeCertificateProvider> challengeProvider() const {
    return challengeProvider_;
  }

 private:
  using Clock = std::chrono::system_clock;
  struct Issuer;
  struct Target;

  void loadFromStorage(Target& t);
  void begin(Target& t);
  void schedule(Target& t, Clock::time_point at);
  void obtain(Target& t, int lockAttempts);
  void withAccount(Issuer& issuer, std::function<void(std::optional<AcmeError>)> done);
  void order(Target& t, std::shared_ptr<StorageLock> lock);
  bool install(Target& t, const std::string& chain, const std::string& key);
  void failed(Target& t, const AcmeError& err);
  void shutdownOnLoop();
  void drain();

  ManagerConfig config_;
  std::shared_ptr<tls::CertificateStore> store_;
  AcmeLog log_;
  FileStorage storage_;
  std::shared_ptr<ChallengeResponder> responder_;
  std::shared_ptr<const tls::ChallengeCertificateProvider> challengeProvider_;
  Http01Solver http01_{*responder_};
  TlsAlpn01Solver tlsAlpn01_{*responder_};
  uv_loop_t loop_{};
  uv_async_t* stopSignal_ = nullptr;
  std::vector<std::unique_ptr<Issuer>> issuers_;
  std::vector<std::unique_ptr<Target>> targets_;
  std::thread thread_;
  bool started_ = false;
  bool stopping_ = false;
};

}  // namespace gatehouse::acme
