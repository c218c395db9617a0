#pragma once
// Dynamic upstreams (Caddy's `dynamic a|srv|multi`, JSON dynamic_upstreams): the upstreams
// of a request come from DNS, looked up through ldns (or the system's resolver) on libuv's
// thread pool and cached per worker for `refresh` (default 1m, as Caddy). Requests that
// find an entry stale or missing wait for one lookup together; a serving loop never blocks.
// Names and ports may hold placeholders, rendered per request (the rendered name is the
// cache key, as in Caddy). Loop thread only.

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/exchange.h"
#include "gatehouse/runtime/exchange_host.h"
#include "proxy/upstream_resolver.h"
#include "router/placeholders.h"

namespace gatehouse::proxy {

struct DynamicSource {
  enum class Kind { A, Srv, Multi };
  Kind kind = Kind::A;
  router::Template name;
  router::Template port{"80"};  // a
  router::Template service;     // srv
  router::Template proto;       // srv
  std::chrono::milliseconds refresh{60'000};
  std::chrono::milliseconds gracePeriod{0};  // srv: serve stale answers this long on failure
  std::vector<ResolverAddress> resolvers;    // empty: the system's
  std::chrono::milliseconds dialTimeout{0};  // per DNS try; 0: 5s
  bool v4 = true;                            // a: ask A
  bool v6 = true;                            // a: ask AAAA
  std::vector<DynamicSource> sources;        // multi

  // JSON dynamic_upstreams; throws ProvisionError naming `path`.
  static DynamicSource parse(const config::Json& j, const std::string& path);
};

class DynamicLookups final : public runtime::WorkerLocal {
 public:
  // Called when a lookup a request waited for finished (the request then asks again).
  // Held by the request: once it is gone, nothing is called.
  using Waiter = std::shared_ptr<std::function<void()>>;
  enum class State { Ready, Pending };

  explicit DynamicLookups(uv_loop_t* loop) : loop_(loop) {}
  ~DynamicLookups() override;
  DynamicLookups(const DynamicLookups&) = delete;
  DynamicLookups& operator=(const DynamicLookups&) = delete;

  // Appends the dial addresses `source` gives this request to `dials`. Pending: a lookup
  // runs and `waiter` is called when it ends (maybe more than once). Ready with `error`
  // set: the source failed (a multi source never does: its failing sources add nothing).
  State collect(const DynamicSource& source, const runtime::Exchange& ex, const Waiter& waiter,
                std::vector<std::string>& dials, std::string& error);

 private:
  struct Entry {
    std::vector<std::string> dials;  // the last answer
    int64_t fetchedAt = 0;           // loop ms of that answer
    bool answered = false;
    bool running = false;
    bool failed = false;  // the last lookup failed (and no grace period covers it)
    uint64_t failedAt = 0;
    std::string error;
    std::vector<std::weak_ptr<std::function<void()>>> waiters;
  };
  struct Work;
  State collectOne(const DynamicSource& s, const runtime::Exchange& ex, const Waiter& waiter,
                   std::vector<std::string>& dials, std::string& error);
  void start(const DynamicSource& s, const std::string& key, const std::string& name,
             const std::string& port);
  void finish(Work& w);
  static void onDone(uv_work_t* req, int status);
  void makeRoom();

  uv_loop_t* loop_;
  std::unordered_map<std::string, Entry> entries_;
  std::vector<Work*> running_;  // freed by their callbacks
};

}  // namespace gatehouse::proxy
