#include "proxy/host_lookup.h"

#include <netdb.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>

#include "proxy/host_lookup_order.h"

namespace gatehouse::proxy {

struct HostLookup::Request {
  uv_getaddrinfo_t req{};
  HostLookup* owner = nullptr;
  Done done;
};

void HostLookup::startSystem(uv_loop_t* loop, const std::string& host, const std::string& port, int family,
                             Done done) {
  auto r = std::make_unique<Request>();
  r->owner = this;
  r->done = std::move(done);
  r->req.data = r.get();
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  const int rc = uv_getaddrinfo(loop, &r->req, &HostLookup::onResolved, host.c_str(), port.c_str(), &hints);
  if (rc != 0) {
    startError_ = rc;
    return;
  }
  req_ = r.release();
}

struct HostLookup::Work {
  uv_work_t req{};
  HostLookup* owner = nullptr;
  Done done;
  ResolverAddress server;
  std::string host;
  uint16_t port = 0;
  int family = AF_UNSPEC;
  int status = 0;
  AddressList addresses;
};

HostLookup::HostLookup(uv_loop_t* loop, const std::string& host, const std::string& port, int family,
                       const std::vector<ResolverAddress>& resolvers, Done done) {
  if (resolvers.empty()) {
    startSystem(loop, host, port, family, std::move(done));
    return;
  }
  auto w = std::make_unique<Work>();
  w->owner = this;
  w->done = std::move(done);
  w->req.data = w.get();
  std::random_device rd;
  w->server = resolvers[rd() % resolvers.size()];
  w->host = host;
  w->port = static_cast<uint16_t>(std::strtoul(port.c_str(), nullptr, 10));
  w->family = family;
  const int rc = uv_queue_work(
      loop, &w->req,
      [](uv_work_t* req) {
        auto* work = static_cast<Work*>(req->data);
        work->status = resolveWith(work->server, work->host, work->port, work->family, work->addresses);
        sortDestinations(work->addresses);
      },
      &HostLookup::onWorkDone);
  if (rc != 0) {
    startError_ = rc;
    return;
  }
  work_ = w.release();
}

void HostLookup::onWorkDone(uv_work_t* req, int status) {
  std::unique_ptr<Work> w(static_cast<Work*>(req->data));
  if (w->owner == nullptr) {
    return;  // cancelled
  }
  w->owner->work_ = nullptr;
  w->done(status != 0 ? status : w->status, w->addresses);  // may destroy the owner: nothing after this
}

HostLookup::~HostLookup() {
  if (work_ != nullptr) {
    work_->owner = nullptr;
    uv_cancel(reinterpret_cast<uv_req_t*>(&work_->req));
  }
  if (req_ != nullptr) {
    req_->owner = nullptr;
    uv_cancel(reinterpret_cast<uv_req_t*>(&req_->req));  // the callback still runs, and frees it
  }
}

void HostLookup::onResolved(uv_getaddrinfo_t* req, int status, addrinfo* res) {
  std::unique_ptr<Request> r(static_cast<Request*>(req->data));
  AddressList addresses;
  for (const addrinfo* ai = status == 0 ? res : nullptr; ai != nullptr; ai = ai->ai_next) {
    if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
        ai->ai_addrlen > sizeof(sockaddr_storage)) {
      continue;
    }
    sockaddr_storage a{};
    std::memcpy(&a, ai->ai_addr, ai->ai_addrlen);
    const bool seen = std::any_of(addresses.begin(), addresses.end(), [&](const sockaddr_storage& b) {
      return std::memcmp(&a, &b, ai->ai_addrlen) == 0;
    });
    if (!seen) {
      addresses.push_back(a);
    }
  }
  if (status == 0 && addresses.empty()) {
    status = UV_EAI_NONAME;
  }
  uv_freeaddrinfo(res);
  if (r->owner == nullptr) {
    return;  // cancelled
  }
  r->owner->req_ = nullptr;
  r->done(status, addresses);  // may destroy the owner: nothing after this
}

}  // namespace gatehouse::proxy
