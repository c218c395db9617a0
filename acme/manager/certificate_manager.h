#pragma once
// Automatic HTTPS for `gatehouse run`: keeps a certificate for every managed name in the
// runtime's CertificateStore. Built at provision: certificates already in storage (and
// not due) are installed at once, without contacting the CA. start() (called once the
// listeners are up) runs the rest on the manager's own libuv loop thread, so no serving
// loop ever waits on the CA: missing certificates are ordered concurrently and installed
// hot when they arrive (the old certificate is served until its replacement is stored).
// Each is renewed in its renewal window (renewal_window_ratio of the lifetime left, a third
// by default) or in the CA's ARI window when it offers renewalInfo, looked at again every
// renew_interval; an attempt tries the certificate's issuers in order (Caddy's issuer
// lists), and a failed attempt is retried with exponential backoff and the CA's
// Retry-After. Challenges are answered by the engine through responder() (HTTP-01) and
// challengeProvider() (TLS-ALPN-01).

#include <uv.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "gatehouse/acme/challenge_responder.h"
#include "gatehouse/tls/certificate_store.h"
#include "gatehouse/tls/challenge_provider.h"
#include "gatehouse/tls/on_demand.h"
#include "log/acme_log.h"
#include "manager/issuer_chain.h"
#include "manager/job_queue.h"
#include "manager/manager_config.h"
#include "protocol/acme_client.h"
#include "protocol/order_pacer.h"
#include "solvers/http01_solver.h"
#include "solvers/standalone_solvers.h"
#include "solvers/tls_alpn01_solver.h"
#include "storage/file_storage.h"

namespace gatehouse::acme {

class OcspStapler;
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
  // On-demand TLS (on_demand_issuance.cpp): what paused handshakes ask; null when no
  // automation policy is on-demand.
  [[nodiscard]] std::shared_ptr<const tls::OnDemandCertificates> onDemand() const { return onDemandGate_; }
  // Thread-safe: a certificate for `name` with this issuer and key type, from storage or
  // the CA, unless `ask` or the rate limit refuses it. `done(true)` once it is installed;
  // runs on the manager's thread (at once, on the caller's, after shutdown).
  void requestOnDemand(std::string name, const OnDemandRule& rule, std::function<void(bool)> done);

  // Config reload: the manager of the previous config, whose on-demand orders in flight this
  // one waits for instead of ordering the same names again. Kept alive until those could
  // have ended (the longest handshake wait), then released. Call before start().
  void adoptPredecessor(std::shared_ptr<CertificateManager> previous);
  // Thread-safe: `done(true)` once an on-demand job for `name` that is in flight here has
  // installed its certificate, `done(false)` when it failed or none is in flight.
  void joinOnDemand(std::string name, std::function<void(bool)> done);

 private:
  using Clock = std::chrono::system_clock;
  struct Issuer;
  struct Target;

  [[nodiscard]] const std::string& issuerKeyOf(size_t index) const;  // its storage key
  // At start (acceptExpired) an expired certificate is served until its renewal, which
  // check() starts at once, as caddy 2.6.2 does; under the issuance lock
  // (completeInterrupted) a save killed between its renames is completed.
  void loadFromStorage(Target& t, StoredLookup how = {});
  void check(Target& t);
  void renewIfDue(Target& t, Clock::time_point at);
  void schedule(Target& t, Clock::time_point at);
  // Queues a job for t (once: a name queued or running is not queued again).
  void obtain(Target& t);
  // The job: under the storage lock, an order from each issuer of t's chain in turn. `slot`
  // (empty for on-demand, which certmagic does not queue) is the job's place in jobs_.
  void attempt(Target& t, int lockAttempts, JobQueue::Slot slot);
  void withAccount(Issuer& issuer, std::function<void(std::optional<AcmeError>)> done);
  // accountRenewed: the CA already said it forgot the account once in this attempt.
  void order(Target& t, std::shared_ptr<StorageLock> lock, JobQueue::Slot slot, size_t position,
             bool accountRenewed = false);
  // What an issuer's try within a job carries through its callbacks.
  struct IssuerTry {
    std::shared_ptr<StorageLock> lock;
    JobQueue::Slot slot;
    size_t position = 0;
    bool accountRenewed = false;
    std::chrono::steady_clock::time_point started;
    std::vector<std::string> challenges;
    std::function<void(const AcmeError&)> next;  // on failure: the next issuer, or failed()
  };
  void placeOrder(Target& t, size_t index, IssuerTry job);
  // Runs `go` once the issuer's account may start a new order (pacers_).
  void paced(const Issuer& issuer, const std::string& name, std::function<void()> go);
  void forgetAccount(Issuer& issuer, const std::string& kid);
  void issueLocally(Target& t, size_t index, std::chrono::steady_clock::time_point started,
                    const std::function<void(const AcmeError&)>& next);
  void issued(Target& t, size_t issuerIndex, const IssuedCertificate& cert,
              std::chrono::steady_clock::time_point started);
  bool install(Target& t, const std::string& chain, const std::string& key);
  void serve(Target& t, std::shared_ptr<const tls::Certificate> cert, const std::string& chain);
  void staple(Target& t);
  void failed(Target& t, const AcmeError& err, const std::string& ca);
  void shutdownOnLoop();
  void later(std::function<void()> fn);  // on a later turn of the manager's loop
  void drain();

  struct OnDemandState;
  Target& addTarget(const ManagedCertificate& cert);
  void setUpOnDemand();
  void setUpStandaloneSolvers(Issuer& issuer);
  void takeOnDemandRequests();
  void startOnDemand(const std::string& name, size_t issuer);
  void askPredecessor(const std::string& name);
  void holdPredecessor();
  void releasePredecessor();
  void admitOnDemand(const std::string& name);
  Target& onDemandTarget(const std::string& name);
  void settleOnDemand(const std::string& name, bool ok);
  bool onDemandGivesUp(const Target& t);
  void shutdownOnDemand();

  ManagerConfig config_;
  std::shared_ptr<tls::CertificateStore> store_;
  AcmeLog log_;
  FileStorage storage_;
  std::shared_ptr<ChallengeResponder> responder_;
  std::shared_ptr<const tls::ChallengeCertificateProvider> challengeProvider_;
  Http01Solver http01_{*responder_};
  TlsAlpn01Solver tlsAlpn01_{*responder_};
  // Listeners of our own for challenge ports no server listens on, by type and address.
  std::map<std::string, std::unique_ptr<StandaloneSolver>> standalone_;
  uv_loop_t loop_{};
  uv_async_t* stopSignal_ = nullptr;
  std::vector<std::unique_ptr<Issuer>> issuers_;
  std::unique_ptr<OcspStapler> ocsp_;
  std::vector<std::unique_ptr<Target>> targets_;
  JobQueue jobs_{JobQueue::kCertmagicMaxRunning, [this](std::function<void()> fn) { later(std::move(fn)); }};
  std::map<std::string, OrderPacer> pacers_;  // by CA directory and account email, as certmagic
  std::thread thread_;
  bool started_ = false;
  bool stopping_ = false;
  std::shared_ptr<OnDemandState> onDemand_;          // null without on-demand policies
  std::shared_ptr<CertificateManager> predecessor_;  // loop thread once started
  uv_timer_t* predecessorTimer_ = nullptr;
  std::shared_ptr<const tls::OnDemandCertificates> onDemandGate_;
};

}  // namespace gatehouse::acme
