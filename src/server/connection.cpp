#include "server/connection.h"

#include <algorithm>
#include <string>

#include "http/session_factory.h"
#include "server/peer_address.h"

// Connection's lifecycle: accepting, handing bytes to the session (parking an idle
// HTTP/1.1 one and making it again), stop and reload, and closing. Writing, TLS and timers
// are in connection_write.cpp, connection_tls.cpp and connection_timer.cpp.

namespace gatehouse::server {

namespace {
// After our final response we half-close and read for a moment before closing, so the
// client sees the response instead of a reset caused by its unread bytes (Go's
// closeWriteAndWait does the same).
constexpr std::chrono::milliseconds kLinger{1000};
// A connection that has not sent its first request when a stop or reload begins gets this
// long to send it (Go's Shutdown gives new connections 5 s before treating them as idle),
// so a client that connected just before a reload is served instead of dropped.
constexpr std::chrono::milliseconds kNewConnectionGrace{5000};
}  // namespace

Connection::Connection(ConnectionOwner& owner, std::shared_ptr<Generation> generation,
                       const provision::ServerRuntime& server, http::RequestHandler& router)
    : owner_(owner),
      generation_(std::move(generation)),
      server_(server),
      liveServer_(&server),
      router_(router) {
  uv_tcp_init(owner_.loop(), &tcp_);
  uv_timer_init(owner_.loop(), &timer_);
  tcp_.data = this;
  timer_.data = this;
  openHandles_ = 2;
}

bool Connection::accept(uv_stream_t* listener) {
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&tcp_)) != 0) {
    closeHandles();
    return false;
  }
  sockaddr_storage peer{};
  sockaddr_storage local{};
  int len = sizeof(peer);
  // A unix listener's connections ride in a uv_tcp_t too: libuv's stream code on Unix does
  // not care about the address family, only the TCP socket options below would fail.
  uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&peer), &len);
  len = sizeof(local);
  uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&local), &len);
  const bool unixPeer = local.ss_family == AF_UNIX;
  if (!unixPeer) {
    uv_tcp_nodelay(&tcp_, 1);
    if (server_.keepaliveInterval.count() > 0) {
      uv_tcp_keepalive(&tcp_, 1,
                       static_cast<unsigned>(std::max<int64_t>(1, server_.keepaliveInterval.count() / 1000)));
    }
  }
  uint16_t localPort = 0;
  peer_.remoteIp = ipString(peer, peer_.remotePort);
  // Without a local IP, a TLS client without SNI finds no certificate by address.
  std::string localIp = unixPeer ? std::string() : ipString(local, localPort);
  peer_.localPort = localPort;
  if (server_.tls) {
    tls_ = std::make_unique<tls::TlsStream>(*server_.tls, std::move(localIp));
    if (!tls_->valid()) {
      closeHandles();
      return false;
    }
  } else {
    session_ = http::makeSession("", *this, router_, owner_.dates(),
                                 http::SessionLimits{server_.maxHeaderBytes}, server_);
    session_->setPeer(peer_);
  }
  if (server_.httpRedirect) {
    redirect_ = std::make_unique<HttpRedirectSniffer>(server_.maxHeaderBytes);
  }
  // The TLS handshake counts against the header timeout, as in Go's server.
  setPhase(Phase::ReadingHeaders);
  resumeReading();
  return true;
}

void Connection::shutdown() {
  if (handlesClosing_ || lingering_) {
    return;
  }
  if (!gotRequestBytes_) {
    shutdownRequested_ = true;
    armTimer(kNewConnectionGrace);
    return;
  }
  if (parked_) {
    close(false);  // idle between requests: what an idle session's shutdown does
    return;
  }
  session_->shutdown();
}

void Connection::reloaded(const provision::ServerRuntime* next) {
  if (session_ && liveServer_ != nullptr) {
    session_->forEachExchange([&](runtime::Exchange& ex) {
      if (ex.pending && (next == nullptr || !next->routes.anyRouteMatches(ex))) {
        ex.pending->siteRemoved();
      }
    });
  }
  liveServer_ = next;
  shutdown();
}

void Connection::deliver(const char* data, size_t len) {
  if (parked_) {
    reviveSession();
  }
  session_->onData(data, len);
  if (!gotRequestBytes_) {
    gotRequestBytes_ = true;
    if (shutdownRequested_ && !handlesClosing_ && session_) {
      session_->shutdown();  // serve this first request, then close
    }
  }
}

void Connection::parkIfDormant() {
  if (!session_ || handlesClosing_ || lingering_ || !session_->dormant()) {
    return;
  }
  session_.reset();
  parked_ = true;
  if (!writing_ && !shutdownSent_) {
    io_.reset();
  }
}

void Connection::reviveSession() {
  parked_ = false;
  // Only an HTTP/1.1 session is ever dormant, so the new one is HTTP/1.1 again.
  session_ = std::make_unique<http::Http1Session>(*this, router_, owner_.dates(),
                                                  http::SessionLimits{server_.maxHeaderBytes});
  session_->setPeer(peer_);
}

void Connection::sessionEof() {
  if (parked_) {
    close(false);  // what an idle session does on EOF
    return;
  }
  session_->onEof();
}

void Connection::onAlloc(uv_handle_t* h, size_t /*suggested*/, uv_buf_t* buf) {
  *buf = static_cast<Connection*>(h->data)->owner_.readBuffer();
}

void Connection::onRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(s->data);
  if (self->handlesClosing_) {
    return;
  }
  if (self->lingering_) {
    if (n < 0) {
      self->closeHandles();
    }
    return;  // discard what the client still sends
  }
  if (n > 0) {
    if (self->redirect_) {
      self->sniffRedirect(buf->base, static_cast<size_t>(n));
    } else if (self->tls_) {
      self->onCipher(buf->base, static_cast<size_t>(n));
    } else {
      self->deliver(buf->base, static_cast<size_t>(n));
    }
  } else if (n == UV_EOF) {
    self->peerEof_ = true;
    if (self->session_ || self->parked_) {
      self->sessionEof();  // also without close_notify: Go treats truncation as EOF
    } else {
      self->closeHandles();
    }
  } else if (n < 0) {
    self->closeHandles();
  }
}

void Connection::sniffRedirect(const char* data, size_t len) {
  switch (redirect_->feed(std::string_view(data, len))) {
    case HttpRedirectSniffer::Verdict::NeedMore:
      return;
    case HttpRedirectSniffer::Verdict::Redirect: {
      std::string reply = redirect_->response();
      redirect_.reset();
      sendRaw(reply);
      close(false);
      return;
    }
    case HttpRedirectSniffer::Verdict::Close:
      redirect_.reset();
      close(false);
      return;
    case HttpRedirectSniffer::Verdict::PassThrough:
      break;
  }
  const std::string first = redirect_->buffered();
  redirect_.reset();
  if (tls_) {
    gotCipher_ = true;  // as behind Caddy's wrapper: no "HTTP request to an HTTPS server" answer
    onCipher(first.data(), first.size());
  } else {
    deliver(first.data(), first.size());
  }
}

void Connection::pauseReading() {
  if (reading_ && !handlesClosing_) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    reading_ = false;
  }
}

void Connection::resumeReading() {
  if (!reading_ && !handlesClosing_) {
    if (uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), &Connection::onAlloc, &Connection::onRead) ==
        0) {
      reading_ = true;
    }
  }
}

void Connection::close(bool abort) {
  if (handlesClosing_ || lingering_) {
    return;
  }
  if (abort) {
    closeHandles();
    return;
  }
  if (tls_) {
    tls_->closeNotify();  // once; nothing after a fatal error
    flushTls();
    if (handlesClosing_) {
      return;
    }
  }
  if (writing_) {
    closeAfterWrite_ = true;
    return;
  }
  // Half-close, then drain input briefly (see kLinger).
  lingering_ = true;
  parkDue_ = 0;
  if (!startShutdown()) {
    return;
  }
  resumeReading();
  armTimer(kLinger);
}

bool Connection::sessionReplaceable() const {
  return session_ && !retired_ && !parked_ && !handlesClosing_ && !lingering_;
}

void Connection::replaceSession(std::unique_ptr<http::Session> next) {
  retired_ = std::move(session_);
  session_ = std::move(next);
  const uint64_t now = uv_now(owner_.loop());
  uv_timer_start(&timer_, &Connection::onTimer, 0, 0);
  timerArmed_ = true;
  timerDue_ = now;
}

void Connection::closeHandles() {
  if (handlesClosing_) {
    return;
  }
  handlesClosing_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &Connection::onClose);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), &Connection::onClose);
}

void Connection::onClose(uv_handle_t* h) {
  auto* self = static_cast<Connection*>(h->data);
  if (--self->openHandles_ == 0) {
    self->owner_.onConnectionClosed(*self);  // destroys *self
  }
}

}  // namespace gatehouse::server
