#pragma once
// file_server `browse` off the loop: the directory is read (readdir and a stat per entry,
// which for a big or slow directory takes long), sorted and rendered on libuv's thread
// pool, and the request is resumed on the loop with the answer. A browse `template_file` then runs on the
// pool too (TemplateWork, owned here). The pool reads only the job's own copies (directory, hide list), so a
// client that leaves while it runs frees nothing the pool still reads: the job outlives the exchange and is
// dropped on the loop when it reports.

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gatehouse/runtime/exchange.h"
#include "gatehouse/runtime/exchange_host.h"
#include "handlers/browse.h"
#include "handlers/template_work.h"

namespace gatehouse::handlers {

// What the listing needs besides the exchange.
struct ListingRequest {
  std::string dir;  // the directory, inside the root
  // Whether an entry's full path is hidden (file_server's `hide`). Called on the pool:
  // it must own what it reads (a copy of the rendered hide list).
  std::function<bool(const std::string&)> hidden;
  std::string templateFile;  // browse { template_file }
  std::string root;          // the site root (template functions' root)
};

class ListingWork final : public runtime::PendingWork {
 public:
  ListingWork(runtime::Exchange& ex, ListingRequest request, std::unique_ptr<runtime::PendingWork> previous);
  ~ListingWork() override;
  ListingWork(const ListingWork&) = delete;
  ListingWork& operator=(const ListingWork&) = delete;

  // Queues the directory read; the exchange's host is resumed when the answer is ready.
  void start();

  runtime::Outcome resumed(runtime::Exchange& ex) override;

 private:
  struct Job;
  static void onDone(uv_work_t* req, int status);
  void jobDone(Job& job, int status);

  runtime::Exchange& ex_;
  ListingRequest request_;
  std::unique_ptr<runtime::PendingWork> previous_;
  Job* job_ = nullptr;  // in flight on the pool; owned by libuv's callback until it reports
  std::unique_ptr<TemplateWork> template_;  // browse template_file, once the listing is read
};

}  // namespace gatehouse::handlers
