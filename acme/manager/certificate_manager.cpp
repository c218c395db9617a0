// CertificateManager's life: the issuers and targets built at provision (stored
// certificates installed at once), the loop thread started with the listeners, and the
// shutdown that cancels everything in flight. When a certificate is due:
// certificate_manager_renewal.cpp; getting one: certificate_manager_issuance.cpp; serving
// it: certificate_manager_serving.cpp; on-demand TLS: on_demand_issuance.cpp.
#include "manager/certificate_manager.h"

#include <algorithm>
#include <iostream>

#include "manager/certificate_manager_parts.h"
#include "manager/challenge_certificates.h"
#include "manager/ocsp_stapler.h"
#include "storage/storage_keys.h"
#include "util/uv_close_free.h"
#include "util/uv_delay.h"

namespace gatehouse::acme {

namespace {

// Where challenges other servers sharing the storage present are looked up: under each ACME
// issuer of the config, as certmagic tries each issuer of the name's policy.
std::shared_ptr<const StoredChallenges> storedChallenges(const ManagerConfig& config,
                                                         const std::string& root) {
  std::vector<std::string> keys;
  for (const auto& s : config.issuers) {
    if (s.local) {
      continue;
    }
    std::string key = storage_keys::issuerKey(s.ca);
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      keys.push_back(std::move(key));
    }
  }
  return keys.empty() ? nullptr : std::make_shared<const StoredChallenges>(root, std::move(keys));
}
}  // namespace

CertificateManager::CertificateManager(ManagerConfig config, std::shared_ptr<tls::CertificateStore> store)
    : config_(std::move(config)),
      store_(std::move(store)),
      log_(std::cerr, config_.logSink),
      storage_(config_.storageRoot.empty() ? FileStorage::defaultRoot() : config_.storageRoot),
      responder_(std::make_shared<ChallengeResponder>(storedChallenges(config_, storage_.root()))),
      challengeProvider_(std::make_shared<ChallengeCertificates>(responder_)) {
  uv_loop_init(&loop_);
  loop_.data = this;
  auto async = std::make_unique<uv_async_t>();
  uv_async_init(&loop_, async.get(),
                [](uv_async_t* a) { static_cast<CertificateManager*>(a->loop->data)->shutdownOnLoop(); });
  stopSignal_ = async.release();
  ocsp_ = std::make_unique<OcspStapler>(&loop_, log_, config_.ocspInterval);
  for (const auto& s : config_.issuers) {
    auto issuer = std::make_unique<Issuer>();
    issuer->settings = s;
    if (s.local) {
      issuer->key = s.local->issuerKey();
    } else {
      issuer->key = storage_keys::issuerKey(s.ca);
      issuer->http = std::make_shared<HttpClient>(&loop_, HttpClientOptions{s.caRoot, "Gatehouse", 8 << 20});
      issuer->client = std::make_shared<AcmeClient>(issuer->http, s.ca);
      if (s.zeroSsl) {
        issuer->zeroSslApi =
            std::make_shared<HttpClient>(&loop_, HttpClientOptions{"", "Gatehouse", 64 << 10});
      }
    }
    if (s.dns) {
      issuer->dns01 = std::make_unique<Dns01Solver>(&loop_, *s.dns, log_);
    } else {
      setUpStandaloneSolvers(*issuer);
    }
    issuers_.push_back(std::move(issuer));
  }
  for (const auto& c : config_.certificates) {
    auto t = std::make_unique<Target>();
    t->cert = c;
    t->manager = this;
    loadFromStorage(*t, {.acceptExpired = true});
    targets_.push_back(std::move(t));
  }
  setUpOnDemand();
}

CertificateManager::~CertificateManager() {
  if (started_) {
    uv_async_send(stopSignal_);
    thread_.join();
  } else {
    shutdownOnLoop();
    drain();
  }
}

void CertificateManager::start() {
  if (started_) {
    return;
  }
  started_ = true;
  std::vector<std::string> names;
  for (const auto& t : targets_) {
    names.push_back(t->cert.name);
  }
  log_.info("tls", "enabling automatic TLS certificate management",
            {{"domains", names}, {"storage", storage_.describe()}});
  for (auto& t : targets_) {
    auto timer = std::make_unique<uv_timer_t>();
    uv_timer_init(&loop_, timer.get());
    timer->data = t.get();
    t->timer = timer.release();
  }
  holdPredecessor();
  thread_ = std::thread([this] {
    for (auto& t : targets_) {
      staple(*t);  // a stored certificate served since provision
      check(*t);
    }
    drain();
  });
}

// Runs the loop until nothing is left on it, then frees the clients and closes the loop.
void CertificateManager::drain() {
  uv_run(&loop_, UV_RUN_DEFAULT);
  issuers_.clear();
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
}

void CertificateManager::shutdownOnLoop() {
  if (stopping_) {
    return;
  }
  stopping_ = true;
  jobs_.close();  // queued jobs are dropped; running ones end with their cancelled exchanges
  // Orders in flight hold their own reference to the client; they end with an error the
  // callbacks below ignore once stopping_ is set.
  for (auto& i : issuers_) {
    // Cancelled exchanges never call back: what waits on them (with the storage locks
    // they hold, whose refresh timers would keep the loop alive) is released here.
    i->waiting.clear();
    if (i->client) {
      i->client->shutdown();
    }
    if (i->dns01) {
      i->dns01->shutdown();
    }
    i->client.reset();
    i->http.reset();
    if (i->zeroSslApi) {
      i->zeroSslApi->cancelAll();  // an EAB request in flight holds its own reference
      i->zeroSslApi.reset();
    }
  }
  for (auto& t : targets_) {
    closeAndFree(t->timer);
  }
  for (auto& [_, solver] : standalone_) {
    solver->shutdown();
  }
  ocsp_->shutdown();
  closeAndFree(stopSignal_);
  shutdownOnDemand();
  expediteDelays(&loop_);
}

void CertificateManager::later(std::function<void()> fn) {
  runAfter(&loop_, std::chrono::milliseconds(0), std::move(fn));
}

// Issuers that use the same challenge address share one solver: two listeners could not
// bind the same port.
void CertificateManager::setUpStandaloneSolvers(Issuer& issuer) {
  const auto& s = issuer.settings;
  auto key = [](const char* type, const ChallengeAddress& a) {
    return std::string(type) + " " + listenAddress(a.host, a.port);
  };
  if (s.http01 && s.http01Standalone) {
    auto& solver = standalone_[key("http-01", *s.http01Standalone)];
    if (!solver) {
      solver = std::make_unique<StandaloneHttp01Solver>(&loop_, *responder_, *s.http01Standalone, log_);
    }
    issuer.http01Standalone = solver.get();
  }
  if (s.tlsAlpn01 && s.tlsAlpn01Standalone) {
    auto& solver = standalone_[key("tls-alpn-01", *s.tlsAlpn01Standalone)];
    if (!solver) {
      solver = std::make_unique<StandaloneTlsAlpn01Solver>(&loop_, *responder_, challengeProvider_,
                                                           *s.tlsAlpn01Standalone, log_);
    }
    issuer.tlsAlpn01Standalone = solver.get();
  }
}

const std::string& CertificateManager::issuerKeyOf(size_t index) const {
  return issuers_[index]->key;
}

// A target made at run time (on-demand TLS), with its renewal timer.
CertificateManager::Target& CertificateManager::addTarget(const ManagedCertificate& cert) {
  auto t = std::make_unique<Target>();
  t->cert = cert;
  t->manager = this;
  auto timer = std::make_unique<uv_timer_t>();
  uv_timer_init(&loop_, timer.get());
  timer->data = t.get();
  t->timer = timer.release();
  targets_.push_back(std::move(t));
  return *targets_.back();
}

}  // namespace gatehouse::acme
