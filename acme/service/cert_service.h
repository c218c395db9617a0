#pragma once
// `gatehouse certs`: keeps the certificates of a ServiceConfig obtained and renewed in
// certmagic's storage, writes them where each certificates block says and runs its deploy
// hook. One-shot mode handles what is due and exits; daemon mode keeps a renewal timer per
// certificate (last third of the lifetime, or the CA's ARI window) with exponential backoff
// after failures, until SIGINT/SIGTERM.

#include <uv.h>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "gatehouse/acme/challenge_responder.h"
#include "log/acme_log.h"
#include "protocol/acme_client.h"
#include "service/renewal_policy.h"
#include "service/service_config.h"
#include "solvers/dns01_solver.h"
#include "solvers/http01_listener.h"
#include "solvers/http01_solver.h"
#include "storage/file_storage.h"

namespace gatehouse::acme {

class StorageLock;

class CertService {
 public:
  CertService(ServiceConfig config, const AcmeLog& log);
  ~CertService();
  CertService(const CertService&) = delete;
  CertService& operator=(const CertService&) = delete;

  // Returns the process exit code: 0 when every certificate is in place.
  int runOnce();
  int runDaemon();

 private:
  struct Outcome {
    bool ok = false;
    Clock::time_point nextCheck;         // when this certificate wants looking at again
    std::chrono::seconds retryAfter{0};  // the CA's, after a failure
  };
  using Done = std::function<void(Outcome)>;
  struct Target;

  std::optional<std::string> prepareSolver();
  void stop();
  void process(size_t index, Done done);
  void checkStored(size_t index, Done done);
  void renewalDue(size_t index, const CertificateInfo& info,
                  std::function<void(bool due, Clock::time_point at)> done);
  void obtain(size_t index, int lockAttempts, Done done);
  void issue(size_t index, std::shared_ptr<StorageLock> lock, Done done);
  void install(size_t index, const std::string& chain, const std::string& key, Clock::time_point next,
               Done done);
  void schedule(size_t index, Clock::time_point at);
  std::optional<std::pair<std::string, std::string>> loadStored(size_t index);

  ServiceConfig config_;
  const AcmeLog& log_;
  uv_loop_t loop_{};
  std::shared_ptr<HttpClient> http_;
  std::shared_ptr<AcmeClient> client_;
  FileStorage storage_;
  std::string issuerKey_;
  ChallengeResponder responder_;
  Http01Solver http01_{responder_};
  std::unique_ptr<Dns01Solver> dns01_;
  std::unique_ptr<Http01Listener> listener_;
  std::vector<std::unique_ptr<Target>> targets_;
  uv_signal_t* sigint_ = nullptr;
  uv_signal_t* sigterm_ = nullptr;
  bool daemon_ = false;
  bool stopping_ = false;
  int failures_ = 0;
};

}  // namespace gatehouse::acme
