#include "handlers/body_capture_handler.h"

#include <algorithm>
#include <string>

#include "router/body_capture.h"

namespace gatehouse::handlers {

using runtime::Exchange;
using runtime::Outcome;

namespace {

// Pulls body pieces until the end or until enough is held for the placeholder. The limit
// of request_body max_size is lifted meanwhile so the bytes up to it can be printed, as
// Caddy prints what Go's MaxBytesReader gave before its error; it is back in force for
// whoever reads on (the proxy's copy of the body fails past it).
class BodyCaptureWork final : public runtime::PendingWork, private runtime::BodySink {
 public:
  explicit BodyCaptureWork(Exchange& ex) : ex_(ex), limit_(ex.request.maxBodyBytes) {
    // One byte past the limit tells the placeholder to stop at it.
    want_ = limit_ != 0 ? static_cast<size_t>(std::min<uint64_t>(limit_ + 1, router::kBodyCaptureCap))
                        : router::kBodyCaptureCap;
    ex_.request.maxBodyBytes = 0;
  }
  ~BodyCaptureWork() override {
    if (!finished_) {
      ex_.request.maxBodyBytes = limit_;  // cancelled while reading
    }
  }
  BodyCaptureWork(const BodyCaptureWork&) = delete;
  BodyCaptureWork& operator=(const BodyCaptureWork&) = delete;

  void start() { ex_.host->requestBody().pull(ex_.host->loop(), *this); }
  Outcome resumed(Exchange& /*ex*/) override { return Outcome::Continue; }

 private:
  void onBodyData(std::string_view data, bool eof) override {
    bytes_.append(data);
    if (eof || bytes_.size() >= want_) {
      finish(eof);
      return;
    }
    ex_.host->requestBody().pull(ex_.host->loop(), *this);
  }
  // A broken body: Caddy ignores the read error and prints what it got; the next reader
  // meets the error again on the live stream.
  void onBodyError(int /*uvError*/) override { finish(false); }

  void finish(bool complete) {
    finished_ = true;
    ex_.request.maxBodyBytes = limit_;
    if (limit_ != 0 && bytes_.size() > limit_) {
      ex_.response.close = true;  // as Go's server once its MaxBytesReader hit the limit
    }
    router::storeBodyCapture(ex_, std::move(bytes_), complete);
    ex_.host->resume();
  }

  Exchange& ex_;
  uint64_t limit_;
  size_t want_ = 0;
  std::string bytes_;
  bool finished_ = false;
};

class BodyCaptureHandler final : public runtime::Handler {
 public:
  Outcome handle(Exchange& ex) const override {
    if (router::findBodyCapture(ex)) {
      return Outcome::Continue;  // an earlier step read it
    }
    // Nothing to wait for: no body, or an upgrade whose bytes belong to the tunnel.
    // HTTP/2 reads even an empty body: Go's request body answers "Expect: 100-continue" on
    // any Read (caddy 2.6.2 sends the 100 to a bodyless request whose body it prints).
    const bool emptyRead = ex.request.bodyLength == 0 && ex.request.versionMajor == 2;
    if ((ex.request.bodyLength == 0 && !emptyRead) || !ex.request.upgrade.empty()) {
      router::storeBodyCapture(ex, {}, ex.request.bodyLength == 0);
      return Outcome::Continue;
    }
    auto work = std::make_unique<BodyCaptureWork>(ex);
    BodyCaptureWork& w = *work;
    ex.pending = std::move(work);
    w.start();
    return Outcome::Paused;
  }
};

}  // namespace

std::unique_ptr<runtime::Handler> makeBodyCapture() {
  return std::make_unique<BodyCaptureHandler>();
}

}  // namespace gatehouse::handlers
