#include "proxy/host_lookup.h"

#include <netdb.h>

#include <cstring>
#include <memory>
#include <random>

namespace gatehouse::proxy {

struct HostLookup::Request {
  uv_getaddrinfo_t req{};
  HostLookup* owner = nullptr;
  Done done;
};

HostLookup::HostLookup(uv_loop_t* loop, const std::string& host, const std::string& port, Done done) {
  startSystem(loop, host, port, std::move(done));
}

void HostLookup::startSystem(uv_loop_t* loop, const std::string& host, const std::string& port, Done done) {
  auto r = std::make_unique<Request>();
  r->owner = this;
  r->done = std::move(done);
  r->req.data = r.get();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
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
  int status = 0;
  sockaddr_storage addr{};
};

HostLookup::HostLookup(uv_loop_t* loop, const std::string& host, const std::string& port,
                       const std::vector<ResolverAddress>& resolvers, Done done) {
  if (resolvers.empty()) {
    startSystem(loop, host, port, std::move(done));
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
  const int rc = uv_queue_work(
      loop, &w->req,
      [](uv_work_t* req) {
        auto* work = static_cast<Work*>(req->data);
        work->status = resolveWith(work->server, work->host, work->port, work->addr);
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
  w->done(status != 0 ? status : w->status, w->addr);  // may destroy the owner: nothing after this
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
  sockaddr_storage addr{};
  if (status == 0 && res != nullptr) {
    std::memcpy(&addr, res->ai_addr, res->ai_addrlen);
  } else if (status == 0) {
    status = UV_EAI_NONAME;
  }
  uv_freeaddrinfo(res);
  if (r->owner == nullptr) {
    return;  // cancelled
  }
  r->owner->req_ = nullptr;
  r->done(status, addr);  // may destroy the owner: nothing after this
}

}  // namespace gatehouse::proxy
