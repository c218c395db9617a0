#include "server/worker.h"

#include <unistd.h>

namespace gatehouse::server {

Worker::Worker(std::shared_ptr<const provision::Runtime> runtime, std::vector<WorkerSocket> sockets)
    : runtime_(std::move(runtime)) {
  uv_loop_init(&loop_);
  loop_.data = this;
  state_ = std::make_unique<runtime::WorkerState>(&loop_);
  // The async handle must exist before another thread may call stop().
  uv_async_init(&loop_, &stopAsync_, &Worker::onStop);
  stopAsync_.data = this;
  uv_timer_init(&loop_, &graceTimer_);
  graceTimer_.data = this;
  for (const auto& server : runtime_->servers) {
    routers_.push_back(std::make_unique<router::SiteRouter>(*server));
  }
  for (const auto& s : sockets) {
    auto l = std::make_unique<Listener>();
    l->worker = this;
    l->serverIndex = s.serverIndex;
    uv_tcp_init(&loop_, &l->tcp);
    l->tcp.data = l.get();
    if (uv_tcp_open(&l->tcp, s.fd) != 0) {
      ::close(s.fd);
    }
    listeners_.push_back(std::move(l));
  }
}

Worker::~Worker() {
  join();
  // Handles still open (start() never ran): close them and let the loop finish closing.
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&stopAsync_))) {
    beginShutdown();
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  uv_loop_close(&loop_);
}

void Worker::start() {
  for (auto& l : listeners_) {
    uv_listen(reinterpret_cast<uv_stream_t*>(&l->tcp), 4096, &Worker::onConnection);
  }
  thread_ = std::thread([this] { run(); });
}

void Worker::run() { uv_run(&loop_, UV_RUN_DEFAULT); }

void Worker::stop() { uv_async_send(&stopAsync_); }

void Worker::join() {
  if (thread_.joinable()) {
    thread_.join();
  }
}

void Worker::onStop(uv_async_t* a) { static_cast<Worker*>(a->data)->beginShutdown(); }

void Worker::beginShutdown() {
  if (stopping_) {
    return;
  }
  stopping_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&stopAsync_), nullptr);
  // Listener structs stay owned by listeners_ until the Worker dies, which is after the
  // loop has run every close callback.
  for (auto& l : listeners_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&l->tcp), nullptr);
  }
  std::vector<Connection*> open;
  open.reserve(connections_.size());
  for (auto& [c, _] : connections_) {
    open.push_back(c);
  }
  for (Connection* c : open) {
    c->shutdown();
  }
  const auto grace = runtime_->gracePeriod;
  if (grace.count() > 0 && !connections_.empty()) {
    // Closed by onConnectionClosed when the last connection goes, or when it fires.
    uv_timer_start(&graceTimer_, &Worker::onGrace, static_cast<uint64_t>(grace.count()), 0);
  } else {
    uv_close(reinterpret_cast<uv_handle_t*>(&graceTimer_), nullptr);
  }
}

void Worker::onGrace(uv_timer_t* t) {
  auto* self = static_cast<Worker*>(t->data);
  std::vector<Connection*> open;
  for (auto& [c, _] : self->connections_) {
    open.push_back(c);
  }
  for (Connection* c : open) {
    c->close(true);
  }
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(t))) {
    uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
  }
}

void Worker::onConnection(uv_stream_t* server, int status) {
  auto* l = static_cast<Listener*>(server->data);
  Worker& w = *l->worker;
  if (status < 0 || w.stopping_) {
    return;
  }
  const auto& srv = *w.runtime_->servers[l->serverIndex];
  auto conn = std::make_unique<Connection>(w, srv, *w.routers_[l->serverIndex]);
  Connection* raw = conn.get();
  w.connections_.emplace(raw, std::move(conn));
  raw->accept(server);  // on failure it closes itself and comes back via onConnectionClosed
}

void Worker::onConnectionClosed(Connection& c) {
  connections_.erase(&c);
  auto* timer = reinterpret_cast<uv_handle_t*>(&graceTimer_);
  if (stopping_ && connections_.empty() && !uv_is_closing(timer)) {
    uv_close(timer, nullptr);
  }
}

}  // namespace gatehouse::server
