#pragma once
// The loop thread behind HttpCertificateManagers: a queue filled from worker threads under
// a mutex, drained on the loop, one GET at a time per handshake (managers in order).
// close() joins the thread when no job is queued or asking (it only has to wake up, close
// its handles and return), else leaves it to finish on its own: a thread still ending at
// exit loses its OpenSSL state to the exit handler (LeakSanitizer: the error queue a bad
// PEM answer left on it, e2e_cert_managers_test).

#include <uv.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
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
  // Any thread: the loop cancels what is in flight, closes its handles and ends (joined
  // when idle, see above).
  void close();

 private:
  void startLocked();
  void takeJobs();  // loop thread, from here on
  void step(std::shared_ptr<ManagerJob> job);
  void answered(const std::shared_ptr<ManagerJob>& job, const HttpResponse& resp);
  // A job's answer: it no longer counts as asking, then its callback runs.
  void finish(ManagerJob& job, tls::ManagerAnswer answer);
  void shutDown();

  std::mutex mu_;  // guards queue_, asking_, started_, closed_, thread_
  std::vector<ManagerJob> queue_;
  size_t asking_ = 0;   // jobs taken off the queue, not answered yet
  std::thread thread_;  // moved out (joined or detached) by close()
  bool started_ = false;
  bool closed_ = false;
  uv_loop_t loop_{};
  uv_async_t* signal_ = nullptr;  // owned; freed in its close callback
  std::unique_ptr<HttpClient> http_;
};

}  // namespace gatehouse::acme
