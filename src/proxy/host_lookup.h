#pragma once
// One asynchronous DNS lookup (uv_getaddrinfo runs getaddrinfo on libuv's thread pool, so
// the loop never blocks). Destroying the lookup cancels it: the callback is not called.
// Every address is delivered, in the order to dial them (getaddrinfo's RFC 6724 order, or
// sortDestinations for configured resolvers): the dialer races the families (Happy
// Eyeballs, DialRace). Loop thread only.

#include <sys/socket.h>
#include <uv.h>

#include <functional>
#include <string>
#include <vector>

#include "proxy/upstream_resolver.h"

namespace gatehouse::proxy {

class HostLookup {
 public:
  // `done(status, addresses)`: status 0 and at least one address, or a libuv error.
  using Done = std::function<void(int status, AddressList& addresses)>;
  // `family`: AF_UNSPEC for both, AF_INET or AF_INET6 (a tcp4/ or tcp6/ upstream) for one.
  // Through `resolvers` (transport resolvers; one picked at random) when not empty.
  HostLookup(uv_loop_t* loop, const std::string& host, const std::string& port, int family,
             const std::vector<ResolverAddress>& resolvers, Done done);
  ~HostLookup();
  HostLookup(const HostLookup&) = delete;
  HostLookup& operator=(const HostLookup&) = delete;
  // Non-zero when the lookup could not even start (then `done` is never called).
  [[nodiscard]] int startError() const { return startError_; }

 private:
  struct Request;
  struct Work;
  void startSystem(uv_loop_t* loop, const std::string& host, const std::string& port, int family, Done done);
  static void onResolved(uv_getaddrinfo_t* req, int status, addrinfo* res);
  static void onWorkDone(uv_work_t* req, int status);
  Request* req_ = nullptr;  // freed by its callback, which libuv always runs
  Work* work_ = nullptr;    // the same, for a lookup through configured resolvers
  int startError_ = 0;
};

}  // namespace gatehouse::proxy
