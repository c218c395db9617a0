#pragma once
// The loop thread behind HttpCertificateManagers: a queue filled from worker threads under
// a mutex, drained on the loop, one GET at a time per handshake (managers in order).

#include <uv.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gatehouse/tls/certificate_managers.h"
#include "http/http_client.h"

namespace gatehouse::acme {

struct ManagerJob {
  std::vector<std::string> urls;
  tls::ManagerQuery query;
  std::function<void(tls::ManagerAnswer)> done;
  size_t next = 0;  // the manager asked next
  std::vector<tls::ManagerFailure> failures;
};

class ManagerCore : public std::enable_shared_from_this<ManagerCore> {
 public:
  // Any thread. Starts the loop thread at the first job; after close() answers at once.
  void submit(ManagerJob job);
  // Any thread: the loop cancels what is in flight, closes its handles and ends.
  void close();

 private:
  void startLocked();
  void takeJobs();  // loop thread, from here on
  void step(std::shared_ptr<ManagerJob> job);
  void answered(const std::shared_ptr<ManagerJob>& job, const HttpResponse& resp);
  void shutDown();

  std::mutex mu_;  // guards queue_, started_, closed_
  std::vector<ManagerJob> queue_;
  bool started_ = false;
  bool closed_ = false;
  uv_loop_t loop_{};
  uv_async_t* signal_ = nullptr;  // owned; freed in its close callback
  std::unique_ptr<HttpClient> http_;
};

}  // namespace gatehouse::acme
