#pragma once
// Work a handler starts on each worker loop as soon as that worker takes the runtime
// snapshot holding the handler (at start-up, on a reload), before the worker reads a
// request for it. Caddy provisions its handlers before serving, and reverse_proxy's first
// round of active health checks starts then: an upstream that is down is known to be
// before the first request picks one.

#include <memory>
#include <vector>

#include "gatehouse/runtime/exchange_host.h"

namespace gatehouse::runtime {

class WorkerStart {
 public:
  virtual ~WorkerStart() = default;
  // On `worker`'s loop thread. Per-worker state goes in `worker` (WorkerState::get), so a
  // second call for the same worker finds it there and starts nothing new.
  virtual void start(WorkerState& worker) const = 0;
};

// A runtime's worker starts. Weak: each belongs to its handler, and a handler provisioning
// dropped (or one a reload freed) starts nothing.
using WorkerStarts = std::vector<std::weak_ptr<const WorkerStart>>;

}  // namespace gatehouse::runtime
