#include "provision/loaded_ocsp_stapling.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <iostream>

#include "log/process_log.h"
#include "manager/ocsp_staple.h"
#include "manager/ocsp_stapler.h"
#include "util/uv_close_free.h"
#include "util/uv_delay.h"

namespace gatehouse::provision {

namespace {

// Why a loaded certificate cannot be stapled, in certmagic's words where it has them;
// "" when it names a responder and its file holds the issuer.
std::string noStapleReason(const std::string& chainPem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(chainPem.data(), static_cast<int>(chainPem.size())), &BIO_free);
  std::vector<tls::X509Ptr> chain;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    chain.emplace_back(x);
  }
  ERR_clear_error();
  if (chain.empty()) {
    return "no certificate";
  }
  STACK_OF(OPENSSL_STRING)* urls = X509_get1_ocsp(chain[0].get());
  const bool responder = urls != nullptr && sk_OPENSSL_STRING_num(urls) > 0;
  X509_email_free(urls);
  if (!responder) {
    return "no OCSP server specified in certificate";
  }
  if (chain.size() < 2) {
    // certmagic would fetch the issuer from the leaf's caIssuers URL; not done here.
    return "the file holds no issuer certificate (put the chain after the leaf)";
  }
  return "";
}

// Go's %v of a []string: "[a.test b.test]".
std::string goList(const std::vector<std::string>& names) {
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i) {
    out += (i ? " " : "") + names[i];
  }
  return out + "]";
}

using acme::closeAndFree;

}  // namespace

LoadedOcspStapling::LoadedOcspStapling(std::shared_ptr<tls::CertificateStore> store,
                                       const std::vector<LoadedCertificate>& certs,
                                       std::chrono::seconds retryAfterFailure,
                                       const std::shared_ptr<const tls::CertificateIndex>& previous)
    : store_(std::move(store)),
      log_(std::cerr,
           [](const char* level, const std::string& logger, const std::string& msg, nlohmann::json fields) {
             log::logOwn(log::parseLevel(level).value_or(log::Level::Info), logger, msg,
                         fields.is_object() ? config::Json(fields) : config::Json::object());
           }) {
  uv_loop_init(&loop_);
  loop_.data = this;
  auto async = std::make_unique<uv_async_t>();
  uv_async_init(&loop_, async.get(),
                [](uv_async_t* a) { static_cast<LoadedOcspStapling*>(a->loop->data)->shutdownOnLoop(); });
  stopSignal_ = async.release();
  stapler_ = std::make_unique<acme::OcspStapler>(&loop_, log_, retryAfterFailure);
  for (const auto& c : certs) {
    if (const std::string why = noStapleReason(c.chainPem); !why.empty()) {
      log_.warn("tls", "stapling OCSP",
                {{"error", "no OCSP stapling for " + goList(c.cert->names()) + ": " + why}});
      continue;
    }
    auto t = std::make_unique<Target>();
    t->name = c.cert->names().empty() ? "" : c.cert->names().front();
    t->chainPem = c.chainPem;
    t->original = c.cert;
    t->served = c.cert;
    targets_.push_back(std::move(t));
  }
  // Before the servers start, as certmagic staples while it caches: every fetch has a 10 s
  // timeout and they run at once, so this ends within about that.
  for (auto& t : targets_) {
    if (!previous || !keepPrevious(*t, *previous)) {
      ++unsettled_;
      staple(*t);
    }
  }
  // A bound of its own too, should an answer never come back (the loop would block).
  auto late = std::make_shared<bool>(false);
  acme::runAfter(&loop_, std::chrono::seconds(15), [late] { *late = true; });
  while (unsettled_ > 0 && !*late && uv_run(&loop_, UV_RUN_ONCE) != 0) {
  }
  unsettled_ = 0;
}

LoadedOcspStapling::~LoadedOcspStapling() {
  if (thread_.joinable()) {
    uv_async_send(stopSignal_);
    thread_.join();
  } else {
    shutdownOnLoop();
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  stapler_.reset();
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
}

void LoadedOcspStapling::start() {
  if (!thread_.joinable() && !stopping_) {
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  }
}

void LoadedOcspStapling::shutdownOnLoop() {
  if (stopping_) {
    return;
  }
  stopping_ = true;
  stapler_->shutdown();
  closeAndFree(stopSignal_);
  acme::expediteDelays(&loop_);  // pending refreshes run now, see stopping_ and end
}

bool LoadedOcspStapling::keepPrevious(Target& t, const tls::CertificateIndex& previous) {
  for (const auto& c : previous.all()) {
    if (c->fingerprint() != t.original->fingerprint() || c->ocspStaple().empty()) {
      continue;
    }
    try {
      const acme::OcspStaple s = acme::checkOcspResponse(c->ocspStaple(), t.chainPem);
      if (s.thisUpdate + (s.nextUpdate - s.thisUpdate) / 2 <= std::chrono::system_clock::now()) {
        return false;  // due for a refresh anyway
      }
      serve(t, t.original->withOcspStaple(s.der));
      dropWhenExpired(t);
      // Fetch again halfway through, as the stapler does after a fetch of its own.
      const tls::CertificatePtr kept = t.served;
      const auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(
          acme::ocspRefreshTime(s) - std::chrono::system_clock::now());
      acme::runAfter(&loop_, delay, [this, &t, kept] {
        if (!stopping_ && t.served == kept) {
          staple(t);
        }
      });
      return true;
    } catch (const std::exception&) {
      return false;  // no longer good or current: fetch
    }
  }
  return false;
}

void LoadedOcspStapling::staple(Target& t) {
  acme::OcspStapler::Hooks hooks;
  hooks.isCurrent = [this, &t](const tls::CertificatePtr& c) { return !stopping_ && t.served == c; };
  hooks.install = [this, &t](tls::CertificatePtr c) {
    serve(t, std::move(c));
    dropWhenExpired(t);
  };
  hooks.revoked = [this, &t] { serve(t, t.original); };
  hooks.onRevoked = "serving it without a staple";
  hooks.settled = [this] {
    if (unsettled_ > 0) {
      --unsettled_;
    }
  };
  stapler_->staple(t.name, t.served, t.chainPem, std::move(hooks));
}

void LoadedOcspStapling::serve(Target& t, tls::CertificatePtr next) {
  if (store_->swapStaple(t.served, next)) {
    t.served = std::move(next);
  }
}

// A staple the responder could not refresh in time is dropped when it expires: an
// expired answer must not be sent (the stapler keeps trying meanwhile).
void LoadedOcspStapling::dropWhenExpired(Target& t) {
  const tls::CertificatePtr stapled = t.served;
  acme::OcspStaple s;
  try {
    s = acme::checkOcspResponse(stapled->ocspStaple(), t.chainPem);
  } catch (const std::exception&) {
    return;
  }
  const auto delay =
      std::chrono::duration_cast<std::chrono::milliseconds>(s.nextUpdate - std::chrono::system_clock::now());
  acme::runAfter(&loop_, delay, [this, &t, stapled] {
    if (stopping_ || t.served != stapled) {
      return;  // refreshed (or replaced) meanwhile
    }
    log_.warn("tls", "OCSP staple expired before it could be refreshed; serving without one",
              {{"identifier", t.name}});
    // The stapler's retry holds the stapled copy; it goes on from the bare one.
    serve(t, t.original);
    staple(t);
  });
}

}  // namespace gatehouse::provision
