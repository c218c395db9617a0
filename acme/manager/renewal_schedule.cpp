#include "manager/renewal_schedule.h"

#include <algorithm>
#include <random>

#include "protocol/acme_client.h"

namespace gatehouse::acme {

Clock::time_point renewalTime(const CertificateInfo& info, double ratio) {
  const auto lifetime = std::chrono::duration_cast<std::chrono::milliseconds>(info.notAfter - info.notBefore);
  return info.notAfter - std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(lifetime.count()) * ratio));
}

std::chrono::seconds retryDelay(int failures, std::chrono::seconds retryAfter, std::chrono::seconds lifetime) {
  constexpr std::chrono::seconds kFirst{60};
  constexpr std::chrono::seconds kMax{86400};
  // A 6-day certificate renewed with 2 days left must get more than a couple of attempts:
  // the longest wait is a twelfth of the lifetime (12 h for 6 days), never under the first.
  const auto cap = lifetime.count() > 0 ? std::clamp<std::chrono::seconds>(lifetime / 12, kFirst, kMax) : kMax;
  const int doublings = std::clamp(failures - 1, 0, 20);
  const auto backoff = std::min<std::chrono::seconds>(kFirst * (int64_t{1} << doublings), cap);
  return std::max(backoff, retryAfter);
}

AriPick pickRenewalTime(const RenewalWindow& window, const std::optional<AriPick>& previous, double unit) {
  if (previous && previous->window.start == window.start && previous->window.end == window.end) {
    return *previous;
  }
  return AriPick{window, pickInWindow(window, std::clamp(unit, 0.0, 1.0))};
}

double randomUnit() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return std::uniform_real_distribution<double>(0, 1)(rng);
}

void fetchRenewalWindow(const std::shared_ptr<AcmeClient>& client, const CertificateInfo& info,
                        std::function<void(std::optional<RenewalWindow>, std::string)> done) {
  if (info.ariCertId.empty()) {
    return done(std::nullopt, "the certificate has no ARI CertID");
  }
  client->loadDirectory([client, certId = info.ariCertId, done](std::optional<AcmeError> err) {
    if (err) {
      return done(std::nullopt, err->message);
    }
    std::string url = client->directory().renewalInfo;
    if (url.empty()) {
      return done(std::nullopt, "the CA offers no renewalInfo");
    }
    if (url.back() != '/') {
      url += '/';
    }
    client->get(url + certId, [done](std::optional<AcmeError> e, AcmeResponse r) {
      if (e) {
        return done(std::nullopt, e->message);
      }
      auto window = parseRenewalInfo(r.json);
      if (!window) {
        return done(std::nullopt, "malformed renewalInfo answer");
      }
      done(window, "");
    });
  });
}

}  // namespace gatehouse::acme
