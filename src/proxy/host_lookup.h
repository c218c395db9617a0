#pragma once
// One asynchronous DNS lookup (uv_getaddrinfo runs getaddrinfo on libuv's thread pool, so
// the loop never blocks). Destroying the lookup cancels it: the callback is not called.
// Loop thread only.

#include <sys/socket.h>
#include <uv.h>

#include <functional>
#include <string>
#include <vector>

#include "proxy/upstream_resolver.h"

namespace gatehouse::proxy {

class HostLookup {
 public:
  // `done(status, address)`: status 0 and the first address found, or a libuv error.
  using Done = std::function<void(int status, const sockaddr_storage& address)>;
  HostLookup(uv_loop_t* loop, const std::string& host, const std::string& port, Done done);
  // Through these DNS servers (transport resolvers; one picked at random) when not empty.
  HostLookup(uv_loop_t* loop, const std::string& host, const std::string& port,
             const std::vector<ResolverAddress>& resolvers, Done done);
  ~HostLookup();
  HostLookup(const HostLookup&) = delete;
  HostLookup& operator=(const HostLookup&) = delete;
  // Non-zero when the lookup could not even start (then `done` is never called).
  [[nodiscard]] int startError() const { return startError_; }

 private:
  struct Request;
  struct Work;
  void startSystem(uv_loop_t* loop, const std::string& host, const std::string& port, Done done);
  static void onResolved(uv_getaddrinfo_t* req, int status, addrinfo* res);
  static void onWorkDone(uv_work_t* req, int status);
  Request* req_ = nullptr;  // freed by its callback, which libuv always runs
  Work* work_ = nullptr;     // the same, for a lookup through configured resolvers
  int startError_ = 0;
};

}  // namespace gatehouse::proxy
