#include "proxy/upstream_connection.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "proxy/tcp_keepalive.h"
#include "proxy/upstream_head_repair.h"
#include "server/server_group.h"

namespace gatehouse::proxy {

// The stream handle and every request on it live together on the heap: libuv calls a
// cancelled write's callback before the close callback, so they must outlive the
// UpstreamConnection that started them. `owner` is cleared when it goes.
struct UpstreamConnection::Box {
  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } stream{};
  uv_connect_t connectReq{};
  uv_write_t writeReq{};
  uv_shutdown_t shutdownReq{};
  std::string inflight;
  UpstreamConnection* owner = nullptr;

  uv_stream_t* s() { return reinterpret_cast<uv_stream_t*>(&stream); }
  uv_handle_t* h() { return reinterpret_cast<uv_handle_t*>(&stream); }
};

UpstreamConnection::UpstreamConnection(uv_loop_t* loop, const UpstreamAddress& address, size_t upstreamIndex,
                                       uv_buf_t readBuffer, size_t maxHeaderBytes)
    : loop_(loop), upstreamIndex_(upstreamIndex), readBuffer_(readBuffer), maxHeaderBytes_(maxHeaderBytes) {
  auto box = std::make_unique<Box>();
  box->owner = this;
  if (address.unix) {
    uv_pipe_init(loop_, &box->stream.pipe, 0);
  } else {
    uv_tcp_init(loop_, &box->stream.tcp);
  }
  box->h()->data = box.get();
  box_ = box.release();
}

UpstreamConnection::~UpstreamConnection() {
  die();
}

void UpstreamConnection::die() {
  dead_ = true;
  race_.reset();
  permit_.reset();  // a closed connection no longer counts (Go's decConnsPerHost)
  if (box_ == nullptr) {
    return;
  }
  deadlineTimer_.reset();
  box_->owner = nullptr;
  uv_close(box_->h(), [](uv_handle_t* h) { std::unique_ptr<Box> dead(static_cast<Box*>(h->data)); });
  box_ = nullptr;
}

int UpstreamConnection::connect(Listener& listener, const UpstreamAddress& address,
                                const DialOptions& options) {
  listener_ = &listener;
  box_->connectReq.data = box_;
  unix_ = address.unix;
  options_ = options;
  dial_ = address.dial;
  host_ = address.host;
  if (address.unix) {
    uv_pipe_connect(&box_->connectReq, &box_->stream.pipe, address.path.c_str(),
                    &UpstreamConnection::onConnect);
    return 0;
  }
  if (address.unsuitableAddress()) {
    dead_ = true;
    return UV_EAI_ADDRFAMILY;  // tcp4/ with an IPv6 address, or the reverse
  }
  if (!address.alternates.empty()) {
    return startRace(address, options);  // a name with several addresses
  }
  int rc = 0;
  if (options.localAddress != nullptr) {
    rc = uv_tcp_bind(&box_->stream.tcp, reinterpret_cast<const sockaddr*>(options.localAddress), 0);
    if (rc != 0) {
      dead_ = true;
      return rc;
    }
  }
  rc = uv_tcp_connect(&box_->connectReq, &box_->stream.tcp, reinterpret_cast<const sockaddr*>(&address.addr),
                      &UpstreamConnection::onConnect);
  if (rc != 0) {
    dead_ = true;
  }
  return rc;
}

void UpstreamConnection::attach(Listener& listener) {
  listener_ = &listener;
  if (box_ != nullptr) {
    uv_ref(box_->h());
  }
}

void UpstreamConnection::park() {
  listener_ = nullptr;
  idleSince_ = uv_now(loop_);
  if (box_ == nullptr) {
    return;
  }
  // An idle connection must not keep a stopping worker's loop alive.
  uv_unref(box_->h());
  resumeReading();
}

void UpstreamConnection::onConnect(uv_connect_t* req, int status) {
  auto* box = static_cast<Box*>(req->data);
  UpstreamConnection* self = box->owner;
  if (self == nullptr) {
    return;
  }
  if (status < 0) {
    self->fail(status);
    return;
  }
  self->onTransportConnected();
}

void UpstreamConnection::onTransportConnected() {
  connected_ = true;
  if (!unix_) {
    uv_tcp_nodelay(&box_->stream.tcp, 1);
    uv_os_fd_t fd = -1;
    if (uv_fileno(box_->h(), &fd) == 0) {
      setTcpKeepAlive(fd, options_.keepAliveProbe);  // best effort, as Go ignores its error
    }
  }
  if (!options_.proxyHeader.empty()) {
    queued_.append(options_.proxyHeader);  // first on the wire, before TLS
    startWrite();
    if (dead_) {
      return;
    }
  }
  if (options_.tls != nullptr) {
    startTls();  // reports connected once the handshake is done
    return;
  }
  reportConnected();
}

int UpstreamConnection::startRace(const UpstreamAddress& address, const DialOptions& options) {
  AddressList all;
  all.reserve(1 + address.alternates.size());
  all.push_back(address.addr);
  all.insert(all.end(), address.alternates.begin(), address.alternates.end());
  const DialRace::Settings settings{options.fallbackDelay, options.dialTimeout, options.localAddress};
  race_ =
      std::make_unique<DialRace>(loop_, std::move(all), settings,
                                 [this](int status, uv_os_sock_t socket, const sockaddr_storage& /*winner*/) {
                                   onRaceDone(status, socket);
                                 });
  const int rc = race_->start();
  if (rc != 0) {
    race_.reset();
    dead_ = true;
  }
  return rc;
}

void UpstreamConnection::onRaceDone(int status, uv_os_sock_t socket) {
  race_.reset();  // it touches nothing after calling back
  if (status == 0 && box_ != nullptr) {
    status = uv_tcp_open(&box_->stream.tcp, socket);
    if (status != 0) {
      ::close(socket);
    }
  } else if (status == 0) {
    ::close(socket);
    status = UV_ECANCELED;
  }
  if (status < 0) {
    fail(status);
    return;
  }
  onTransportConnected();
}

void UpstreamConnection::reportConnected() {
  reported_ = true;
  if (listener_ != nullptr) {
    listener_->onUpstreamConnected();
  }
}

void UpstreamConnection::expectResponse(bool headRequest, bool decodeGzip) {
  decodeGzip_ = decodeGzip;
  gunzip_.reset();
  gzStash_.clear();
  gzEndPending_ = false;
  headBytes_.clear();
  inHead_ = true;
  interimsSeen_ = 0;
  interimsToSkip_ = 0;
  startParser();
  headRequest_ = headRequest;
  awaiting_ = true;
  answerStarted_ = false;
  responseDone_ = false;
  keepAlive_ = false;
  resumeReading();
  // A reused connection has been reading since its last response: the new request's
  // read_timeout counts from now (Go's pending read would keep the older deadline and give
  // a connection idle for most of read_timeout only the rest of it).
  readSince_ = uv_now(loop_);
}

void UpstreamConnection::startParser() {
  llhttp_init(&parser_, HTTP_RESPONSE, &settings());
  // As Go's transport (RFC 9112 6.3): a response with both Transfer-Encoding: chunked and
  // Content-Length is read chunked, the length dropped (onHeadersComplete).
  llhttp_set_lenient_chunked_length(&parser_, 1);
  // As Go's transport, control bytes in an upstream's field values (and a bare LF ending a
  // line) are read, not refused with the whole answer; a NUL still fails it (onHeadersComplete).
  llhttp_set_lenient_headers(&parser_, 1);
  // An HTTP/1.0 answer may follow its own 1xx ("HTTP/1.0 100 Continue"): llhttp would refuse
  // any byte after a message that does not keep the connection. Reuse still follows
  // llhttp_should_keep_alive.
  llhttp_set_lenient_keep_alive(&parser_, 1);
  parser_.data = this;
}

void UpstreamConnection::write(std::string_view bytes, bool tellWhenWritten) {
  if (dead_ || bytes.empty()) {
    return;
  }
  if (!tls_ && !tellWhenWritten && !writing_ && queued_.empty() && box_ != nullptr && connected_) {
    uv_buf_t b = uv_buf_init(const_cast<char*>(bytes.data()), static_cast<unsigned>(bytes.size()));
    const int n = uv_try_write(box_->s(), &b, 1);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));  // an error is left to uv_write to report
    }
    if (bytes.empty()) {
      return;
    }
  }
  if (tls_) {
    if (!tls_->write(bytes)) {
      failure_ = "TLS write: " + tls_->error();
      fail(UV_EPROTO);
      return;
    }
    tls_->takeOutput(queued_);
  } else {
    queued_.append(bytes);
  }
  if (!writing_) {
    startWrite();
  }
}

void UpstreamConnection::startWrite() {
  if (queued_.empty() || box_ == nullptr) {
    return;
  }
  box_->inflight.swap(queued_);
  queued_.clear();
  box_->writeReq.data = box_;
  uv_buf_t b = uv_buf_init(box_->inflight.data(), static_cast<unsigned>(box_->inflight.size()));
  writing_ = true;
  writeSince_ = uv_now(loop_);
  armDeadlines();
  const int rc = uv_write(&box_->writeReq, box_->s(), &b, 1, &UpstreamConnection::onWrite);
  if (rc != 0) {
    writing_ = false;
    fail(rc);
  }
}

void UpstreamConnection::onWrite(uv_write_t* req, int status) {
  auto* box = static_cast<Box*>(req->data);
  box->inflight.clear();
  UpstreamConnection* self = box->owner;
  if (self == nullptr) {
    return;
  }
  self->writing_ = false;
  if (self->dead_) {
    // It failed while this write was in flight (the upstream hung up and the read saw it
    // first) and told its listener so: that listener may already be on its next attempt,
    // and a late "written" (or a second error) from here would drive that attempt instead.
    return;
  }
  if (status < 0) {
    self->fail(status);
    return;
  }
  if (!self->queued_.empty()) {
    self->startWrite();
    return;
  }
  if (self->writeShut_) {
    uv_shutdown(&box->shutdownReq, box->s(), [](uv_shutdown_t*, int) {});
  }
  // Handshake flights are the connection's own business, not the listener's.
  if (self->listener_ != nullptr && self->reported_) {
    self->listener_->onUpstreamWritten();
  }
}

bool UpstreamConnection::drained() const {
  return !writing_ && queued_.empty();
}

void UpstreamConnection::shutdownWrite() {
  if (dead_ || writeShut_ || box_ == nullptr) {
    return;
  }
  writeShut_ = true;
  if (tls_) {
    tls_->closeNotify();  // TLS's own half-close, then TCP's
    tls_->takeOutput(queued_);
    if (!writing_ && !queued_.empty()) {
      startWrite();
      return;  // onWrite shuts down once it is out
    }
  }
  if (!writing_) {
    uv_shutdown(&box_->shutdownReq, box_->s(), [](uv_shutdown_t*, int) {});
  }
}

void UpstreamConnection::pauseReading() {
  pauseAsked_ = true;
  if (reading_ && box_ != nullptr) {
    uv_read_stop(box_->s());
    reading_ = false;
  }
}

void UpstreamConnection::resumeReading() {
  pauseAsked_ = false;
  if (dead_ || box_ == nullptr) {
    return;
  }
  if (gunzip_ && (!gzStash_.empty() || gunzip_->moreOutput())) {
    std::string stash = std::move(gzStash_);
    gzStash_.clear();
    inflateBody(stash);
    if (dead_ || !gzStash_.empty() || gunzip_->moreOutput()) {
      return;  // the listener is full again, or the response broke
    }
    if (gzEndPending_) {
      finishInflatedEnd();
      if (dead_) {
        return;
      }
    }
  }
  if (tunnel_ && !leftover_.empty() && listener_ != nullptr) {
    std::string data = std::move(leftover_);
    leftover_.clear();
    listener_->onUpstreamTunnelData(data);
    return;  // the listener resumes again once it has passed these on
  }
  if (!reading_ && connected_ && (reported_ || tls_)) {
    if (uv_read_start(box_->s(), &UpstreamConnection::onAlloc, &UpstreamConnection::onRead) == 0) {
      reading_ = true;
      readSince_ = uv_now(loop_);
      armDeadlines();
    }
  }
}

void UpstreamConnection::startTunnel() {
  tunnel_ = true;
  // A tunnel may idle for hours: the head's fields (already moved out) and reason, and
  // what only the HTTP exchange needed, give back their memory now. Status and upgrade
  // stay: the parser's message-complete callback, still to come for this read, reads them.
  head_.headers = runtime::HeaderList();
  std::string().swap(head_.reason);
  std::string().swap(gzStash_);
  gunzip_.reset();
  if (!writing_ && box_ != nullptr) {
    std::string().swap(box_->inflight);  // the request head's buffer
    std::string().swap(queued_);
  }
}

uv_os_fd_t UpstreamConnection::releaseSocket(std::string& early, std::unique_ptr<UpstreamTlsStream>& tls) {
  uv_os_fd_t fd = -1;
  if (dead_ || box_ == nullptr || uv_fileno(box_->h(), &fd) != 0) {
    return -1;
  }
  const uv_os_fd_t copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) {
    return -1;
  }
  early = std::move(leftover_);
  leftover_.clear();
  tls = std::move(tls_);
  listener_ = nullptr;
  die();
  return copy;
}

bool UpstreamConnection::socketNames(sockaddr_storage& local, sockaddr_storage& peer) const {
  if (box_ == nullptr || unix_) {
    return false;
  }
  int len = sizeof(local);
  if (uv_tcp_getsockname(&box_->stream.tcp, reinterpret_cast<sockaddr*>(&local), &len) != 0) {
    return false;
  }
  len = sizeof(peer);
  return uv_tcp_getpeername(&box_->stream.tcp, reinterpret_cast<sockaddr*>(&peer), &len) == 0;
}

void UpstreamConnection::startFrames() {
  tunnel_ = true;
  frames_ = true;
}

void UpstreamConnection::holdLoop(bool hold) {
  if (box_ != nullptr) {
    hold ? uv_ref(box_->h()) : uv_unref(box_->h());
  }
}

std::string_view UpstreamConnection::alpn() const {
  return tls_ ? std::string_view(tls_->alpn()) : std::string_view();
}

bool UpstreamConnection::reusable() const {
  return !dead_ && connected_ && responseDone_ && keepAlive_ && !tunnel_ && !writeShut_ && drained() &&
         leftover_.empty();
}

void UpstreamConnection::onAlloc(uv_handle_t* h, size_t /*suggested*/, uv_buf_t* buf) {
  auto* box = static_cast<Box*>(h->data);
  if (box->owner == nullptr) {
    buf->base = nullptr;
    buf->len = 0;
    return;
  }
  *buf = box->owner->readBuffer_;
}

void UpstreamConnection::onRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* box = static_cast<Box*>(s->data);
  UpstreamConnection* self = box->owner;
  if (self == nullptr || n == 0) {
    return;
  }
  self->readSince_ = uv_now(self->loop_);  // read_timeout counts from the last bytes
  if (self->tls_ && n > 0) {
    self->onCipher(buf->base, static_cast<size_t>(n));  // parked: TLS may carry session tickets
    return;
  }
  if (self->listener_ == nullptr) {
    self->die();  // parked: the upstream closed it or sent bytes nobody asked for
    return;
  }
  if (n == UV_EOF) {
    self->onReadEof();
    return;
  }
  if (n < 0) {
    self->fail(static_cast<int>(n));
    return;
  }
  self->consume(buf->base, static_cast<size_t>(n));
}

void UpstreamConnection::onReadEof() {
  pauseReading();
  if (eofSeen_) {
    return;
  }
  eofSeen_ = true;
  if (tunnel_) {
    listener_->onUpstreamTunnelEof();
    return;
  }
  if (awaiting_ && !responseDone_ && llhttp_finish(&parser_) == HPE_OK && responseDone_) {
    return;  // a response delimited by the end of the connection
  }
  keepAlive_ = false;
  if (!responseDone_) {
    if (!reported_ && failure_.empty()) {
      failure_ = "connection closed during the TLS handshake";
    }
    fail(UV_EOF);
  }
}

void UpstreamConnection::consume(const char* data, size_t len) {
  answerStarted_ = answerStarted_ || (awaiting_ && len > 0);
  if (tunnel_) {
    if (!frames_) {
      pauseReading();  // the listener resumes once the client took the bytes
    }
    listener_->onUpstreamTunnelData(std::string_view(data, len));
    return;
  }
  if (!awaiting_ || responseDone_) {
    keepAlive_ = false;  // bytes after the response: the connection cannot be trusted
    pauseReading();
    return;
  }
  readStart_ = data;
  const llhttp_errno_t err = llhttp_execute(&parser_, data, len);
  if (dead_ || listener_ == nullptr) {
    return;
  }
  byteBefore_ = len != 0 ? data[len - 1] : byteBefore_;
  if (err == HPE_OK) {
    if (inHead_) {
      headBytes_.append(data, len);  // (rare: a head cut by the end of a read)
    }
    return;
  }
  const char* pos = llhttp_get_error_pos(&parser_);
  const size_t rest = pos == nullptr ? 0 : static_cast<size_t>(data + len - pos);
  if (err == HPE_PAUSED_UPGRADE) {
    leftover_.assign(pos, rest);
    pauseReading();
    return;
  }
  if (err == HPE_PAUSED) {
    // The response is complete. Reading goes on (stopping and restarting it for the pool
    // costs two epoll_ctl calls per request): a later byte or EOF only marks the
    // connection as not reusable (above, onReadEof).
    if (rest != 0) {
      keepAlive_ = false;
      pauseReading();
    }
    return;
  }
  if (inHead_ && (err == HPE_INVALID_HEADER_TOKEN || err == HPE_INVALID_CONTENT_LENGTH) &&
      rereadRepairedHead(data, len)) {
    return;
  }
  if (err == HPE_INVALID_CONTENT_LENGTH && pos != nullptr) {
    noteBadLength(pos, data + len);
  }
  fail(UV_EPROTO);
}

bool UpstreamConnection::rereadRepairedHead(const char* data, size_t len) {
  headBytes_.append(data, len);
  std::string repaired;
  if (!repairHead(headBytes_, headRequest_, repaired)) {
    return false;
  }
  // From the answer's first byte again: the 1xx heads already handed over are read, not
  // handed over twice.
  headBytes_.clear();
  interimsToSkip_ = interimsSeen_;
  failure_.clear();
  failureWorded_ = false;
  byteBefore_ = '\n';
  startParser();
  consume(repaired.data(), repaired.size());
  return true;
}

void UpstreamConnection::fail(int uvError, bool logFailure) {
  if (dead_) {
    return;  // its end was reported once (or its owner closed it): never a second time
  }
  if (logFailure && !failure_.empty()) {
    // Transport failures (TLS) are otherwise invisible to the operator: say why, once.
    server::logLine({{"logger", "http.handlers.reverse_proxy"},
                     {"msg", "upstream transport failed"},
                     {"upstream", dial_},
                     {"error", failure_}},
                    "error");
  }
  Listener* l = listener_;
  keepAlive_ = false;
  pauseReading();
  dead_ = true;
  if (l != nullptr) {
    l->onUpstreamError(uvError);
  }
}

}  // namespace gatehouse::proxy
