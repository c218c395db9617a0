#include "manager/ocsp_stapler.h"

#include <stdexcept>

#include "manager/ocsp_staple.h"
#include "storage/file_storage.h"
#include "util/uv_delay.h"

namespace gatehouse::acme {

OcspStapler::OcspStapler(uv_loop_t* loop, const AcmeLog& log, std::chrono::seconds retryAfterFailure)
    : loop_(loop),
      log_(log),
      retryAfterFailure_(retryAfterFailure),
      http_(std::make_shared<HttpClient>(loop, HttpClientOptions{"", "Gatehouse", 64 << 10})) {}

void OcspStapler::shutdown() {
  if (http_) {
    http_->cancelAll();
    http_.reset();
  }
}

void OcspStapler::staple(const std::string& name, Served cert, const std::string& chainPem, Hooks hooks) {
  if (!http_ || !cert) {
    return;
  }
  std::optional<OcspQuery> query;
  try {
    query = ocspQueryFor(chainPem);
  } catch (const std::exception&) {
    return;
  }
  if (!query) {
    return;  // no responder named (Let's Encrypt since 2025, pebble): nothing to staple
  }
  HttpRequest req;
  req.method = "POST";
  req.url = query->url;
  req.headers = {{"Content-Type", "application/ocsp-request"}, {"Accept", "application/ocsp-response"}};
  req.body = query->requestDer;
  req.timeout = std::chrono::seconds(10);
  http_->send(std::move(req), [this, name, cert, chainPem, hooks, url = query->url](HttpResponse r) {
    struct Settle {  // runs hooks.settled however this answer ends
      const Hooks& h;
      ~Settle() {
        if (h.settled) {
          h.settled();
        }
      }
    } settle{hooks};
    if (!hooks.isCurrent(cert)) {
      return;  // replaced meanwhile: the new certificate gets its own
    }
    try {
      if (!r.ok() || r.status != 200) {
        throw std::runtime_error(r.error.empty() ? "HTTP status " + std::to_string(r.status) : r.error);
      }
      const OcspStaple s = checkOcspResponse(r.body, chainPem);
      Served stapled = cert->withOcspStaple(s.der);
      hooks.install(stapled);
      log_.info("tls", "stapled OCSP response",
                {{"identifier", name},
                 {"responder", url},
                 {"next_update", rfc3339(s.nextUpdate)},
                 {"refresh_at", rfc3339(ocspRefreshTime(s))}});
      again(name, stapled, chainPem, hooks, ocspRefreshTime(s));
    } catch (const OcspRevoked& e) {
      // As certmagic: a managed certificate the CA revoked is replaced at once.
      log_.warn("tls", "certificate is revoked according to its OCSP responder; " + hooks.onRevoked,
                {{"identifier", name}, {"responder", url}, {"error", e.what()}});
      if (hooks.revoked) {
        hooks.revoked();
      }
    } catch (const std::exception& e) {
      const auto retry = std::chrono::system_clock::now() + retryAfterFailure_;
      log_.warn(
          "tls", "no OCSP staple; serving without one",
          {{"identifier", name}, {"responder", url}, {"error", e.what()}, {"retry_at", rfc3339(retry)}});
      again(name, cert, chainPem, hooks, retry);
    }
  });
}

void OcspStapler::again(const std::string& name, Served cert, const std::string& chainPem, Hooks hooks,
                        std::chrono::system_clock::time_point at) {
  const auto delay =
      std::chrono::duration_cast<std::chrono::milliseconds>(at - std::chrono::system_clock::now());
  runAfter(loop_, delay, [this, name, cert, chainPem, hooks] {
    if (http_ && hooks.isCurrent(cert)) {
      staple(name, cert, chainPem, hooks);
    }
  });
}

}  // namespace gatehouse::acme
