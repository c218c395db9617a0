#include "proxy/tunnel_relay.h"

namespace gatehouse::proxy {

// Bytes the upstream has not taken yet; the client is not read meanwhile.
struct TunnelRelay::Writing {
  uv_write_t req{};
  std::string bytes;   // in flight
  std::string queued;  // handed over meanwhile (a TLS client's records come several at once)
};

// The handle and its requests outlive the relay until libuv's close callback: a cancelled
// write's callback runs before it. `owner` is cleared when the relay goes.
struct TunnelRelay::Box {
  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } stream{};
  std::unique_ptr<Writing> writing;
  std::unique_ptr<uv_shutdown_t> shut;
  TunnelRelay* owner = nullptr;

  uv_stream_t* s() { return reinterpret_cast<uv_stream_t*>(&stream); }
  uv_handle_t* h() { return reinterpret_cast<uv_handle_t*>(&stream); }
};

TunnelRelay::TunnelRelay(http::Transport& client, Setup setup) : client_(client), setup_(std::move(setup)) {}

TunnelRelay::~TunnelRelay() {
  closeUpstream();
  record();
  if (setup_.counted) {
    setup_.pool->countRequest(setup_.upstream, -1);  // the process-wide count too
  }
  if (setup_.holdsSlot) {
    setup_.pool->releaseSlot(setup_.slot);
  }
}

bool TunnelRelay::open(uv_os_fd_t fd, std::string upstreamBytes) {
  auto box = std::make_unique<Box>();
  uv_loop_t* loop = client_.loop();
  int rc = 0;
  if (setup_.unix) {
    uv_pipe_init(loop, &box->stream.pipe, 0);
    rc = uv_pipe_open(&box->stream.pipe, fd);
  } else {
    uv_tcp_init(loop, &box->stream.tcp);
    rc = uv_tcp_open(&box->stream.tcp, fd);
  }
  box->h()->data = box.get();
  if (rc != 0) {
    uv_close(box.release()->h(),
             [](uv_handle_t* h) { std::unique_ptr<Box> dead(static_cast<Box*>(h->data)); });
    return false;
  }
  box->owner = this;
  box_ = box.release();
  if (setup_.timeout.count() > 0) {
    arm(setup_.timeout);
  }
  client_.resumeReading();
  if (!upstreamBytes.empty()) {
    toClient(upstreamBytes.data(), upstreamBytes.size());
  }
  if (client_.drained()) {
    startReading();
  }
  settle();
  return true;
}

void TunnelRelay::closeUpstream() {
  if (box_ == nullptr) {
    return;
  }
  box_->owner = nullptr;
  uv_close(box_->h(), [](uv_handle_t* h) { std::unique_ptr<Box> dead(static_cast<Box*>(h->data)); });
  box_ = nullptr;
  reading_ = false;
}

void TunnelRelay::finish(bool broken) {
  if (finished_) {
    return;
  }
  finished_ = true;
  closeUpstream();
  timer_.reset();
  if (sentToClient_ == nullptr) {
    record();  // else when the stream has closed (the destructor), its last bytes counted
  }
  client_.close(broken && setup_.clientStream);
}

void TunnelRelay::recordWith(http::RequestHandler& recorder, const runtime::Exchange& ex) {
  record_ = std::make_unique<TunnelRecord>(recorder, ex);
}

void TunnelRelay::record() {
  if (!record_) {
    return;
  }
  const std::unique_ptr<TunnelRecord> rec = std::move(record_);
  runtime::Exchange ex;
  setup_.request.unpack(ex.request);
  rec->finish(ex, sentToClient_ != nullptr ? *sentToClient_ : 0);
}

// --- client -> upstream

void TunnelRelay::onData(const char* data, size_t len) {
  if (finished_ || box_ == nullptr || len == 0) {
    return;
  }
  if (setup_.tls) {
    toUpstreamTls(data, len);
    return;
  }
  sendUpstream(data, len);
}

void TunnelRelay::sendUpstream(const char* data, size_t len) {
  if (finished_ || box_ == nullptr || len == 0) {
    return;
  }
  if (box_->writing) {
    box_->writing->queued.append(data, len);
    return;
  }
  uv_buf_t b = uv_buf_init(const_cast<char*>(data), static_cast<unsigned>(len));
  const int n = uv_try_write(box_->s(), &b, 1);
  if (n == static_cast<int>(len)) {
    settle();
    return;
  }
  if (n < 0 && n != UV_EAGAIN) {
    finish(true);
    return;
  }
  const size_t sent = n > 0 ? static_cast<size_t>(n) : 0;
  box_->writing = std::make_unique<Writing>();
  Writing& w = *box_->writing;
  w.bytes.assign(data + sent, len - sent);
  w.req.data = box_;
  uv_buf_t rest = uv_buf_init(w.bytes.data(), static_cast<unsigned>(w.bytes.size()));
  if (uv_write(&w.req, box_->s(), &rest, 1, &TunnelRelay::onWrite) != 0) {
    box_->writing.reset();
    finish(true);
    return;
  }
  client_.pauseReading();  // the upstream holds the client back
}

void TunnelRelay::onWrite(uv_write_t* req, int status) {
  auto* box = static_cast<Box*>(req->data);
  TunnelRelay* self = box->owner;
  if (self == nullptr) {
    return;  // the box (and this request) go in the close callback
  }
  if (status < 0) {
    self->finish(true);
    return;
  }
  Writing& w = *box->writing;
  if (!w.queued.empty()) {
    w.bytes.swap(w.queued);
    w.queued.clear();
    uv_buf_t b = uv_buf_init(w.bytes.data(), static_cast<unsigned>(w.bytes.size()));
    if (uv_write(&w.req, box->s(), &b, 1, &TunnelRelay::onWrite) != 0) {
      self->finish(true);
    }
    return;
  }
  box->writing.reset();
  if (self->shutPending_) {
    self->shutUpstream();
    if (self->upstreamEof_) {
      self->finish();
    }
    return;
  }
  if (!self->clientEof_) {
    self->client_.resumeReading();
  }
  self->settle();
}

void TunnelRelay::onEof() {
  if (finished_ || clientEof_) {
    return;
  }
  clientEof_ = true;
  if (setup_.tls) {
    closeNotifyUpstream();  // TLS's own half-close goes first, then TCP's
    if (finished_) {
      return;
    }
  }
  if (box_ != nullptr && box_->writing) {
    shutPending_ = true;  // onWrite passes the EOF on once the bytes before it are out
    return;
  }
  shutUpstream();
  if (upstreamEof_) {
    finish();
  }
}

void TunnelRelay::shutUpstream() {
  shutPending_ = false;
  if (box_ == nullptr || box_->shut) {
    return;
  }
  box_->shut = std::make_unique<uv_shutdown_t>();
  if (uv_shutdown(box_->shut.get(), box_->s(), [](uv_shutdown_t*, int) {}) != 0) {
    finish(true);
  }
}

// --- upstream -> client

void TunnelRelay::startReading() {
  if (reading_ || box_ == nullptr || upstreamEof_ || finished_) {
    return;
  }
  if (uv_read_start(box_->s(), &TunnelRelay::onAlloc, &TunnelRelay::onRead) == 0) {
    reading_ = true;
  }
}

void TunnelRelay::onAlloc(uv_handle_t* h, size_t /*suggested*/, uv_buf_t* buf) {
  auto* box = static_cast<Box*>(h->data);
  if (box->owner == nullptr) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  *buf = box->owner->setup_.pool->readBuffer();  // the worker's, consumed in onRead
}

void TunnelRelay::onRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* box = static_cast<Box*>(s->data);
  TunnelRelay* self = box->owner;
  if (self == nullptr || n == 0) {
    return;
  }
  if (n > 0 && self->setup_.tls) {
    self->fromUpstreamTls(buf->base, static_cast<size_t>(n));
    return;
  }
  if (n > 0) {
    self->toClient(buf->base, static_cast<size_t>(n));
    return;
  }
  if (n != UV_EOF) {
    self->finish(true);
    return;
  }
  self->upstreamEnded();
}

void TunnelRelay::upstreamEnded() {
  if (upstreamEof_ || finished_) {
    return;
  }
  if (reading_ && box_ != nullptr) {
    uv_read_stop(box_->s());
  }
  reading_ = false;
  upstreamEof_ = true;
  client_.shutdownWrite();
  if (clientEof_ && (box_ == nullptr || !box_->writing)) {
    finish();
  }
}

void TunnelRelay::toClient(const char* data, size_t len) {
  std::string bytes(data, len);
  client_.write(bytes);
  if (!client_.drained() && reading_ && box_ != nullptr) {
    uv_read_stop(box_->s());  // the client holds the upstream back until onDrained
    reading_ = false;
    return;
  }
  settle();
}

void TunnelRelay::onDrained() {
  startReading();
  settle();
}

void TunnelRelay::settle() {
  if (!finished_ && client_.drained() && (box_ == nullptr || !box_->writing)) {
    client_.quiet(setup_.tls != nullptr);
  }
}

// --- timers and reloads

void TunnelRelay::arm(std::chrono::milliseconds after) {
  uv_loop_t* loop = client_.loop();
  const uint64_t due = uv_now(loop) + static_cast<uint64_t>(std::max<int64_t>(after.count(), 0));
  if (!timer_) {
    uv_timer_init(loop, timer_.create());
    timer_.get()->data = this;
  } else if (due_ <= due) {
    return;  // armed for earlier already
  }
  due_ = due;
  uv_timer_start(timer_.get(), &TunnelRelay::onTimer, due - uv_now(loop), 0);
}

void TunnelRelay::onTimer(uv_timer_t* t) {
  if (auto* self = static_cast<TunnelRelay*>(t->data)) {
    self->finish();
  }
}

void TunnelRelay::siteRemoved() {
  if (!finished_) {
    arm(setup_.closeDelay);  // fires on a later loop turn, never inside the reload's walk
  }
}

namespace {
class SiteProbe final : public runtime::PendingWork {
 public:
  explicit SiteProbe(std::function<void()> removed) : removed_(std::move(removed)) {}
  void siteRemoved() override { removed_(); }

 private:
  std::function<void()> removed_;
};
}  // namespace

// A reload asks whether the new config still serves this tunnel's site: it sees the
// request again, rebuilt from its packed facts.
void TunnelRelay::forEachExchange(const std::function<void(runtime::Exchange&)>& fn) {
  if (finished_) {
    return;
  }
  runtime::Exchange ex;
  setup_.request.unpack(ex.request);
  ex.pending = std::make_unique<SiteProbe>([this] { siteRemoved(); });
  fn(ex);
}

}  // namespace gatehouse::proxy
