#include "protocol/acme_client.h"

#include <chrono>

#include "crypto/jwk.h"
#include "crypto/jws.h"
#include "protocol/retry_after.h"
#include "util/uv_delay.h"

namespace gatehouse::acme {

namespace {
constexpr size_t kMaxPooledNonces = 16;
constexpr std::chrono::milliseconds kHiccupPause{250};

std::string snippet(const std::string& body) {
  std::string s = body.substr(0, 200);
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20)
      c = ' ';
  }
  return body.size() > 200 ? s + "..." : s;
}

bool isJsonType(const std::string& contentType) {
  return contentType.find("json") != std::string::npos;
}
}  // namespace

AcmeClient::AcmeClient(std::shared_ptr<HttpClient> http, std::string directoryUrl)
    : http_(std::move(http)), directoryUrl_(std::move(directoryUrl)) {}

void AcmeClient::setAccount(std::shared_ptr<const PrivateKey> key, std::string kid) {
  key_ = std::move(key);
  kid_ = std::move(kid);
}

std::optional<AcmeError> AcmeClient::interpret(const std::string& what, const HttpResponse& r,
                                               AcmeResponse& out, bool wantJson) {
  out.http = r;
  out.location = r.header("Location");
  AcmeError err;
  if (auto ra = parseRetryAfter(r.header("Retry-After"), std::chrono::system_clock::now()))
    err.retryAfter = *ra;
  if (!r.ok()) {
    err.message = what + ": " + (r.error.empty() ? "no response" : r.error);
    return err;
  }
  const std::string type = r.header("Content-Type");
  if (r.status >= 400) {
    err.problem = parseProblem(r.body, r.status);
    err.message =
        what + ": HTTP " + std::to_string(r.status) +
        (err.problem ? ": " + err.problem->describe()
                     : " with a non-problem body (content-type \"" + type + "\"): " + snippet(r.body));
    return err;
  }
  if (r.status < 200 || r.status >= 300) {
    err.message = what + ": unexpected HTTP status " + std::to_string(r.status);
    return err;
  }
  if (!wantJson)
    return std::nullopt;
  out.json = nlohmann::json::parse(r.body, nullptr, false);
  if (out.json.is_discarded() || !out.json.is_object()) {
    err.message = what + ": the CA did not return a JSON object (HTTP " + std::to_string(r.status) +
                  ", content-type \"" + type + "\"): " + snippet(r.body);
    return err;
  }
  if (!isJsonType(type)) {
    err.message = what + ": the CA returned JSON with content-type \"" + type + "\"";
    return err;
  }
  return std::nullopt;
}

void AcmeClient::loadDirectory(std::function<void(std::optional<AcmeError>)> done) {
  if (haveDirectory_) {
    runAfter(loop(), std::chrono::milliseconds(0), [done] { done(std::nullopt); });
    return;
  }
  get(directoryUrl_, [self = shared_from_this(), done](std::optional<AcmeError> err, AcmeResponse r) {
    if (err) {
      err->message = "fetching the ACME directory " + self->directoryUrl_ + ": " + err->message;
      return done(err);
    }
    try {
      self->directory_ = parseDirectory(r.http.body);
      self->haveDirectory_ = true;
    } catch (const std::exception& e) {
      return done(AcmeError{"ACME directory " + self->directoryUrl_ + ": " + e.what(), std::nullopt, {}});
    }
    done(std::nullopt);
  });
}

void AcmeClient::get(const std::string& url, Done done) {
  if (shutdown_) {
    runAfter(loop(), std::chrono::milliseconds(0), [done] {
      done(AcmeError{"shutting down", std::nullopt, {}}, {});
    });
    return;
  }
  HttpRequest req;
  req.url = url;
  sendPlain(std::move(req), 0, [url, done](HttpResponse r) {
    AcmeResponse out;
    auto err = interpret("GET " + url, r, out, true);
    done(std::move(err), std::move(out));
  });
}

void AcmeClient::keepNonce(const HttpResponse& r) {
  std::string nonce = r.header("Replay-Nonce");
  if (!nonce.empty() && nonces_.size() < kMaxPooledNonces)
    nonces_.push_back(std::move(nonce));
}

void AcmeClient::withNonce(std::function<void(std::optional<AcmeError>, std::string)> done) {
  if (!nonces_.empty()) {
    std::string n = std::move(nonces_.back());
    nonces_.pop_back();
    return done(std::nullopt, std::move(n));
  }
  HttpRequest req;
  req.method = "HEAD";
  req.url = directory_.newNonce;
  sendPlain(std::move(req), 0, [done](HttpResponse r) {
    const std::string nonce = r.header("Replay-Nonce");
    if (!r.ok() || nonce.empty()) {
      return done(AcmeError{"getting a nonce: " + (r.error.empty() ? "HTTP " + std::to_string(r.status) +
                                                                         " without a Replay-Nonce"
                                                                   : r.error),
                            std::nullopt,
                            {}},
                  {});
    }
    done(std::nullopt, nonce);
  });
}

void AcmeClient::post(const std::string& url, std::optional<nlohmann::json> payload, Done done,
                      std::string accept) {
  sendSigned(url, std::move(payload), std::move(accept), {}, std::move(done));
}

bool AcmeClient::isHiccup(const HttpResponse& r) {
  if (!r.ok())
    return r.transient;
  if (r.status < 500)
    return false;
  // A CA that asks for a longer pause gets it from the caller's backoff instead.
  const auto ra = parseRetryAfter(r.header("Retry-After"), std::chrono::system_clock::now());
  return !ra || *ra <= std::chrono::seconds(1);
}

void AcmeClient::sendPlain(HttpRequest req, int hiccups, std::function<void(HttpResponse)> done) {
  HttpRequest copy = req;
  http_->send(std::move(copy), [self = shared_from_this(), req = std::move(req), hiccups,
                                done = std::move(done)](HttpResponse r) mutable {
    if (hiccups < kMaxHiccupRetries && !self->shutdown_ && isHiccup(r)) {
      return runAfter(self->loop(), kHiccupPause,
                      [self, req = std::move(req), hiccups, done = std::move(done)]() mutable {
                        if (self->shutdown_) {
                          HttpResponse gone;
                          gone.error = "shutting down";
                          return done(std::move(gone));
                        }
                        self->sendPlain(std::move(req), hiccups + 1, std::move(done));
                      });
    }
    done(std::move(r));
  });
}

void AcmeClient::sendSigned(const std::string& url, std::optional<nlohmann::json> payload, std::string accept,
                            Attempts attempts, Done done) {
  if (shutdown_) {
    runAfter(loop(), std::chrono::milliseconds(0), [done] {
      done(AcmeError{"shutting down", std::nullopt, {}}, {});
    });
    return;
  }
  withNonce([self = shared_from_this(), url, payload, accept, attempts, done](std::optional<AcmeError> err,
                                                                              std::string nonce) {
    if (err)
      return done(std::move(err), {});
    nlohmann::json header = {{"nonce", nonce}, {"url", url}};
    if (self->kid_.empty()) {
      header["jwk"] = publicJwk(*self->key_);
    } else {
      header["kid"] = self->kid_;
    }
    HttpRequest req;
    req.method = "POST";
    req.url = url;
    req.headers = {{"Content-Type", "application/jose+json"}, {"Accept", accept}};
    req.body = signJws(*self->key_, header, payload ? payload->dump() : std::string()).dump();
    self->http_->send(std::move(req), [self, url, payload, accept, attempts, done](HttpResponse r) {
      self->keepNonce(r);
      AcmeResponse out;
      auto error = interpret("POST " + url, r, out, accept == "application/json");
      Attempts next = attempts;
      if (error && error->problem && error->problem->is("badNonce") && attempts.badNonce < kMaxNonceRetries) {
        // The rejection carried a fresh nonce (kept above): the retry uses it.
        ++next.badNonce;
        return self->sendSigned(url, payload, accept, next, done);
      }
      if (error && attempts.hiccup < kMaxHiccupRetries && isHiccup(r)) {
        // Signed again with a new nonce: the CA never accepts the same JWS twice.
        ++next.hiccup;
        return runAfter(self->loop(), kHiccupPause, [self, url, payload, accept, next, done] {
          self->sendSigned(url, payload, accept, next, done);
        });
      }
      if (error && attempts.hiccup > 0)
        error->message += " (after " + std::to_string(attempts.hiccup + 1) + " tries)";
      done(std::move(error), std::move(out));
    });
  });
}

}  // namespace gatehouse::acme
