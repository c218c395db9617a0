#include "server/worker.h"

#include <unistd.h>

#include <algorithm>

#include "server/strict_sni.h"

namespace gatehouse::server {

WorkerGeneration::WorkerGeneration(std::shared_ptr<const provision::Runtime> rt) : runtime(std::move(rt)) {
  for (const auto& server : runtime->servers) {
    routers.push_back(std::make_unique<router::SiteRouter>(*server));
    if (server->strictSniHost && server->tls) {
      guards.push_back(std::make_unique<StrictSniGuard>(*routers.back()));
      entry.push_back(guards.back().get());
    } else {
      entry.push_back(routers.back().get());
    }
  }
}

Worker::Worker(std::shared_ptr<const provision::Runtime> runtime, std::vector<WorkerSocket> sockets)
    : current_(std::make_shared<WorkerGeneration>(std::move(runtime))) {
  uv_loop_init(&loop_);
  loop_.data = this;
  state_ = std::make_unique<runtime::WorkerState>(&loop_);
  // The async handles must exist before another thread may call stop() or reload().
  uv_async_init(&loop_, &stopAsync_, &Worker::onStop);
  stopAsync_.data = this;
  uv_async_init(&loop_, &reloadAsync_, &Worker::onReload);
  reloadAsync_.data = this;
  uv_timer_init(&loop_, &graceTimer_);
  graceTimer_.data = this;
  for (const auto& s : sockets) {
    addListener(s, false);
  }
}

Worker::~Worker() {
  join();
  if (abandoned_) {
    // Pool work still holds the loop and will report to it: leave both alone (the process
    // is about to exit; see abandoned()).
    return;
  }
  // Handles still open (start() never ran): close them and let the loop finish closing.
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&stopAsync_))) {
    beginShutdown();
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  // Idle pooled upstream connections and the pools' timers are unreferenced (they never keep
  // a stopping loop alive), so they are still open here: drop the worker-local state, which
  // closes them, and run their close callbacks. Otherwise uv_loop_close fails with EBUSY and
  // the loop's own allocations leak (LeakSanitizer, after any test that proxied).
  state_ = std::make_unique<runtime::WorkerState>(&loop_);
  // The grace timer is unreferenced: the loop may have ended with it still armed.
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&graceTimer_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&graceTimer_), nullptr);
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
  std::lock_guard lock(reloadMu_);
  if (pendingReload_) {
    for (const auto& s : pendingReload_->added) {
      ::close(s.fd);
    }
    pendingReload_->applied.set_value();
  }
}

void Worker::addListener(const WorkerSocket& s, bool listen) {
  auto l = std::make_unique<Listener>();
  l->worker = this;
  l->serverIndex = s.serverIndex;
  l->key = s.key;
  uv_tcp_init(&loop_, &l->tcp);
  l->tcp.data = l.get();
  if (uv_tcp_open(&l->tcp, s.fd) != 0) {
    ::close(s.fd);
  }
  if (listen) {
    uv_listen(reinterpret_cast<uv_stream_t*>(&l->tcp), 4096, &Worker::onConnection);
  }
  listeners_.push_back(std::move(l));
}

void Worker::start() {
  for (auto& l : listeners_) {
    uv_listen(reinterpret_cast<uv_stream_t*>(&l->tcp), 4096, &Worker::onConnection);
  }
  started_ = true;
  thread_ = std::thread([this] { run(); });
}

void Worker::run() {
  startHandlers();  // before the loop accepts anything
  uv_run(&loop_, UV_RUN_DEFAULT);
}

void Worker::startHandlers() {
  for (const auto& weak : current_->runtime->workerStarts) {
    if (auto start = weak.lock()) {
      start->start(*state_);
    }
  }
}

void Worker::stop() {
  std::lock_guard lock(reloadMu_);
  if (mailboxOpen_) {
    uv_async_send(&stopAsync_);
  }
}

void Worker::reload(WorkerReload change) {
  {
    std::lock_guard lock(reloadMu_);
    if (!mailboxOpen_) {
      // Stopping: the loop takes no more changes.
      for (const auto& s : change.added) {
        ::close(s.fd);
      }
      change.applied.set_value();
      return;
    }
    if (pendingReload_) {
      // An older reload the loop has not picked up yet: its new sockets are superseded.
      for (const auto& s : pendingReload_->added) {
        ::close(s.fd);
      }
      pendingReload_->applied.set_value();
    }
    pendingReload_ = std::move(change);
  }
  uv_async_send(&reloadAsync_);
}

void Worker::retire() {
  std::lock_guard lock(reloadMu_);
  if (mailboxOpen_) {
    retirePending_ = true;
    uv_async_send(&reloadAsync_);
  }
}

bool Worker::closeMailbox() {
  std::lock_guard lock(reloadMu_);
  const bool wasOpen = mailboxOpen_;
  mailboxOpen_ = false;
  return wasOpen;
}

void Worker::join() {
  if (thread_.joinable()) {
    thread_.join();
  }
}

void Worker::onStop(uv_async_t* a) {
  static_cast<Worker*>(a->data)->beginShutdown();
}

void Worker::onReload(uv_async_t* a) {
  auto* self = static_cast<Worker*>(a->data);
  std::optional<WorkerReload> change;
  bool retire = false;
  {
    std::lock_guard lock(self->reloadMu_);
    change.swap(self->pendingReload_);
    std::swap(retire, self->retirePending_);
  }
  if (retire) {
    self->applyRetire();  // the previous reload's delay is over; it was asked for first
  }
  if (change) {
    self->applyReload(std::move(*change));
  }
}

void Worker::applyReload(WorkerReload change) {
  if (stopping_) {
    for (const auto& s : change.added) {
      ::close(s.fd);
    }
    change.applied.set_value();
    return;
  }
  applyRetire();  // none pending: a reload follows its predecessor's retire()
  // Re-point the listeners that stay; close the rest (or, with retireLater, leave them
  // serving the old snapshot). `next` maps each server of the running config to the new
  // config's server on the same listener.
  const auto& running = current_->runtime->servers;
  std::vector<const provision::ServerRuntime*> next(running.size(), nullptr);
  std::vector<std::unique_ptr<Listener>> kept;
  for (auto& l : listeners_) {
    auto it = std::find_if(change.keep.begin(), change.keep.end(),
                           [&](const auto& k) { return k.first == l->key; });
    if (it != change.keep.end()) {
      if (l->serverIndex < next.size() && it->second < change.runtime->servers.size()) {
        next[l->serverIndex] = change.runtime->servers[it->second].get();
      }
      l->serverIndex = it->second;
      kept.push_back(std::move(l));
    } else if (change.retireLater) {
      l->pinned = current_;
      kept.push_back(std::move(l));
    } else {
      Listener* raw = l.get();
      closingListeners_.emplace(raw, std::move(l));
      uv_close(reinterpret_cast<uv_handle_t*>(&raw->tcp), &Worker::onListenerClosed);
    }
  }
  listeners_ = std::move(kept);
  auto previous = std::move(current_);  // keeps `running` alive while connections are told
  current_ = std::make_shared<WorkerGeneration>(std::move(change.runtime));
  // As Caddy provisions the new handlers before their server takes requests: the new
  // config's checks are under way before this loop reads a request for it.
  startHandlers();
  for (const auto& s : change.added) {
    addListener(s, true);
  }
  if (change.retireLater) {
    retiring_ = Retiring{std::move(previous), std::move(next)};
  } else {
    reloadConnections(*previous, next);
  }
  change.applied.set_value();
}

void Worker::applyRetire() {
  if (!retiring_ || stopping_) {
    return;
  }
  std::vector<std::unique_ptr<Listener>> kept;
  for (auto& l : listeners_) {
    if (!l->pinned) {
      kept.push_back(std::move(l));
      continue;
    }
    Listener* raw = l.get();
    closingListeners_.emplace(raw, std::move(l));
    uv_close(reinterpret_cast<uv_handle_t*>(&raw->tcp), &Worker::onListenerClosed);
  }
  listeners_ = std::move(kept);
  Retiring done = std::move(*retiring_);
  retiring_.reset();
  reloadConnections(*done.previous, done.next);
}

void Worker::reloadConnections(const WorkerGeneration& previous,
                               const std::vector<const provision::ServerRuntime*>& next) {
  // Connections of older snapshots: finish what is in flight, then close (keep-alive
  // clients reconnect and get the new config). Those of the current one are left alone.
  const auto& running = previous.runtime->servers;
  std::vector<Connection*> open;
  open.reserve(connections_.size());
  for (auto& [c, _] : connections_) {
    if (c->generation() != current_.get()) {
      open.push_back(c);
    }
  }
  for (Connection* c : open) {
    const provision::ServerRuntime* live = c->liveServer();
    const provision::ServerRuntime* mapped = nullptr;
    for (size_t i = 0; i < running.size(); ++i) {
      if (running[i].get() == live) {
        mapped = next[i];
      }
    }
    c->reloaded(mapped);
  }
}

void Worker::onListenerClosed(uv_handle_t* h) {
  auto* l = static_cast<Listener*>(h->data);
  l->worker->closingListeners_.erase(l);
}

void Worker::beginShutdown() {
  if (stopping_) {
    return;
  }
  stopping_ = true;
  closeMailbox();
  retiring_.reset();  // its listeners close below; its connections stop with the others
  uv_close(reinterpret_cast<uv_handle_t*>(&stopAsync_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&reloadAsync_), nullptr);
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
  const auto grace = current_->runtime->gracePeriod;
  if (grace.count() > 0) {
    // Unreferenced: the loop ends as soon as nothing else is left; the timer fires only if
    // something is (connections, or pool work of exchanges already gone).
    uv_timer_start(&graceTimer_, &Worker::onGrace, static_cast<uint64_t>(grace.count()), 0);
    uv_unref(reinterpret_cast<uv_handle_t*>(&graceTimer_));
  } else {
    // No grace period: in-flight requests may take as long as they need, as in Caddy.
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
  // The closes finish within a few loop turns. Whatever still keeps the loop alive after
  // that is pool work nobody waits for (a template blocked on a pipe): libuv cannot cancel
  // it, and Caddy exits once its grace period is over whatever its handlers still do.
  constexpr uint64_t kAbandonAfterMs = 250;
  uv_timer_start(t, &Worker::onAbandon, kAbandonAfterMs, 0);
}

void Worker::onAbandon(uv_timer_t* t) {
  auto* self = static_cast<Worker*>(t->data);
  self->abandoned_ = true;
  uv_stop(&self->loop_);
}

void Worker::onConnection(uv_stream_t* server, int status) {
  auto* l = static_cast<Listener*>(server->data);
  Worker& w = *l->worker;
  if (status < 0 || w.stopping_) {
    return;
  }
  const auto& gen = l->pinned ? l->pinned : w.current_;
  auto conn = std::make_unique<Connection>(w, gen, *gen->runtime->servers[l->serverIndex],
                                           *gen->entry[l->serverIndex]);
  Connection* raw = conn.get();
  w.connections_.emplace(raw, std::move(conn));
  raw->accept(server);  // on failure it closes itself and comes back via onConnectionClosed
}

void Worker::onConnectionClosed(Connection& c) {
  connections_.erase(&c);
}

}  // namespace gatehouse::server
