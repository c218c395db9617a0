#pragma once
// CertificateManager's private parts, shared by the files that implement it
// (certificate_manager*.cpp, on_demand_issuance.cpp): an issuer with its ACME client, and a
// managed name with what is served for it and when it is looked at next. Only those files
// include this.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/certificate_info.h"
#include "http/http_client.h"
#include "manager/certificate_manager.h"
#include "manager/renewal_schedule.h"
#include "solvers/dns01_solver.h"

namespace gatehouse::acme {

inline int64_t secondsUntil(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t - std::chrono::system_clock::now()).count();
}

struct CertificateManager::Issuer {
  AcmeIssuerSettings settings;
  std::string key;  // storage issuer key
  std::shared_ptr<HttpClient> http;
  std::shared_ptr<AcmeClient> client;
  std::shared_ptr<HttpClient> zeroSslApi;  // zerossl issuer: ZeroSSL's API, system roots
  std::unique_ptr<Dns01Solver> dns01;      // when the issuer has a DNS challenge
  // The manager's shared listeners of its own (standalone_), when settings ask for them;
  // null: the engine's servers answer.
  ChallengeSolver* http01Standalone = nullptr;
  ChallengeSolver* tlsAlpn01Standalone = nullptr;
  bool accountReady = false;
  bool accountPending = false;
  std::vector<std::function<void(std::optional<AcmeError>)>> waiting;
};

struct CertificateManager::Target {
  ManagedCertificate cert;
  CertificateManager* manager = nullptr;
  uv_timer_t* timer = nullptr;
  bool installed = false;               // a valid certificate is being served
  std::optional<CertificateInfo> info;  // of the served certificate
  size_t servedBy = 0;                  // index into issuers_ of the one that issued it
  std::optional<AriPick> ari;           // the moment picked in the CA's ARI window
  Clock::time_point retryAt{};          // after a failure: no attempt before this
  int failures = 0;
  bool revoked = false;                            // OCSP says the served certificate is revoked: due now
  std::shared_ptr<const tls::Certificate> served;  // what the store holds for the name
  std::string servedChain;                         // its PEM chain (OCSP needs the issuer)

  // Issuer indices in the order an attempt tries them.
  [[nodiscard]] std::vector<size_t> chain() const {
    std::vector<size_t> out{cert.issuer};
    out.insert(out.end(), cert.fallbackIssuers.begin(), cert.fallbackIssuers.end());
    return out;
  }
};

}  // namespace gatehouse::acme
