// Http2Session: server push. A handler (Caddy's `push`) promises a request on the stream it
// serves; the promised request then runs through the same handler chain as a stream of its
// own, as Go's http2 server runs a pushed request through the server's handler.
#include <vector>

#include "http/h2_push_promise.h"
#include "http/http2_session.h"

namespace gatehouse::http {

bool Http2Session::pushAllowed(const H2Stream& parent) const {
  // Go refuses a push from a pushed stream (ErrRecursivePush), once the client disabled
  // push (SETTINGS_ENABLE_PUSH=0), and on a stream that is over.
  if (closed_ || !session_ || shuttingDown_ || parent.pushed || parent.closed || parent.outbound.ended) {
    return false;
  }
  if (nghttp2_session_get_remote_settings(session_.get(), NGHTTP2_SETTINGS_ENABLE_PUSH) == 0) {
    return false;
  }
  // As Go: no more pushed streams at once than the client's SETTINGS_MAX_CONCURRENT_STREAMS
  // (nghttp2 would queue the extra ones instead of refusing them).
  uint32_t open = 0;
  for (const auto& s : streams_) {
    if (s->pushed && !s->closed) {
      ++open;
    }
  }
  return open < nghttp2_session_get_remote_settings(session_.get(), NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

bool Http2Session::streamPush(H2Stream& parent, std::string_view method, std::string_view target,
                              const runtime::HeaderList& headers) {
  if (!pushAllowed(parent)) {
    return false;
  }
  const auto& req = parent.ex.request;
  PushFields fields;
  const PushPromiseInput in{method, target, req.tls ? "https" : "http", req.host, &headers};
  if (!buildPushPromise(in, fields).empty()) {
    return false;
  }
  std::vector<nghttp2_nv> nv;
  nv.reserve(fields.size());
  for (auto& [name, value] : fields) {
    nv.push_back({reinterpret_cast<uint8_t*>(name.data()), reinterpret_cast<uint8_t*>(value.data()),
                  name.size(), value.size(), NGHTTP2_NV_FLAG_NONE});  // nghttp2 copies them
  }
  const int32_t id = nghttp2_submit_push_promise(session_.get(), NGHTTP2_FLAG_NONE, parent.id, nv.data(),
                                                 nv.size(), nullptr);
  if (id < 0) {
    return false;
  }
  std::unique_ptr<H2Stream> stream = newStream(id);
  for (const auto& [name, value] : fields) {
    stream->head.add(name, value);
  }
  stream->pushed = true;
  stream->bodyless = true;  // a promised request has no body
  stream->inbound.eof = true;
  streams_.insert(std::move(stream));
  // Runs after the parent's handler returns (never inside it): at the end of this read, or
  // on the next loop iteration when the push came from a resumed handler.
  toPush_.push_back(id);
  deferred_.schedule(transport_.loop());
  return true;
}

void Http2Session::dispatchPushed() {
  // A pushed request cannot push, so this never grows while it runs; still index-based.
  for (size_t i = 0; i < toPush_.size(); ++i) {
    if (H2Stream* s = find(toPush_[i]); s != nullptr && !s->closed && s->phase == H2Stream::Phase::Head) {
      dispatch(*s);
    }
  }
  toPush_.clear();
}

}  // namespace gatehouse::http
