// A ProxyCall after a 101: bytes pass both ways as they come, each side's EOF is passed
// on as a half-close, and the tunnel closes once both sides have ended.
#include <unistd.h>

#include "proxy/proxy_call.h"
#include "proxy/tunnel_relay.h"
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

// The 101 (on HTTP/2: the 200 to an extended CONNECT) is out: the upstream socket (with
// its TLS, for an https:// upstream) goes to a TunnelRelay, which takes the client
// connection (or the client's HTTP/2 stream) over, and this call, the exchange and the
// session (or stream state) are freed (what the access log and metrics record at the
// tunnel's end goes with the relay, packed). Kept as it is (trimmed) when the host cannot
// hand over, or for an HTTP/2 upstream.
bool ProxyCall::relayTunnel() {
  // read_timeout / write_timeout stay with the upstream connection, which enforces them
  // (as Caddy 2.6.2 closes a tunnel whose upstream is silent for read_timeout).
  const bool deadlines =
      config_.transport.readTimeout.count() > 0 || config_.transport.writeTimeout.count() > 0;
  if (!conn_ || !conn_->relayable() || !conn_->drained() || h2Mode_ || closing_ || deadlines ||
      upstreamEof_ || clientEof_ || clientGone_) {
    return false;
  }
  bool released = false;
  // The head's placeholders have served (see trimExchange): a relay that records the
  // exchange at its end need not keep them.
  std::erase_if(ex_.captures, [](const auto& c) { return c.first.starts_with(router::kProxyCapturePrefix); });
  const bool handed =
      ex_.host->handOverTunnel([&](http::Transport& client) -> std::unique_ptr<http::Session> {
        TunnelRelay::Setup setup;
        setup.pool = &pool_;
        setup.upstream = upstream_;
        setup.unix = target_ != nullptr && target_->unix;
        if (timerKind_ == Timer::Stream && timer_) {
          setup.timeout = std::chrono::milliseconds(std::max<uint64_t>(uv_timer_get_due_in(timer_.get()), 1));
        }
        setup.closeDelay = config_.streamCloseDelay;
        setup.clientStream = ex_.request.versionMajor == 2;
        setup.request = PackedRequest(ex_.request);
        setup.permit = conn_->takePermit();  // (empty: an upgraded connection no longer counts)
        std::string early;
        const uv_os_fd_t fd = conn_->releaseSocket(early, setup.tls);
        released = true;
        if (fd < 0) {
          return nullptr;
        }
        // The relay holds the upstream's active count and the pool slot now.
        setup.counted = std::exchange(active_, false);
        setup.slot = slot_;
        setup.holdsSlot = std::exchange(holdsSlot_, false);
        setup.hosts = std::move(dynamicHosts_);
        auto relay = std::make_unique<TunnelRelay>(client, std::move(setup));
        if (!relay->open(fd, std::move(early))) {
          ::close(fd);
          return nullptr;
        }
        return relay;
      });
  if (!handed && !released) {
    return false;
  }
  conn_.reset();
  arm(Timer::None, {});
  if (handed) {
    trimmed_ = true;
    clientGone_ = true;  // the session that hosted this call is retired: no more calls to it
  } else {
    ex_.host->tunnelClose();  // the socket could not be adopted
  }
  return true;
}

void ProxyCall::onClientDrained() {
  if (!trimmed_) {
    if (relayTunnel()) {
      return;
    }
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
