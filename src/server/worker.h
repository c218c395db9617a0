#pragma once
// One worker: a thread running its own libuv loop, its own SO_REUSEPORT listeners and the
// connections they accept. Workers share only immutable runtime snapshots.
//
// Reload: the main thread hands a worker a new snapshot plus the listeners to add and the
// ones to drop; the loop swaps them in between callbacks. Listeners whose address stays
// are kept (no socket is closed), connections of the old snapshot finish their exchange
// in flight and then close, as Caddy's old servers shut down gracefully. With the old
// snapshot's shutdown_delay this happens in two steps: the new snapshot takes the kept and
// new listeners at once, while the dropped listeners and the old connections go on serving
// the old snapshot until retire() (the delay is over).

#include <uv.h>

#include <array>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http/http_date.h"
#include "provision/runtime.h"
#include "router/site_router.h"
#include "server/connection.h"

namespace gatehouse::server {

// A listening socket for one server, already bound (see listen_socket.h). `key` names the
// configured address ("tcp/127.0.0.1:8443"), which is how a reload recognises it.
struct WorkerSocket {
  int fd = -1;
  size_t serverIndex = 0;
  std::string key;
};

// A snapshot as one worker serves it: the runtime and this worker's routers for it.
class WorkerGeneration final : public Generation {
 public:
  explicit WorkerGeneration(std::shared_ptr<const provision::Runtime> rt);
  std::shared_ptr<const provision::Runtime> runtime;
  std::vector<std::unique_ptr<http::RequestHandler>> routers;  // one per server
  std::vector<std::unique_ptr<http::RequestHandler>> guards;   // strict_sni_host wrappers
  std::vector<http::RequestHandler*> entry;                    // what connections call
};

// What a reload changes on one worker.
struct WorkerReload {
  std::shared_ptr<const provision::Runtime> runtime;
  std::vector<WorkerSocket> added;  // new listeners (descriptors owned by the worker)
  // Every key the new snapshot listens on, with its server index; listeners with other
  // keys close.
  std::vector<std::pair<std::string, size_t>> keep;
  std::promise<void> applied;  // set once the loop has swapped (or dropped) the change
  // shutdown_delay: the old snapshot keeps its dropped listeners and its connections until
  // Worker::retire().
  bool retireLater = false;
};

class Worker final : public ConnectionOwner {
 public:
  // Takes ownership of the socket descriptors. Main thread.
  Worker(std::shared_ptr<const provision::Runtime> runtime, std::vector<WorkerSocket> sockets);
  ~Worker() override;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  // Thread-safe: asks the loop to stop accepting and to finish in-flight requests.
  void stop();
  // Thread-safe: swaps in a new snapshot on the loop (see above).
  void reload(WorkerReload change);
  // Thread-safe: the snapshot a `retireLater` reload replaced stops now (its dropped
  // listeners close, its connections finish what is in flight and close).
  void retire();
  void join();
  // After join(): the grace period ended with work still on the thread pool (a template
  // blocked reading a pipe). Pool work cannot be cancelled, so the loop was left running
  // and must not be touched again: the process exits without destroying this worker.
  [[nodiscard]] bool abandoned() const { return abandoned_; }

  // ConnectionOwner (loop thread)
  uv_loop_t* loop() override { return &loop_; }
  uv_buf_t readBuffer() override {
    return uv_buf_init(readBuf_.data(), static_cast<unsigned>(readBuf_.size()));
  }
  http::DateCache& dates() override { return dates_; }
  http::Http1ScratchPool& http1ScratchPool() override { return scratch_; }
  std::string& cipherScratch() override { return cipherScratch_; }
  runtime::WorkerState& workerState() override { return *state_; }
  void onConnectionClosed(Connection& c) override;

 private:
  struct Listener {
    uv_tcp_t tcp{};
    Worker* worker = nullptr;
    size_t serverIndex = 0;
    std::string key;
    // Set on a listener a `retireLater` reload dropped: it serves the old snapshot until
    // retire(). Null: the current snapshot.
    std::shared_ptr<WorkerGeneration> pinned;
  };
  // What retire() finishes: the replaced snapshot's servers and, for each, the new
  // snapshot's server on the same listener (null when none), as Connection::reloaded takes.
  struct Retiring {
    std::shared_ptr<WorkerGeneration> previous;
    std::vector<const provision::ServerRuntime*> next;
  };

  static void onConnection(uv_stream_t* server, int status);
  static void onStop(uv_async_t* a);
  static void onReload(uv_async_t* a);
  static void onGrace(uv_timer_t* t);
  static void onAbandon(uv_timer_t* t);
  static void onListenerClosed(uv_handle_t* h);

  void run();
  void beginShutdown();
  void applyReload(WorkerReload change);
  void applyRetire();
  // Tells every connection not of the current snapshot that `previous` was replaced.
  void reloadConnections(const WorkerGeneration& previous,
                         const std::vector<const provision::ServerRuntime*>& next);
  // Closes what the loop owns for another thread's messages; false when already closed.
  bool closeMailbox();
  // The current runtime's handlers start their per-worker work (health checks). Loop thread.
  void startHandlers();
  void addListener(const WorkerSocket& s, bool listen);

  std::shared_ptr<WorkerGeneration> current_;
  uv_loop_t loop_{};
  uv_async_t stopAsync_{};
  uv_async_t reloadAsync_{};
  uv_timer_t graceTimer_{};
  // Guards pendingReload_, retirePending_ and mailboxOpen_, the fields other threads write.
  std::mutex reloadMu_;
  std::optional<WorkerReload> pendingReload_;
  bool retirePending_ = false;
  // The async handles may be sent to (false once the loop began closing them).
  bool mailboxOpen_ = true;
  std::optional<Retiring> retiring_;  // loop thread
  std::vector<std::unique_ptr<Listener>> listeners_;
  // Listeners being closed; freed in their close callback.
  std::unordered_map<Listener*, std::unique_ptr<Listener>> closingListeners_;
  // Declared after the loop and before connections: handler state (upstream pools) must
  // outlive every connection's exchange, which may hold references into it.
  std::unique_ptr<runtime::WorkerState> state_;
  // Before the connections: their sessions hand request state back to it as they die.
  http::Http1ScratchPool scratch_;
  std::string cipherScratch_;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
  http::DateCache dates_;
  std::array<char, 64 * 1024> readBuf_{};
  std::thread thread_;
  bool started_ = false;
  bool stopping_ = false;
  bool abandoned_ = false;
};

}  // namespace gatehouse::server
