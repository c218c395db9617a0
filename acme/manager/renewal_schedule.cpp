#include "manager/renewal_schedule.h"

#include <algorithm>
#include <array>
#include <random>

#include "protocol/acme_client.h"

namespace gatehouse::acme {

Clock::time_point renewalTime(const CertificateInfo& info, double ratio) {
  const auto lifetime = std::chrono::duration_cast<std::chrono::milliseconds>(info.notAfter - info.notBefore);
  return info.notAfter -
         std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(lifetime.count()) * ratio));
}

std::chrono::seconds retryDelay(int failures, std::chrono::seconds retryAfter,
                                std::chrono::seconds lifetime) {
  using std::chrono::minutes;
  // certmagic's steps (caddy 2.6.2): short at first, when a retry is likely to help, then
  // longer while DNS or the network is being fixed; the last step repeats.
  static constexpr std::array<minutes, 12> kSteps{minutes(1),  minutes(2),  minutes(2),   minutes(5),
                                                  minutes(10), minutes(20), minutes(20),  minutes(30),
                                                  minutes(30), minutes(60), minutes(180), minutes(360)};
  const auto step =
      static_cast<size_t>(std::clamp<int>(failures - 1, 0, static_cast<int>(kSteps.size()) - 1));
  const std::chrono::seconds backoff = kSteps[step];
  // A short-lived certificate (6 days, renewed with 2 left) must get several attempts: the
  // wait is at most a twelfth of its lifetime, never under the first step.
  const std::chrono::seconds first = kSteps.front();
  const auto cap = lifetime.count() > 0 ? std::max(lifetime / 12, first) : backoff;
  return std::max(std::min(backoff, cap), retryAfter);
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
