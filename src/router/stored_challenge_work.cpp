#include "router/stored_challenge_work.h"

#include <strings.h>

#include "log/process_log.h"

namespace gatehouse::router {

namespace {
// Go's http.Request.RemoteAddr: "ip:port", the IPv6 address in brackets.
std::string remoteAddr(const runtime::Request& r) {
  const bool v6 = r.remoteIp.find(':') != std::string::npos;
  return (v6 ? "[" + r.remoteIp + "]" : r.remoteIp) + ":" + std::to_string(r.remotePort);
}
}  // namespace

void logServedKeyAuthentication(const runtime::Exchange& ex, const std::string& identifier,
                                bool distributed) {
  // Caddy 2.6.2's line, on its http logger.
  log::logOwn(log::Level::Info, "http", "served key authentication",
              config::Json{{"identifier", identifier},
                           {"challenge", "http-01"},
                           {"remote", remoteAddr(ex.request)},
                           {"distributed", distributed}});
}

struct StoredChallengeWork::Job {
  uv_work_t req{};
  StoredChallengeWork* owner = nullptr;
  // The pool reads only these copies: the exchange may be gone before it reports.
  std::shared_ptr<const acme::StoredChallenges> stored;
  std::string host;
  std::optional<acme::StoredChallenge> found;
};

StoredChallengeWork::StoredChallengeWork(runtime::Exchange& ex,
                                         std::shared_ptr<const acme::StoredChallenges> stored,
                                         std::string host, std::string token)
    : ex_(ex), stored_(std::move(stored)), host_(std::move(host)), token_(std::move(token)) {}

StoredChallengeWork::~StoredChallengeWork() {
  if (job_ != nullptr) {
    // Queued or running: libuv still calls onDone, which frees the job on the loop.
    job_->owner = nullptr;
    uv_cancel(reinterpret_cast<uv_req_t*>(&job_->req));
  }
}

bool StoredChallengeWork::start() {
  auto job = std::make_unique<Job>();
  job->owner = this;
  job->stored = stored_;
  job->host = host_;
  job->req.data = job.get();
  const int rc = uv_queue_work(
      ex_.host->loop(), &job->req,
      [](uv_work_t* req) {
        auto* j = static_cast<Job*>(req->data);
        j->found = j->stored->load(j->host);
      },
      &StoredChallengeWork::onDone);
  if (rc != 0) {
    return false;
  }
  job_ = job.release();
  return true;
}

void StoredChallengeWork::onDone(uv_work_t* req, int status) {
  std::unique_ptr<Job> job(static_cast<Job*>(req->data));
  StoredChallengeWork* owner = job->owner;
  if (owner == nullptr) {
    return;  // the exchange is gone
  }
  owner->job_ = nullptr;
  if (status == 0) {
    owner->found_ = std::move(job->found);
  }
  owner->ex_.host->resume();
}

bool StoredChallengeWork::answer(runtime::Exchange& ex) {
  // certmagic's checks: the token of the path, and the host (case-insensitively) against
  // the challenge's identifier, which guards against DNS rebinding.
  if (!found_ || found_->token != token_ || strcasecmp(found_->identifier.c_str(), host_.c_str()) != 0) {
    return false;
  }
  ex.response.headers.set("Content-Type", "text/plain");
  ex.respond(200, found_->keyAuthorization);
  logServedKeyAuthentication(ex, found_->identifier, true);
  return true;
}

}  // namespace gatehouse::router
