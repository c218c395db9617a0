#include "solvers/dns01_solver.h"

#include "crypto/jwk.h"
#include "dns/dns_provider_factory.h"
#include "dns/dns_query.h"
#include "dns/off_loop.h"
#include "dns/propagation_check.h"
#include "dns/zone_lookup.h"
#include "util/uv_delay.h"

namespace gatehouse::acme {

namespace {
constexpr const char* kLogger = "tls.issuance.acme.dns01";
constexpr std::chrono::minutes kDefaultPropagationTimeout{2};  // certmagic's default
constexpr std::chrono::seconds kCheckInterval{2};
constexpr std::chrono::seconds kMaxSleepStep{1};  // so shutdown() ends a wait quickly

int64_t millis(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}
}  // namespace

Dns01Solver::Dns01Solver(uv_loop_t* loop, dns::DnsChallengeSettings settings, const AcmeLog& log)
    : loop_(loop),
      settings_(std::move(settings)),
      log_(log),
      provider_(dns::makeDnsProvider(loop, settings_.provider)) {}

Dns01Solver::~Dns01Solver() {
  *stopping_ = true;
}

void Dns01Solver::shutdown() {
  *stopping_ = true;
  provider_->shutdown();
}

std::string Dns01Solver::recordName(const std::string& identifier) {
  const std::string name = identifier.rfind("*.", 0) == 0 ? identifier.substr(2) : identifier;
  return dns::absoluteName("_acme-challenge." + name);
}

std::vector<dns::NameServer> Dns01Solver::resolvers() const {
  return dns::resolversOrSystem(settings_.resolvers);
}

// An exec program promises to return once the record is served (lego's contract), so it
// is only checked when the config asks for a check explicitly.
bool Dns01Solver::propagationCheckEnabled() const {
  if (settings_.propagationTimeout.count() < 0)
    return false;
  if (!provider_->needsZone())
    return settings_.propagationTimeoutSet || !settings_.resolvers.empty();
  return true;
}

void Dns01Solver::present(const ChallengeInfo& c, Done done) {
  dns::TxtRecord record;
  record.fqdn = settings_.overrideDomain.empty() ? recordName(c.identifier)
                                                 : dns::absoluteName(settings_.overrideDomain);
  record.value = sha256Base64url(c.keyAuthorization);
  record.ttl = settings_.ttl;
  const std::string key = c.keyAuthorization;
  const std::string identifier = c.identifier;
  withZone(record, [this, key, identifier, done = std::move(done)](std::optional<std::string> err,
                                                                   dns::TxtRecord rec) {
    if (err) {
      log_.error(kLogger,
                 "cannot find the DNS zone for the challenge record; the order fails and is retried later",
                 {{"identifier", identifier},
                  {"record", rec.fqdn},
                  {"provider", provider_->name()},
                  {"error", *err}});
      return done("determining the zone of " + rec.fqdn + ": " + *err);
    }
    log_.info(kLogger, "presenting DNS-01 TXT record",
              {{"identifier", identifier},
               {"record", rec.fqdn},
               {"zone", rec.zone},
               {"provider", provider_->name()}});
    provider_->present(rec, [this, key, identifier, rec, done,
                             stopping = stopping_](std::optional<std::string> e) {
      if (*stopping)
        return done("shutting down");
      if (e) {
        log_.error(kLogger, "DNS provider could not add the TXT record; the order fails and is retried later",
                   {{"identifier", identifier},
                    {"record", rec.fqdn},
                    {"provider", provider_->name()},
                    {"error", *e}});
        return done("presenting " + rec.fqdn + " through " + std::string(provider_->name()) + ": " + *e);
      }
      presented_[key] = rec;
      log_.info(kLogger, "TXT record added",
                {{"identifier", identifier}, {"record", rec.fqdn}, {"provider", provider_->name()}});
      const auto until = Clock::now() + settings_.propagationDelay;
      if (settings_.propagationDelay.count() > 0) {
        log_.info(kLogger, "waiting propagation_delay before checking",
                  {{"record", rec.fqdn}, {"delay_ms", settings_.propagationDelay.count()}});
      }
      waitDelay(rec, until, done);
    });
  });
}

void Dns01Solver::withZone(dns::TxtRecord record,
                           std::function<void(std::optional<std::string>, dns::TxtRecord)> next) {
  if (!provider_->needsZone())
    return next(std::nullopt, std::move(record));
  auto result = std::make_shared<std::pair<std::optional<std::string>, dns::TxtRecord>>(std::nullopt, record);
  dns::runOffLoop(
      loop_,
      [result, servers = resolvers()] {
        try {
          result->second.zone = dns::findZone(result->second.fqdn, servers);
        } catch (const std::exception& e) {
          result->first = e.what();
        }
      },
      [result, next = std::move(next)] { next(result->first, result->second); });
}

void Dns01Solver::waitDelay(const dns::TxtRecord& record, Clock::time_point until, Done done) {
  if (*stopping_)
    return done("shutting down");
  const auto left = until - Clock::now();
  if (left > Clock::duration::zero()) {
    const auto step = std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(millis(left)) + std::chrono::milliseconds(1), kMaxSleepStep);
    runAfter(loop_, step, [this, record, until, done = std::move(done), stopping = stopping_] {
      if (*stopping)
        return done("shutting down");
      waitDelay(record, until, done);
    });
    return;
  }
  if (!propagationCheckEnabled()) {
    log_.info(kLogger, "not checking propagation", {{"record", record.fqdn}});
    return done(std::nullopt);
  }
  const auto timeout = settings_.propagationTimeout.count() > 0
                           ? std::chrono::duration_cast<Clock::duration>(settings_.propagationTimeout)
                           : std::chrono::duration_cast<Clock::duration>(kDefaultPropagationTimeout);
  log_.info(kLogger, "waiting for the TXT record at the zone's authoritative nameservers",
            {{"record", record.fqdn}, {"timeout_ms", millis(timeout)}});
  checkPropagation(record, Clock::now() + timeout, 0, std::move(done));
}

void Dns01Solver::checkPropagation(const dns::TxtRecord& record, Clock::time_point deadline, int attempt,
                                   Done done) {
  struct Outcome {
    dns::PropagationResult result;
    std::string error;
  };
  auto outcome = std::make_shared<Outcome>();
  dns::runOffLoop(
      loop_,
      [outcome, record, servers = resolvers()] {
        try {
          outcome->result =
              dns::checkPropagation(record.fqdn, record.value, servers, dns::authoritativePort());
        } catch (const std::exception& e) {
          outcome->error = e.what();
        }
      },
      [this, outcome, record, deadline, attempt, done = std::move(done), stopping = stopping_] {
        if (*stopping)
          return done("shutting down");
        if (outcome->error.empty() && outcome->result.visible) {
          log_.info(kLogger, "TXT record is served by the authoritative nameservers",
                    {{"record", record.fqdn}, {"checks", attempt + 1}, {"detail", outcome->result.detail}});
          return done(std::nullopt);
        }
        const std::string why = outcome->error.empty() ? outcome->result.detail : outcome->error;
        if (Clock::now() + kCheckInterval >= deadline) {
          log_.error(kLogger, "TXT record did not propagate in time; the order fails and is retried later",
                     {{"record", record.fqdn}, {"checks", attempt + 1}, {"last_error", why}});
          return done(
              "timed out waiting for record to fully propagate; verify DNS provider configuration is "
              "correct - last error: " +
              why);
        }
        // DNS errors may be passing (a server restarting): keep trying until the deadline.
        if (attempt == 0 || !outcome->error.empty()) {
          log_.info(kLogger, "TXT record not visible yet; checking again",
                    {{"record", record.fqdn}, {"retry_in_ms", millis(kCheckInterval)}, {"detail", why}});
        }
        runAfter(loop_, kCheckInterval, [this, record, deadline, attempt, done, stopping] {
          if (*stopping)
            return done("shutting down");
          checkPropagation(record, deadline, attempt + 1, done);
        });
      });
}

void Dns01Solver::cleanUp(const ChallengeInfo& c, std::function<void()> done) {
  auto it = presented_.find(c.keyAuthorization);
  if (it == presented_.end())
    return done();
  const dns::TxtRecord rec = it->second;
  presented_.erase(it);
  if (*stopping_)
    return done();
  provider_->cleanUp(
      rec, [this, rec, done = std::move(done), stopping = stopping_](std::optional<std::string> e) {
        if (*stopping)
          return done();
        if (e) {
          log_.warn(kLogger,
                    "could not remove the TXT record; it stays in the zone (harmless, remove it by hand)",
                    {{"record", rec.fqdn}, {"provider", provider_->name()}, {"error", *e}});
        } else {
          log_.info(kLogger, "TXT record removed", {{"record", rec.fqdn}, {"provider", provider_->name()}});
        }
        done();
      });
}

}  // namespace gatehouse::acme
