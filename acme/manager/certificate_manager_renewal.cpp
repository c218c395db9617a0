// CertificateManager: when a served certificate is due (the CA's ARI window, else the
// renewal window), the timer that looks again, and the backoff after a failed attempt.
#include <algorithm>

#include "manager/certificate_manager.h"
#include "manager/certificate_manager_parts.h"

namespace gatehouse::acme {

// Decides when the served certificate is due: in the CA's ARI window when it has one for
// this certificate, else in the renewal window; renews now or sets the timer.
void CertificateManager::check(Target& t) {
  if (stopping_) {
    return;
  }
  if (Clock::now() < t.retryAt) {
    return schedule(t, t.retryAt);
  }
  if (!t.installed || !t.info || t.revoked) {
    return obtain(t);
  }
  const Clock::time_point byRatio = renewalTime(*t.info, t.cert.renewalWindowRatio);
  Issuer& issuer = *issuers_[t.servedBy];
  if (!issuer.client || t.info->ariCertId.empty() || Clock::now() >= byRatio) {
    return renewIfDue(t, byRatio);
  }
  fetchRenewalWindow(
      issuer.client, *t.info,
      [this, &t, &issuer, byRatio](std::optional<RenewalWindow> window, const std::string& why) {
        if (stopping_) {
          return;
        }
        if (!window) {
          if (issuer.client->hasDirectory() && !issuer.client->directory().renewalInfo.empty()) {
            log_.warn("tls.cache.maintenance", "ARI renewal info unavailable; using the renewal window",
                      {{"identifier", t.cert.name}, {"ca", issuer.settings.ca}, {"error", why}});
          }
          return renewIfDue(t, byRatio);
        }
        const bool fresh = !t.ari || t.ari->window.start != window->start || t.ari->window.end != window->end;
        t.ari = pickRenewalTime(*window, t.ari, randomUnit());
        if (fresh) {
          log_.info("tls.cache.maintenance", "ARI renewal window",
                    {{"identifier", t.cert.name},
                     {"ca", issuer.settings.ca},
                     {"window_start", rfc3339(window->start)},
                     {"window_end", rfc3339(window->end)},
                     {"selected_time", rfc3339(t.ari->at)}});
        }
        renewIfDue(t, std::min(t.ari->at, byRatio));
      });
}

void CertificateManager::renewIfDue(Target& t, Clock::time_point at) {
  if (Clock::now() < at) {
    return schedule(t, at);
  }
  log_.info("tls.renew", "certificate is due for renewal",
            {{"identifier", t.cert.name},
             {"ca", issuers_[t.servedBy]->settings.ca},
             {"remaining", secondsUntil(t.info->notAfter)},
             {"window", t.ari ? "ari" : "renewal_window_ratio"}});
  obtain(t);
}

// The timer wakes at `at`, or sooner after renew_interval to look again.
void CertificateManager::schedule(Target& t, Clock::time_point at) {
  if (stopping_ || t.timer == nullptr) {
    return;
  }
  const auto untilDue = std::chrono::duration_cast<std::chrono::milliseconds>(at - Clock::now());
  const auto delay = std::clamp<std::chrono::milliseconds>(
      untilDue, std::chrono::milliseconds(0),
      std::min<std::chrono::milliseconds>(config_.renewInterval, std::chrono::hours(1)));
  uv_timer_start(
      t.timer,
      [](uv_timer_t* h) {
        auto* target = static_cast<Target*>(h->data);
        target->manager->check(*target);
      },
      static_cast<uint64_t>(delay.count()) + 1, 0);
}

void CertificateManager::failed(Target& t, const AcmeError& err, const std::string& ca) {
  if (stopping_) {
    return;
  }
  const char* logger = t.installed ? "tls.renew" : "tls.obtain";
  nlohmann::json fields = err.toJson();
  fields["identifier"] = t.cert.name;
  fields["ca"] = ca;
  log_.error(logger, "could not get certificate from issuer", fields);
  if (!t.installed && onDemandGivesUp(t)) {
    return;  // on-demand: the waiting handshakes fail; the next handshake tries again
  }
  const auto lifetime =
      t.info ? std::chrono::duration_cast<std::chrono::seconds>(t.info->notAfter - t.info->notBefore)
             : std::chrono::seconds(0);
  const auto wait = retryDelay(++t.failures, err.retryAfter, lifetime);
  t.retryAt = Clock::now() + wait;
  log_.warn(logger, "will retry",
            {{"identifier", t.cert.name},
             {"attempt", t.failures},
             {"retrying_in", wait.count()},
             {"retry_at", rfc3339(t.retryAt)},
             {"still_serving", t.installed}});
  schedule(t, t.retryAt);
}

}  // namespace gatehouse::acme
