#include "http/http1_scratch.h"

namespace gatehouse::http {

std::unique_ptr<Http1Scratch> Http1ScratchPool::take() {
  if (free_.empty()) {
    return std::make_unique<Http1Scratch>();
  }
  auto s = std::move(free_.back());
  free_.pop_back();
  return s;
}

void Http1ScratchPool::give(std::unique_ptr<Http1Scratch> s) {
  if (!s || free_.size() >= kMaxFree) {
    return;
  }
  s->ex.clear();
  // Per-connection facts must not outlive the connection in a shared pool.
  s->ex.request.tlsInfo.reset();
  s->ex.request.remoteIp.clear();
  if (s->out.capacity() > kMaxKeptBytes) {
    std::string().swap(s->out);
  }
  if (s->ex.response.body.capacity() > kMaxKeptBytes) {
    std::string().swap(s->ex.response.body);
  }
  s->out.clear();
  s->url.clear();
  free_.push_back(std::move(s));
}

}  // namespace gatehouse::http
