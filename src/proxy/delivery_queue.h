#pragma once
// Work a ProxyCall defers to the loop's next iteration (handing response bytes to the
// session, resuming it, freeing a connection that failed inside its own callback), run
// for every call of one worker from a single uv_idle_t. A handle per request would cost
// an allocation, an init and a close per proxied request. Loop thread only.

#include <uv.h>

#include <vector>

#include "proxy/uv_handle.h"

namespace gatehouse::proxy {

class DeliveryQueue {
 public:
  using Run = void (*)(void* who);
  explicit DeliveryQueue(uv_loop_t* loop) : loop_(loop) {}
  DeliveryQueue(const DeliveryQueue&) = delete;
  DeliveryQueue& operator=(const DeliveryQueue&) = delete;

  // Runs run(who) once on the next iteration; repeated calls before it ran merge.
  void schedule(void* who, Run run);
  // Forgets `who` (it is being destroyed): nothing scheduled for it runs.
  void cancel(void* who);
  // Closes the idle handle (the owner's destructor, before its last loop run).
  void close() { idle_.reset(); }

 private:
  struct Entry {
    void* who;
    Run run;
  };
  static void onIdle(uv_idle_t* h);

  uv_loop_t* loop_;
  UvHandle<uv_idle_t> idle_;
  std::vector<Entry> next_;
  std::vector<Entry> running_;
};

}  // namespace gatehouse::proxy
