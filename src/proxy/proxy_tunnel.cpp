// A ProxyCall after a 101: bytes pass both ways as they come, each side's EOF is passed
// on as a half-close, and the tunnel closes once both sides have ended.
#include "proxy/proxy_call.h"

#include "router/placeholders.h"

namespace gatehouse::proxy {

void ProxyCall::onUpstreamTunnelData(std::string_view data) {
  ex_.host->tunnelWrite(data);
}

void ProxyCall::onUpstreamTunnelEof() {
  upstreamEof_ = true;
  ex_.host->tunnelShutdownWrite();
  if (clientEof_) {
    ex_.host->tunnelClose();
  }
}

void ProxyCall::onClientData(std::string_view data) {
  if (conn_) {
    conn_->write(data);  // onUpstreamWritten resumes client reading
  }
}

void ProxyCall::onClientEof() {
  clientEof_ = true;
  if (conn_) {
    conn_->shutdownWrite();
  }
  if (upstreamEof_) {
    ex_.host->tunnelClose();
  }
}

// Once the 101 is out, the head's placeholders ({http.reverse_proxy.*}, read by header_down,
// handle_response and deferred `header` ops) have served; the exchange's field lists stay
// for the access log, trimmed to their size.
void ProxyCall::trimExchange() {
  trimmed_ = true;
  auto& caps = ex_.captures;
  std::erase_if(caps, [](const auto& c) { return c.first.starts_with(router::kProxyCapturePrefix); });
  caps.shrink_to_fit();
  ex_.request.headers = runtime::HeaderList(ex_.request.headers);
  ex_.response.headers = runtime::HeaderList(ex_.response.headers);
}

void ProxyCall::onClientDrained() {
  if (!trimmed_) {
    trimExchange();
  }
  if (conn_ && !upstreamEof_) {
    conn_->resumeReading();
  }
}

void ProxyCall::onClientClosed() {
  clientGone_ = true;
  arm(Timer::None, {});
}

}  // namespace gatehouse::proxy
