#include "router/site_router.h"

#include "gatehouse/acme/challenge_responder.h"
#include "http/exchange_notes.h"
#include "http/uri.h"
#include "log/error_log.h"
#include "router/error_id.h"
#include "router/response_filter.h"
#include "router/shutdown_placeholders.h"
#include "router/stored_challenge_work.h"

namespace gatehouse::router {

using runtime::Exchange;
using runtime::Outcome;

Outcome SiteRouter::handle(Exchange& ex) {
  ex.serverName = server_.name;
  noteShutdownSchedule(ex, server_.shutdown);
  // Go's server answers "OPTIONS *" itself (globalOptionsHandler): Caddy's routes never
  // see it, and the answer is an empty 200. Not over h2c: Caddy's h2c handler hands those
  // streams to its routes directly.
  const bool h2c = ex.request.versionMajor == 2 && !ex.request.tls;
  if (ex.request.rawPath == "*" && ex.request.method == "OPTIONS" && !h2c) {
    return ex.respond(200);
  }
  ex.response.headers.add("Server", "Gatehouse");
  // ACME HTTP-01 before any route, as Caddy's server does: the auto-HTTPS redirect and the
  // site's own routes never see a challenge we are presenting.
  if (server_.acmeChallenges && (ex.request.method == "GET" || ex.request.method == "HEAD")) {
    if (auto keyAuth = server_.acmeChallenges->http01ForPath(ex.request.path)) {
      ex.response.headers.set("Content-Type", "text/plain");
      logServedKeyAuthentication(ex, std::string(http::hostWithoutPort(ex.request.host)), false);
      return ex.respond(200, std::move(*keyAuth));
    }
    if (lookUpStoredChallenge(ex)) {
      return Outcome::Paused;
    }
  }
  return runRoutes(ex);
}

bool SiteRouter::lookUpStoredChallenge(Exchange& ex) const {
  // Only GET, as certmagic; the read pauses the exchange (resumed() takes it on).
  const auto& stored = server_.acmeChallenges->stored();
  const std::string_view token = acme::ChallengeResponder::http01Token(ex.request.path);
  if (!stored || ex.request.method != "GET" || token.empty()) {
    return false;
  }
  auto work = std::make_unique<StoredChallengeWork>(
      ex, stored, std::string(http::hostWithoutPort(ex.request.host)), std::string(token));
  if (!work->start()) {
    return false;
  }
  ex.pending = std::move(work);
  return true;
}

Outcome SiteRouter::runRoutes(Exchange& ex) {
  // As Caddy 2.7+: whether the client is one of the server's trusted_proxies, kept as a
  // var so reverse_proxy knows whose X-Forwarded-* values to keep.
  for (const auto& range : server_.trustedProxies) {
    if (range.contains(ex.request.remoteIp)) {
      ex.setVar("trusted_proxy", "true");
      break;
    }
  }
  // Nothing answered (or a terminal route ended the chain): the session sends Caddy's
  // empty 200.
  return afterChain(ex, server_.routes.run(ex));
}

Outcome SiteRouter::resumed(Exchange& ex) {
  if (auto* lookup = dynamic_cast<StoredChallengeWork*>(ex.pending.get())) {
    // A challenge path paused before any route ran: answered from storage, or the routes
    // take the request as if nothing had been looked up.
    const bool answered = lookup->answer(ex);
    ex.pending.reset();
    return answered ? Outcome::Handled : runRoutes(ex);
  }
  // A paused handler has set its response or its error, or (handle_response routes that
  // answered nothing) lets the chain go on after it; what follows is as after handle().
  // Taken first: handlers the resumed work runs (handle_response routes) may pause again,
  // and their positions go in front of these.
  std::vector<runtime::ChainFrame> frames;
  frames.swap(ex.chainRest);
  const Outcome outcome = ex.pending ? ex.pending->resumed(ex) : Outcome::Handled;
  const Outcome after = continueChain(ex, outcome, frames);
  if (ex.chainRest.empty()) {
    frames.clear();
    frames.swap(ex.chainRest);  // its storage serves the next pause (a malloc per proxied request)
  }
  return afterChain(ex, after);
}

// Runs the rest of every route list the paused handler sat in, innermost first; a handler
// that pauses again records its own position, and the outer frames stay behind it. An
// error the chain ended with goes out to the nearest subroute error routes around it.
Outcome SiteRouter::continueChain(Exchange& ex, Outcome o, const std::vector<runtime::ChainFrame>& frames) {
  for (size_t i = 0; i < frames.size(); ++i) {
    if (o == Outcome::Paused) {
      ex.chainRest.insert(ex.chainRest.end(), frames.begin() + static_cast<std::ptrdiff_t>(i), frames.end());
      return o;
    }
    const runtime::ChainFrame& f = frames[i];
    const bool unrouted = ex.error.status != 0 && !ex.error.routed;
    if (f.list->errorBoundary()) {
      if (o != Outcome::Continue && unrouted) {
        o = f.list->runErrors(ex);
      }
      continue;
    }
    if (o == Outcome::Continue) {
      o = f.list->runFrom(ex, f.route, f.handler);
    } else if (!unrouted) {
      return o;  // answered: the rest never runs
    }
  }
  return o;
}

// Response filters (templates) rewrite what the chain answered, innermost first; a filter
// that pauses stays installed and runs again when its work resumes. After an error they
// never run, as Caddy's middleware returns the error at once.
Outcome SiteRouter::runFilters(Exchange& ex) {
  for (size_t i = ex.stages.size(); i-- > 0;) {
    const auto* f = dynamic_cast<const ResponseFilter*>(ex.stages[i]);
    if (f == nullptr) {
      continue;
    }
    if (ex.error.status == 0 || ex.error.routed) {
      if (f->filter(ex) == Outcome::Paused) {
        return Outcome::Paused;
      }
    }
    ex.stages.erase(ex.stages.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return Outcome::Handled;
}

Outcome SiteRouter::afterChain(Exchange& ex, Outcome outcome) const {
  if (outcome != Outcome::Paused && !ex.stages.empty() && runFilters(ex) == Outcome::Paused) {
    return Outcome::Paused;
  }
  if (outcome == Outcome::Paused || ex.error.status == 0) {
    return outcome;
  }
  if (!ex.error.routed) {
    // Caddy writes an error response to the server's own writer, not through the wrappers
    // the chain installed: deferred `header` ops and `encode` of the main chain never see it.
    ex.stages.clear();
  }
  if (ex.error.routed) {
    // An error route that paused (reverse_proxy) and then failed: the client gets the first
    // error's status, as when it fails at once (runErrorRoutes).
    if (auto first = http::routedError(ex); first && first->error.status != ex.error.status) {
      restoreFirstError(ex, first->error.status);
    }
    // An error route failed in turn or answered nothing: Caddy writes the status with an
    // empty body (errorEmptyHandler).
    if (!ex.responded()) {
      ex.response.status = ex.error.status;
    }
    return outcome;
  }
  if (!server_.errorRoutes) {
    return outcome;  // Exchange::fail already set the status and an empty body
  }
  return runErrorRoutes(ex);
}

// An error route failed itself: Caddy logs both errors and writes the first one's status.
void SiteRouter::restoreFirstError(Exchange& ex, int firstStatus) {
  http::noteFailedRouteStatus(ex, ex.error.status);
  ex.error.status = firstStatus;
  ex.response.status = 0;
  ex.response.body.clear();
  ex.response.stream.reset();
}

Outcome SiteRouter::runErrorRoutes(Exchange& ex) const {
  ex.error.routed = true;
  if (ex.error.id.empty()) {
    ex.error.id = newErrorId();
  }
  const int firstStatus = ex.error.status;
  http::noteRoutedError(ex);  // what the error log reports
  // Caddy restores the original URI (not the header fields) before the error routes, and
  // keeps the response header fields set so far.
  if (!ex.request.origUri.empty()) {
    std::string host = ex.request.host;
    const std::string target = ex.request.origUri;
    http::parseTarget(target, ex.request);
    ex.request.host = std::move(host);
  }
  ex.response.status = 0;
  ex.response.body.clear();
  ex.response.stream.reset();
  ex.usedGroups.clear();
  ex.chainRest.clear();  // the main chain's rest never runs after an error
  Outcome outcome = server_.errorRoutes->run(ex);
  if (outcome != Outcome::Paused && !ex.stages.empty()) {
    outcome = runFilters(ex);  // templates inside the error routes
  }
  if (outcome == Outcome::Paused) {
    return outcome;
  }
  if (ex.error.status != firstStatus) {
    restoreFirstError(ex, firstStatus);
  }
  if (!ex.responded()) {
    ex.response.status = firstStatus;
  }
  return Outcome::Handled;
}

void SiteRouter::finished(const runtime::Exchange& ex) {
  if (ex.error.status != 0) {
    log::recordHandlerError(ex, server_.accessLog.get());
  }
  if (server_.metrics != nullptr) {
    server_.metrics->exchangeFinished(ex);
  }
  if (server_.accessLog) {
    server_.accessLog->record(ex);
  }
}

}  // namespace gatehouse::router
