#pragma once
// The reading half of certmagic's distributed HTTP-01 solving, off the loop: a
// GET /.well-known/acme-challenge/<token> whose token we are not presenting may be for a
// challenge another server sharing the storage presented. The stored challenge for the
// request's host is read on libuv's thread pool; the exchange is paused meanwhile and
// resumed with the key authorization when the token and the host match (as certmagic's
// solveHTTPChallenge checks them), else the server's routes take the request as usual.

#include <uv.h>

#include <memory>
#include <optional>
#include <string>

#include "gatehouse/acme/stored_challenges.h"
#include "gatehouse/runtime/exchange.h"
#include "gatehouse/runtime/exchange_host.h"

namespace gatehouse::router {

// certmagic's "served key authentication" for an HTTP-01 answer (`distributed`: from storage).
void logServedKeyAuthentication(const runtime::Exchange& ex, const std::string& identifier, bool distributed);

class StoredChallengeWork final : public runtime::PendingWork {
 public:
  StoredChallengeWork(runtime::Exchange& ex, std::shared_ptr<const acme::StoredChallenges> stored,
                      std::string host, std::string token);
  ~StoredChallengeWork() override;
  StoredChallengeWork(const StoredChallengeWork&) = delete;
  StoredChallengeWork& operator=(const StoredChallengeWork&) = delete;

  // Queues the read; false when it could not be queued (the routes take the request).
  bool start();
  // Answers the exchange when the stored challenge matches; false when it does not (the
  // caller then runs the routes). Called once, after the host resumed the exchange.
  bool answer(runtime::Exchange& ex);

 private:
  struct Job;
  static void onDone(uv_work_t* req, int status);

  runtime::Exchange& ex_;
  std::shared_ptr<const acme::StoredChallenges> stored_;
  std::string host_;
  std::string token_;
  Job* job_ = nullptr;  // in flight on the pool; owned by libuv's callback until it reports
  std::optional<acme::StoredChallenge> found_;
};

}  // namespace gatehouse::router
