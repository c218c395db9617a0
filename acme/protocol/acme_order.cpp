#include "protocol/acme_order.h"

#include <strings.h>

#include <algorithm>
#include <array>

#include "crypto/base64url.h"
#include "crypto/certificate_info.h"
#include "crypto/csr.h"
#include "crypto/jwk.h"
#include "protocol/chain_selection.h"
#include "protocol/retry_after.h"
#include "util/uv_delay.h"

namespace gatehouse::acme {

namespace {
constexpr const char* kLogger = "tls.issuance.acme";

std::string stringMember(const nlohmann::json& j, const char* name) {
  return j.contains(name) && j[name].is_string() ? j[name].get<std::string>() : std::string();
}
}  // namespace

AcmeOrder::AcmeOrder(std::shared_ptr<AcmeClient> client, std::map<std::string, ChallengeSolver*> solvers,
                     OrderSettings settings, const AcmeLog& log)
    : client_(std::move(client)), solvers_(std::move(solvers)), settings_(std::move(settings)), log_(log) {}

nlohmann::json AcmeOrder::ids() const {
  return settings_.names;
}

void AcmeOrder::run(Done done) {
  done_ = std::move(done);
  placeOrder();
}

void AcmeOrder::fail(AcmeError err) {
  cleanUpChallenge([self = shared_from_this(), err] {
    if (self->done_) {
      auto done = std::move(self->done_);
      self->done_ = nullptr;
      done(err, {});
    }
  });
}

void AcmeOrder::cleanUpChallenge(std::function<void()> then) {
  if (activeSolver_ == nullptr)
    return then();
  ChallengeSolver* solver = activeSolver_;
  activeSolver_ = nullptr;
  solver->cleanUp(activeChallenge_, std::move(then));
}

std::chrono::milliseconds AcmeOrder::pollDelay(const AcmeResponse& r, int polls) const {
  // Retry-After when the CA gives one (bounded so a silly value cannot stall us); else start
  // quick, since validation often takes well under a second (a local CA answers in
  // milliseconds), and back off to 5 s: 50, 100, 200 ... ms.
  if (auto ra = parseRetryAfter(r.http.header("Retry-After"), std::chrono::system_clock::now())) {
    return std::clamp<std::chrono::milliseconds>(*ra, std::chrono::milliseconds(100),
                                                 std::chrono::seconds(60));
  }
  return std::min<std::chrono::milliseconds>(std::chrono::milliseconds(50 << std::min(polls, 7)),
                                             std::chrono::seconds(5));
}

void AcmeOrder::placeOrder() {
  nlohmann::json identifiers = nlohmann::json::array();
  for (const auto& n : settings_.names) {
    identifiers.push_back({{"type", isIpAddress(n) ? "ip" : "dns"}, {"value", n}});
  }
  nlohmann::json payload = {{"identifiers", identifiers}};
  if (!settings_.replaces.empty())
    payload["replaces"] = settings_.replaces;
  if (!settings_.profile.empty()) {
    // Only a profile the CA lists is asked for: anything else is refused before the order.
    if (const std::string why = profileProblem(client_->directory(), settings_.profile); !why.empty()) {
      return fail({why, std::nullopt, {}});
    }
    payload["profile"] = settings_.profile;
  }
  nlohmann::json fields = {{"identifiers", ids()}, {"ca", client_->directoryUrl()}};
  if (!settings_.profile.empty())
    fields["profile"] = settings_.profile;
  log_.info(kLogger, "creating order", fields);
  client_->post(
      client_->directory().newOrder, payload,
      [self = shared_from_this()](std::optional<AcmeError> err, AcmeResponse r) {
        if (err && err->problem && err->problem->is("alreadyReplaced") && !self->settings_.replaces.empty()) {
          // RFC 9773 section 5: the old certificate was already renewed by another order;
          // ordering without "replaces" is still right.
          self->log_.warn(kLogger, "CA says the certificate was already replaced; ordering without ARI",
                          err->toJson());
          self->settings_.replaces.clear();
          return self->placeOrder();
        }
        if (err) {
          err->message = "creating an order: " + err->message;
          return self->fail(*err);
        }
        self->orderUrl_ = r.location;
        self->finalizeUrl_ = stringMember(r.json, "finalize");
        const auto& authzs = r.json.contains("authorizations") ? r.json["authorizations"] : nlohmann::json();
        if (self->orderUrl_.empty() || self->finalizeUrl_.empty() || !authzs.is_array()) {
          return self->fail({"the CA's order lacks Location, finalize or authorizations", std::nullopt, {}});
        }
        for (const auto& a : authzs) {
          if (a.is_string())
            self->authzUrls_.push_back(a);
        }
        self->log_.info(kLogger, "order created",
                        {{"identifiers", self->ids()},
                         {"order", self->orderUrl_},
                         {"authorizations", self->authzUrls_.size()}});
        self->nextAuthorization();
      });
}

void AcmeOrder::nextAuthorization() {
  cleanUpChallenge([self = shared_from_this()] { self->fetchAuthorization(); });
}

void AcmeOrder::fetchAuthorization() {
  if (authzIndex_ >= authzUrls_.size())
    return finalize();
  client_->post(authzUrls_[authzIndex_], std::nullopt,
                [self = shared_from_this()](std::optional<AcmeError> err, AcmeResponse r) {
                  if (err) {
                    err->message = "fetching an authorization: " + err->message;
                    return self->fail(*err);
                  }
                  self->answer(r.json);
                });
}

void AcmeOrder::answer(const nlohmann::json& authz) {
  const std::string status = stringMember(authz, "status");
  const std::string identifier =
      authz.contains("identifier") ? stringMember(authz["identifier"], "value") : std::string();
  if (status == "valid") {
    log_.info(kLogger, "authorization already valid", {{"identifier", identifier}});
    ++authzIndex_;
    return nextAuthorization();
  }
  if (status != "pending") {
    return fail({"authorization for " + identifier + " is " + status + ", not pending", std::nullopt, {}});
  }
  activeAuthz_ = authz;
  const auto& challenges = authz.contains("challenges") ? authz["challenges"] : nlohmann::json();
  const std::set<std::string>& failed = failedTypes_[identifier];
  for (const auto& type : settings_.challengePreference) {
    auto solver = solvers_.find(type);
    if (solver == solvers_.end() || !challenges.is_array() || failed.count(type) != 0)
      continue;
    for (const auto& ch : challenges) {
      if (stringMember(ch, "type") != type)
        continue;
      const std::string token = stringMember(ch, "token");
      const std::string url = stringMember(ch, "url");
      if (token.empty() || url.empty())
        continue;
      activeSolver_ = solver->second;
      activeType_ = type;
      activeChallenge_ = {identifier, token, keyAuthorization(token, client_->accountKey())};
      log_.info(kLogger, "trying to solve challenge",
                {{"identifier", identifier}, {"challenge_type", type}, {"ca", client_->directoryUrl()}});
      activeSolver_->present(
          activeChallenge_, [self = shared_from_this(), url, type](std::optional<std::string> e) {
            if (e)
              return self->challengeFailed({type + " solver: " + *e, std::nullopt, {}});
            // An empty object tells the CA we are ready (RFC 8555 section 7.5.1).
            self->client_->post(
                url, nlohmann::json::object(), [self](std::optional<AcmeError> err, AcmeResponse) {
                  if (err) {
                    err->message = "answering a challenge: " + err->message;
                    return self->fail(*err);
                  }
                  self->pollAuthorization(std::chrono::steady_clock::now() + self->settings_.pollTimeout, 0);
                });
          });
      return;
    }
  }
  // RFC 8555 section 7.1.4: a wildcard's authorization names the base domain and says "wildcard".
  const bool wildcard = authz.is_object() && authz.contains("wildcard") && authz["wildcard"].is_boolean() &&
                        authz["wildcard"].get<bool>();
  std::string why = (failed.empty() ? "no configured challenge type is offered for "
                                    : "every configured challenge type failed for ") +
                    std::string(wildcard ? "*." : "") + identifier;
  if (failed.empty() && wildcard) {
    why +=
        " (a wildcard name needs the DNS challenge: configure a DNS provider with `tls { dns <provider> ... "
        "}` "
        "or the global `acme_dns <provider> ...`)";
  }
  fail({why, std::nullopt, {}});
}

bool AcmeOrder::untriedTypeLeft(const nlohmann::json& authz, const std::string& identifier) const {
  const auto failed = failedTypes_.find(identifier);
  const auto& challenges = authz.contains("challenges") ? authz["challenges"] : nlohmann::json();
  if (!challenges.is_array())
    return false;
  for (const auto& type : settings_.challengePreference) {
    if (solvers_.count(type) == 0 || (failed != failedTypes_.end() && failed->second.count(type) != 0))
      continue;
    for (const auto& ch : challenges) {
      if (stringMember(ch, "type") == type)
        return true;
    }
  }
  return false;
}

// The active challenge failed: its type is not tried again for this identifier. Its solver
// failing leaves the authorization pending, so the next type answers it at once; the CA
// failing it makes the authorization (and the order) invalid, so a new order is placed when
// another type might fare better: the CA could not connect, got a TLS or DNS error, saw a
// wrong answer or failed itself (any other problem would fail every type alike).
void AcmeOrder::challengeFailed(AcmeError err) {
  const std::string identifier = activeChallenge_.identifier;
  const std::string type = activeType_;
  failedTypes_[identifier].insert(type);
  nlohmann::json fields = {{"identifier", identifier},
                           {"challenge_type", type},
                           {"attempt", attempt_},
                           {"max_attempts", kMaxOrderAttempts}};
  if (err.problem) {
    fields["problem_type"] = err.problem->type;
    fields["status_code"] = err.problem->status;
  }
  fields["error"] = err.message;
  log_.error(kLogger, "challenge failed", fields);
  const bool presentFailed = !err.problem;
  static constexpr std::array<const char*, 5> kOtherTypeMayWork = {"connection", "dns", "serverInternal",
                                                                   "unauthorized", "tls"};
  const bool otherTypeMayWork =
      presentFailed || (err.problem && std::any_of(kOtherTypeMayWork.begin(), kOtherTypeMayWork.end(),
                                                   [&](const char* t) { return err.problem->is(t); }));
  if (!otherTypeMayWork || !untriedTypeLeft(activeAuthz_, identifier) ||
      (!presentFailed && attempt_ >= kMaxOrderAttempts)) {
    return fail(std::move(err));
  }
  auto self = shared_from_this();
  if (presentFailed) {
    return cleanUpChallenge([self] { self->answer(self->activeAuthz_); });
  }
  ++attempt_;
  log_.warn(kLogger, "trying another challenge type in a new order",
            {{"identifier", identifier}, {"failed_challenge_type", type}, {"attempt", attempt_}});
  cleanUpChallenge(
      [self] { runAfter(self->client_->loop(), std::chrono::seconds(1), [self] { self->restart(); }); });
}

void AcmeOrder::restart() {
  orderUrl_.clear();
  finalizeUrl_.clear();
  authzUrls_.clear();
  authzIndex_ = 0;
  activeAuthz_ = nlohmann::json();
  placeOrder();
}

void AcmeOrder::pollAuthorization(std::chrono::steady_clock::time_point deadline, int polls) {
  client_->post(authzUrls_[authzIndex_], std::nullopt,
                [self = shared_from_this(), deadline, polls](std::optional<AcmeError> err, AcmeResponse r) {
                  if (err) {
                    err->message = "polling an authorization: " + err->message;
                    return self->fail(*err);
                  }
                  const std::string status = stringMember(r.json, "status");
                  const std::string identifier = self->activeChallenge_.identifier;
                  if (status == "valid") {
                    self->log_.info(kLogger, "authorization finalized",
                                    {{"identifier", identifier}, {"authz_status", status}});
                    ++self->authzIndex_;
                    return self->nextAuthorization();
                  }
                  if (status != "pending" && status != "processing") {
                    AcmeError e{"authorization for " + identifier + " is " + status, std::nullopt, {}};
                    // The failed challenge carries the CA's problem document.
                    for (const auto& ch : r.json.value("challenges", nlohmann::json::array())) {
                      if (ch.contains("error")) {
                        e.problem = parseProblem(ch["error"].dump(), 0);
                        if (e.problem)
                          e.message += ": " + e.problem->describe();
                      }
                    }
                    return self->challengeFailed(e);
                  }
                  if (std::chrono::steady_clock::now() >= deadline || polls + 1 >= self->settings_.maxPolls) {
                    return self->fail(
                        {"authorization for " + identifier + " still " + status + " after the polling limit",
                         std::nullopt,
                         {}});
                  }
                  runAfter(self->client_->loop(), self->pollDelay(r, polls),
                           [self, deadline, polls] { self->pollAuthorization(deadline, polls + 1); });
                });
}

void AcmeOrder::finalize() {
  std::string csr;
  try {
    const PrivateKey key = PrivateKey::generate(settings_.keyType);
    keyPem_ = key.toPem();
    csr = buildCsrDer(key, settings_.names);
  } catch (const std::exception& e) {
    return fail({std::string("preparing the CSR: ") + e.what(), std::nullopt, {}});
  }
  log_.info(kLogger, "validations succeeded; finalizing order", {{"order", orderUrl_}});
  client_->post(
      finalizeUrl_, nlohmann::json{{"csr", base64url(csr)}},
      [self = shared_from_this()](std::optional<AcmeError> err, AcmeResponse r) {
        if (err) {
          err->message = "finalizing the order: " + err->message;
          return self->fail(*err);
        }
        if (stringMember(r.json, "status") == "valid" && !stringMember(r.json, "certificate").empty()) {
          return self->download(stringMember(r.json, "certificate"));
        }
        runAfter(self->client_->loop(), self->pollDelay(r, 0), [self] {
          self->pollOrder(std::chrono::steady_clock::now() + self->settings_.pollTimeout, 0);
        });
      });
}

void AcmeOrder::pollOrder(std::chrono::steady_clock::time_point deadline, int polls) {
  client_->post(
      orderUrl_, std::nullopt,
      [self = shared_from_this(), deadline, polls](std::optional<AcmeError> err, AcmeResponse r) {
        if (err) {
          err->message = "polling the order: " + err->message;
          return self->fail(*err);
        }
        const std::string status = stringMember(r.json, "status");
        if (status == "valid")
          return self->download(stringMember(r.json, "certificate"));
        if (status != "processing" && status != "ready" && status != "pending") {
          AcmeError e{"order is " + status, std::nullopt, {}};
          if (r.json.contains("error"))
            e.problem = parseProblem(r.json["error"].dump(), 0);
          return self->fail(e);
        }
        if (std::chrono::steady_clock::now() >= deadline || polls + 1 >= self->settings_.maxPolls) {
          return self->fail({"order still " + status + " after the polling limit", std::nullopt, {}});
        }
        runAfter(self->client_->loop(), self->pollDelay(r, polls),
                 [self, deadline, polls] { self->pollOrder(deadline, polls + 1); });
      });
}

void AcmeOrder::download(const std::string& url) {
  if (url.empty())
    return fail({"valid order without a certificate URL", std::nullopt, {}});
  certUrl_ = url;
  client_->post(
      url, std::nullopt,
      [self = shared_from_this()](std::optional<AcmeError> err, AcmeResponse r) {
        if (err) {
          err->message = "downloading the certificate: " + err->message;
          return self->fail(*err);
        }
        std::vector<std::string> alternates =
            self->settings_.preferredChains.any() ? r.http.links("alternate") : std::vector<std::string>();
        self->chooseChain({r.http.body}, std::move(alternates));
      },
      "application/pem-certificate-chain");
}

void AcmeOrder::chooseChain(std::vector<std::string> chains, std::vector<std::string> alternates) {
  if (!alternates.empty() && chains.size() < 8) {
    const std::string next = alternates.back();
    alternates.pop_back();
    client_->post(
        next, std::nullopt,
        [self = shared_from_this(), chains, alternates](std::optional<AcmeError> err,
                                                        AcmeResponse r) mutable {
          if (err) {
            self->log_.warn(kLogger, "could not fetch an alternate chain", err->toJson());
          } else {
            chains.push_back(r.http.body);
          }
          self->chooseChain(std::move(chains), std::move(alternates));
        },
        "application/pem-certificate-chain");
    return;
  }
  const std::string chain = selectPreferredChain(chains, settings_.preferredChains);
  try {
    const CertificateInfo info = readCertificateInfo(chain);
    // Never hand on a certificate that would not work with our key or for our names.
    if (!certificateMatchesKey(chain, keyPem_)) {
      return fail({"the CA's certificate does not match the key we sent in the CSR", std::nullopt, {}});
    }
    for (const auto& name : settings_.names) {
      // IP SANs print in OpenSSL's own notation; DNS names compare case-insensitively.
      const bool covered =
          isIpAddress(name) || std::any_of(info.names.begin(), info.names.end(), [&](const std::string& san) {
            return strcasecmp(san.c_str(), name.c_str()) == 0;
          });
      if (!covered)
        return fail({"the CA's certificate does not cover " + name, std::nullopt, {}});
    }
  } catch (const std::exception& e) {
    return fail({std::string("the CA's certificate is unusable: ") + e.what(), std::nullopt, {}});
  }
  log_.info(kLogger, "successfully downloaded available certificate chains",
            {{"count", chains.size()}, {"first_url", certUrl_}});
  IssuedCertificate cert{chain, keyPem_, certUrl_, settings_.names};
  auto done = std::move(done_);
  done_ = nullptr;
  done(std::nullopt, std::move(cert));
}

}  // namespace gatehouse::acme
