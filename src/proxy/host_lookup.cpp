#include "proxy/host_lookup.h"

#include <netdb.h>

#include <cstring>
#include <memory>

namespace gatehouse::proxy {

struct HostLookup::Request {
  uv_getaddrinfo_t req{};
  HostLookup* owner = nullptr;
  Done done;
};

HostLookup::HostLookup(uv_loop_t* loop, const std::string& host, const std::string& port, Done done) {
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

HostLookup::~HostLookup() {
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
