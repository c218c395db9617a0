// A ProxyCall after a 101: bytes pass both ways as they come, each side's EOF is passed
// on as a half-close, and the tunnel closes once both sides have ended.
#include "proxy/proxy_call.h"

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

void ProxyCall::onClientDrained() {
  if (conn_ && !upstreamEof_) {
    conn_->resumeReading();
  }
}

void ProxyCall::onClientClosed() {
  clientGone_ = true;
  arm(Timer::None, {});
}

}  // namespace gatehouse::proxy
