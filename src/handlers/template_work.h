#pragma once
// Executes a Caddy template off the loop, on libuv's thread pool (uv_queue_work): include,
// import, readFile-like functions and markdown of big files never block a loop thread. The
// pool thread works on a copy of the exchange (request, vars, response fields), so a
// client that leaves while it runs frees nothing the pool still reads: the job outlives
// the exchange and is dropped on the loop when it reports. The response fields the
// template set (.RespHeader) and its output are moved into the exchange on the loop.
//
// httpInclude needs the server's route chain, which lives on the loop: the pool thread
// stops at an httpInclude it has no answer for, the loop serves that virtual request
// without blocking (VirtualRequest), and the template runs again from the start with the
// answers so far (templates are deterministic up to now/random functions; each call is
// matched by its order and URI). A page with k includes executes k+1 times.

#include <memory>
#include <string>
#include <vector>

#include "gatehouse/runtime/exchange.h"
#include "handlers/virtual_request.h"
#include "templates/caddy_context.h"

namespace gatehouse::handlers {

struct TemplateTask {
  std::string name;          // the template's name: the request path, the file's name
  std::string body;          // its text
  std::string readFromFile;  // when set, the text is read from this file, on the pool
  std::string fileRoot;      // include/import/listFiles root
  templates::Delims delims;
  std::shared_ptr<templates::Object> extra;  // browse's listing context
  bool browse = false;                       // file_server browse's template_file
};

class TemplateWork final : public runtime::PendingWork {
 public:
  // `owner` tells whose work this is (the filter that started it); `previous` is the work
  // that produced the body (kept alive until this is dropped).
  TemplateWork(runtime::Exchange& ex, TemplateTask task, const void* owner,
               std::unique_ptr<runtime::PendingWork> previous);
  ~TemplateWork() override;
  TemplateWork(const TemplateWork&) = delete;
  TemplateWork& operator=(const TemplateWork&) = delete;

  // Queues the execution; the exchange's host is resumed when it is over.
  void start();

  [[nodiscard]] bool finished() const { return finished_; }
  [[nodiscard]] const void* owner() const { return owner_; }

  // Once finished: the response fields the template set go into ex.response.headers and
  // its output into ex.response.body; on a template error ex fails (500 logged, or the
  // status of httpError / a failed httpInclude). False on error.
  bool apply(runtime::Exchange& ex);

  // A browse listing answers here (a filter's work is applied by the filter itself).
  runtime::Outcome resumed(runtime::Exchange& ex) override;

 private:
  struct Job;
  struct Include;
  static void onDone(uv_work_t* req, int status);
  void queue();
  void jobDone(std::unique_ptr<Job> job, int status);
  void serveInclude(const std::string& uri);

  runtime::Exchange& ex_;
  const void* owner_;
  std::unique_ptr<runtime::PendingWork> previous_;
  Job* job_ = nullptr;         // in flight on the pool; owned by libuv's callback until it reports
  std::unique_ptr<Job> idle_;  // between runs (waiting for a virtual request)
  std::unique_ptr<VirtualRequest> include_;
  bool finished_ = false;
};

}  // namespace gatehouse::handlers
