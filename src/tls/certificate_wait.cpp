#include "tls/certificate_wait.h"

#include <mutex>

namespace gatehouse::tls {

namespace {
template <typename T>
void closeAndFree(T* handle) {
  handle->data = handle;
  uv_close(reinterpret_cast<uv_handle_t*>(handle),
           [](uv_handle_t* h) { std::unique_ptr<T> owned(static_cast<T*>(h->data)); });
}
}  // namespace

// What the manager's thread may touch: the async handle, only while `open` (checked under
// the mutex, so a send never races the close).
struct CertificateWait::Mailbox {
  std::mutex mu;
  uv_async_t* async = nullptr;
  bool open = false;

  void post() {
    std::lock_guard lock(mu);
    if (open) {
      uv_async_send(async);
    }
  }
};

CertificateWait::CertificateWait(uv_loop_t* loop, const OnDemandCertificates& source, const std::string& name,
                                 std::chrono::milliseconds limit, std::function<void()> ready)
    : CertificateWait(loop, limit, std::move(ready), [&](std::function<void()> post) {
        // The answer itself is not needed: the resumed handshake looks in the certificate store.
        source.request(name, [post = std::move(post)](bool) { post(); });
      }) {}

CertificateWait::CertificateWait(uv_loop_t* loop, std::chrono::milliseconds limit,
                                 std::function<void()> ready, const Start& start)
    : mailbox_(std::make_shared<Mailbox>()), ready_(std::move(ready)) {
  auto async = std::make_unique<uv_async_t>();
  uv_async_init(loop, async.get(), [](uv_async_t* a) { static_cast<CertificateWait*>(a->data)->fire(); });
  async->data = this;
  mailbox_->async = async.release();
  mailbox_->open = true;
  auto timer = std::make_unique<uv_timer_t>();
  uv_timer_init(loop, timer.get());
  timer->data = this;
  uv_timer_start(
      timer.get(), [](uv_timer_t* t) { static_cast<CertificateWait*>(t->data)->fire(); },
      static_cast<uint64_t>(limit.count()), 0);
  timer_ = timer.release();
  start([box = mailbox_] { box->post(); });
}

CertificateWait::~CertificateWait() {
  {
    std::lock_guard lock(mailbox_->mu);
    mailbox_->open = false;
  }
  closeAndFree(mailbox_->async);
  closeAndFree(timer_);
}

void CertificateWait::fire() {
  if (fired_) {
    return;
  }
  fired_ = true;
  uv_timer_stop(timer_);
  ready_();  // may not destroy *this (the owner defers that to its own teardown)
}

}  // namespace gatehouse::tls
