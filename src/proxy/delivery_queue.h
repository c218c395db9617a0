#pragma once
// Work a ProxyCall defers to the loop's next iteration (handing response bytes to the
// session, resuming it, freeing a connection that failed inside its own callback), run
// for every call of one worker from a single uv_idle_t. A handle per request would cost
// an allocation, an init and a close per proxied request. Loop thread only.
//
// Each caller embeds an Entry: the queue is an intrusive list, so scheduling twice, and
// cancelling (a call destroyed before its run, the usual case when the session answers
// first), cost O(1); a scan of a vector per call made a burst of 64 responses quadratic.

#include <uv.h>

#include "proxy/uv_handle.h"

namespace gatehouse::proxy {

class DeliveryQueue {
 public:
  using Run = void (*)(void* who);

  // A caller's place in the queue; linked while its run is pending. Its destructor
  // cancels that run.
  class Entry {
   public:
    Entry() = default;
    ~Entry() { unlink(); }
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;
    [[nodiscard]] bool queued() const { return next_ != nullptr; }

   private:
    friend class DeliveryQueue;
    void unlink();
    Entry* prev_ = nullptr;
    Entry* next_ = nullptr;
    Run run_ = nullptr;
    void* who_ = nullptr;
  };

  explicit DeliveryQueue(uv_loop_t* loop) : loop_(loop) { head_.prev_ = head_.next_ = &head_; }
  ~DeliveryQueue();
  DeliveryQueue(const DeliveryQueue&) = delete;
  DeliveryQueue& operator=(const DeliveryQueue&) = delete;

  // Runs run(who) once on the next iteration; repeated calls before it ran merge.
  void schedule(Entry& entry, void* who, Run run);
  // Forgets the entry's pending run (its owner is being destroyed).
  static void cancel(Entry& entry) { entry.unlink(); }
  // Closes the idle handle (the owner's destructor, before its last loop run).
  void close() { idle_.reset(); }

 private:
  static void onIdle(uv_idle_t* h);

  uv_loop_t* loop_;
  UvHandle<uv_idle_t> idle_;
  Entry head_;  // sentinel of the pending runs, in the order they were scheduled
};

}  // namespace gatehouse::proxy
