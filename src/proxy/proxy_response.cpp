// The response side of a ProxyCall: the upstream's head turned into the client's
// (passive health, replace_status, placeholders, hop-by-hop removal, header_down), and
// the body handed to the session as it pulls, with back-pressure on the upstream.
#include "proxy/proxy_call.h"

#include <algorithm>

#include "http/status.h"

namespace gatehouse::proxy {

using runtime::HeaderList;

namespace {

bool responseHasBody(const std::string& method, int status) {
  return method != "HEAD" && status >= 200 && status != 204 && status != 304;
}

bool statusMatches(const std::vector<int>& list, int status) {
  return std::any_of(list.begin(), list.end(),
                     [&](int c) { return c == status || (c < 10 && status / 100 == c); });
}

// Go's time.Duration.String for a microsecond count ("812µs", "1.234ms", "2.5s").
std::string goDuration(int64_t us) {
  auto trimmed = [](double v, int decimals, const char* unit) {
    std::string s = std::to_string(v);
    s.resize(s.find('.') + 1 + static_cast<size_t>(decimals));
    while (s.back() == '0') {
      s.pop_back();
    }
    if (s.back() == '.') {
      s.pop_back();
    }
    return s + unit;
  };
  if (us < 1000) {
    return std::to_string(us) + "µs";
  }
  if (us < 1'000'000) {
    return trimmed(static_cast<double>(us) / 1e3, 3, "ms");
  }
  return trimmed(static_cast<double>(us) / 1e6, 6, "s");
}

}  // namespace

void ProxyCall::onUpstreamHead(ResponseHead& head) {
  arm(Timer::None, {});
  headSeen_ = true;
  auto& res = ex_.response;
  const auto& ph = config_.passive;
  if (ph.failDuration.count() > 0) {
    const auto latency = std::chrono::steady_clock::now() - sent_;
    if ((!ph.unhealthyStatus.empty() && statusMatches(ph.unhealthyStatus, head.status)) ||
        (ph.unhealthyLatency.count() > 0 && latency >= ph.unhealthyLatency)) {
      pool_.recordFailure(upstream_, ph.failDuration);
    }
  }
  // replace_status: matched on the upstream's own status and fields, before header_down.
  res.status =
      head.upgrade ? head.status : replacedStatus(config_.statusReplacements, head.status, head.headers);
  using std::chrono::duration_cast;
  const auto latency = std::chrono::steady_clock::now() - sent_;
  const auto total = std::chrono::steady_clock::now() - begun_;
  setPlaceholder("upstream.latency", goDuration(duration_cast<std::chrono::microseconds>(latency).count()));
  setPlaceholder("upstream.latency_ms",
                 std::to_string(duration_cast<std::chrono::microseconds>(latency).count() / 1000.0));
  setPlaceholder("upstream.duration", goDuration(duration_cast<std::chrono::microseconds>(total).count()));
  setPlaceholder("upstream.duration_ms",
                 std::to_string(duration_cast<std::chrono::microseconds>(total).count() / 1000.0));
  setPlaceholder("status_code", std::to_string(head.status));
  setPlaceholder("status_text", std::string(http::reasonPhrase(head.status)));
  const bool upgrade = head.upgrade && !ex_.request.upgrade.empty();
  HeaderList h;
  for (auto& f : head.headers) {
    h.emplaceBack(runtime::canonicalHeaderName(f.name), std::move(f.value));
  }
  std::string upgradeTo = upgrade ? std::string(h.get("Upgrade")) : std::string();
  removeHopByHop(h, upgradeTo);
  if (!head.hasLength) {
    h.remove("Content-Length");
  }
  // The upstream's fields are added to those set before the proxy ran (`header` ops), as
  // Go's ReverseProxy adds them to the writer's map. No Via (Caddy 2.6 adds none); our
  // Server field gives way to the upstream's rather than doubling it.
  if (h.has("Server")) {
    res.headers.remove("Server");
  }
  if (!stickyCookie_.empty()) {
    res.headers.emplaceBack("Set-Cookie", std::move(stickyCookie_));  // before the upstream's, as Caddy
  }
  for (auto& f : h) {
    res.headers.emplaceBack(std::move(f.name), std::move(f.value));
  }
  if (config_.responseHeaders) {
    config_.responseHeaders->apply(res.headers, ex_);
  }
  if (upgrade) {
    tunnel_ = true;
    res.tunnel = this;
    conn_->startTunnel();
    arm(Timer::Stream, config_.streamTimeout);
  } else if (responseHasBody(ex_.request.method, head.status)) {
    auto body = std::make_unique<ResponseBody>(*this);
    source_ = body.get();
    res.stream = std::move(body);
    res.streamLength = head.hasLength ? head.length : runtime::Response::kUnknownLength;
  }
  if (!bodyDone_) {
    bodyDone_ = true;  // answered early: the rest of the request is not sent
    conn_->pauseReading();
  }
  ex_.host->resume();
}

void ProxyCall::onUpstreamBody(std::string_view data) {
  buffered_.append(data);
  if (buffered_.size() >= config_.readBuffer) {
    conn_->pauseReading();  // back-pressure: the client is slower than the upstream
  }
  if (sink_ != nullptr) {
    task_.schedule(pool_.loop());
  }
}

void ProxyCall::onUpstreamEnd() {
  ended_ = true;
  if (sink_ != nullptr || source_ == nullptr) {
    task_.schedule(pool_.loop());
  }
}

void ProxyCall::pullResponse(runtime::BodySink& sink) {
  sink_ = &sink;
  if (!buffered_.empty() || ended_ || bodyError_ != 0) {
    task_.schedule(pool_.loop());
  } else if (conn_) {
    conn_->resumeReading();
  }
}

// Hands buffered response bytes to the session, outside every upstream callback.
void ProxyCall::deliver() {
  retired_.reset();
  if (ended_ && conn_ && conn_->reusable() && requestComplete_ && !pulling_) {
    releaseConnection();
  }
  runtime::BodySink* sink = sink_;
  if (sink == nullptr) {
    return;
  }
  if (bodyError_ != 0 && buffered_.empty()) {
    sink_ = nullptr;
    sink->onBodyError(bodyError_);
    return;
  }
  if (buffered_.empty() && !ended_) {
    return;
  }
  sink_ = nullptr;
  piece_.clear();
  piece_.swap(buffered_);
  if (!ended_ && conn_) {
    conn_->resumeReading();
  }
  // Last: the session may pull again from here, or end the exchange.
  sink->onBodyData(piece_, ended_);
}

void ProxyCall::releaseConnection() {
  countActive(false);
  pool_.giveBack(std::move(conn_));
}

}  // namespace gatehouse::proxy
