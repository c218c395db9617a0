#pragma once
// A paused handshake's wait for a certificate obtained on demand. The certificate manager
// answers from its own thread; the answer is carried to the connection's loop by a
// uv_async, and the wait is bounded by a timer, so a handshake never hangs. Destroying the
// wait (loop thread) guarantees `ready` is not called afterwards, even if the manager
// answers later. Created and destroyed on the loop thread only.

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "gatehouse/tls/on_demand.h"

namespace gatehouse::tls {

class CertificateWait {
 public:
  // Asks `source` for `name`; `ready` runs once on `loop` when the answer arrives or after
  // `limit`, whichever comes first.
  CertificateWait(uv_loop_t* loop, const OnDemandCertificates& source, const std::string& name,
                  std::chrono::milliseconds limit, std::function<void()> ready);
  // The general form: `start` begins the request and is handed `post`, which the answering
  // side calls (once, from any thread) when its answer is stored where `ready` reads it.
  using Start = std::function<void(std::function<void()> post)>;
  CertificateWait(uv_loop_t* loop, std::chrono::milliseconds limit, std::function<void()> ready,
                  const Start& start);
  ~CertificateWait();
  CertificateWait(const CertificateWait&) = delete;
  CertificateWait& operator=(const CertificateWait&) = delete;

  [[nodiscard]] bool pending() const { return !fired_; }

 private:
  struct Mailbox;

  void fire();

  std::shared_ptr<Mailbox> mailbox_;  // shared with the manager's callback
  uv_timer_t* timer_ = nullptr;       // owned; freed in its close callback
  std::function<void()> ready_;
  bool fired_ = false;
};

}  // namespace gatehouse::tls
