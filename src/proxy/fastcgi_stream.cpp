#include "proxy/fastcgi_stream.h"

#include "server/server_group.h"

namespace gatehouse::proxy {

namespace {

constexpr uint16_t kRequestId = 1;      // one request per connection, as Caddy's client
constexpr size_t kMaxStderr = 1 << 20;  // captured stderr kept per request (the rest is cut)

}  // namespace

FastCgiStream::FastCgiStream(uv_loop_t* loop, const UpstreamAddress& address, uv_buf_t readBuffer,
                             size_t maxHeadBytes, const FastCgiTransport& transport,
                             UpstreamConnection::Listener& owner)
    : loop_(loop),
      transport_(transport),
      owner_(owner),
      conn_(std::make_unique<UpstreamConnection>(loop, address, 0, readBuffer, maxHeadBytes)),
      headReader_(maxHeadBytes) {
  conn_->startFrames();
}

FastCgiStream::~FastCgiStream() {
  if (!ended_ && !stderr_.empty()) {
    logStderr();
  }
}

template <typename F>
bool FastCgiStream::toOwner(F&& f) {
  std::weak_ptr<char> alive = life_;
  f();
  return !alive.expired();
}

int FastCgiStream::connect(const UpstreamAddress& address, const DialOptions& options) {
  return conn_->connect(*this, address, options);
}

void FastCgiStream::onUpstreamConnected() {
  armDeadline(readDeadline_, transport_.readTimeout);
  armDeadline(writeDeadline_, transport_.writeTimeout);
  conn_->resumeReading();
  owner_.onUpstreamConnected();
}

void FastCgiStream::sendHead(std::string_view params, bool body) {
  out_.clear();
  fcgi::appendBeginRequest(out_, kRequestId, false);
  fcgi::appendStream(out_, fcgi::RecordType::Params, kRequestId, params);
  fcgi::appendStreamEnd(out_, fcgi::RecordType::Params, kRequestId);
  if (!body) {
    fcgi::appendStreamEnd(out_, fcgi::RecordType::Stdin, kRequestId);
    stdinDone_ = true;
  }
  conn_->write(out_);  // onUpstreamWritten: the body is pulled, or the write deadline ends
}

void FastCgiStream::sendStdin(std::string_view data, bool eof) {
  out_.clear();
  fcgi::appendStream(out_, fcgi::RecordType::Stdin, kRequestId, data);
  if (eof) {
    fcgi::appendStreamEnd(out_, fcgi::RecordType::Stdin, kRequestId);
    stdinDone_ = true;
  }
  conn_->write(out_);
}

void FastCgiStream::onUpstreamWritten() {
  if (failed_) {
    // It failed on its own (a bad record, a deadline) while a write was in flight, and its
    // connection is still open: the owner heard the failure and may be on its next attempt
    // already, whose body a late "written" from here would pull before it was connected.
    return;
  }
  if (eofPending_) {
    finishResponse();  // the write went out: the upstream's EOF was a clean one
    return;
  }
  if (stdinDone_ && conn_->drained()) {
    writeDeadline_.reset();  // the whole request went out
  }
  owner_.onUpstreamWritten();
}

void FastCgiStream::pauseReading() {
  conn_->pauseReading();
}

void FastCgiStream::resumeReading() {
  if (!ended_ && !failed_) {
    conn_->resumeReading();
  }
}

void FastCgiStream::onUpstreamError(int uvError) {
  fail(uvError, "");
}

void FastCgiStream::fail(int uvError, std::string why) {
  if (failed_ || ended_) {
    return;
  }
  failed_ = true;
  failure_ = std::move(why);
  readDeadline_.reset();
  writeDeadline_.reset();
  conn_->pauseReading();
  owner_.onUpstreamError(uvError);
}

void FastCgiStream::onUpstreamTunnelData(std::string_view data) {
  if (ended_ || failed_) {
    return;
  }
  if (reader_.feed(data, *this) == fcgi::RecordReader::Result::BadVersion) {
    fail(UV_EPROTO, "fcgi: invalid header version");
  }
}

// Go's record reader takes an EOF as the end of the response, wherever it comes.
void FastCgiStream::onUpstreamTunnelEof() {
  if (ended_ || failed_ || eofPending_) {
    return;
  }
  if (!conn_->drained()) {
    // A write is in flight. When the upstream reset the connection and that write took the
    // error, the read sees a clean EOF: the write's outcome decides (Go's client writes the
    // whole request before it reads, so there the reset is an error and may be retried).
    eofPending_ = true;
    return;
  }
  finishResponse();
}

bool FastCgiStream::onRecordContent(fcgi::RecordType t, uint16_t /*requestId*/, std::string_view piece) {
  if (t == fcgi::RecordType::Stdout) {
    return takeStdout(piece);
  }
  if (t == fcgi::RecordType::Stderr && transport_.captureStderr && stderr_.size() < kMaxStderr) {
    stderr_.append(piece.substr(0, kMaxStderr - stderr_.size()));
  }
  return true;
}

bool FastCgiStream::onRecordEnd(fcgi::RecordType t, uint16_t /*requestId*/) {
  if (t == fcgi::RecordType::EndRequest) {
    finishResponse();
    return false;  // nothing after END_REQUEST belongs to this request
  }
  return true;
}

bool FastCgiStream::takeStdout(std::string_view piece) {
  if (headDone_) {
    return toOwner([&] { owner_.onUpstreamBody(piece); });
  }
  std::string_view rest;
  switch (headReader_.feed(piece, rest, head_)) {
    case CgiHeadReader::State::More:
      return true;
    case CgiHeadReader::State::Error:
      fail(UV_EPROTO, headReader_.error());
      return false;
    case CgiHeadReader::State::Done:
      break;
  }
  headDone_ = true;
  if (!toOwner([&] { owner_.onUpstreamHead(head_); })) {
    return false;
  }
  if (rest.empty() || failed_) {
    return !failed_;
  }
  return toOwner([&] { owner_.onUpstreamBody(rest); });
}

bool FastCgiStream::finishResponse() {
  readDeadline_.reset();
  writeDeadline_.reset();
  conn_->pauseReading();
  if (!headDone_) {
    if (headReader_.finish(head_) == CgiHeadReader::State::Error) {
      fail(UV_EPROTO, headReader_.error());
      return false;
    }
    headDone_ = true;
    if (!toOwner([&] { owner_.onUpstreamHead(head_); })) {
      return false;
    }
    if (failed_) {
      return false;
    }
  }
  ended_ = true;
  // php-fpm, after END_REQUEST, shuts down its side and reads until this side closes: the
  // worker is not free for the next request before then.
  conn_->shutdownWrite();
  logStderr();
  return toOwner([&] { owner_.onUpstreamEnd(); });
}

// As Caddy: what the application wrote to stderr, logged once the response is over, at
// error level for a 4xx/5xx response, else as a warning.
void FastCgiStream::logStderr() {
  if (stderr_.empty()) {
    return;
  }
  server::logLine({{"logger", "http.reverse_proxy.transport.fastcgi"}, {"msg", "stderr"}, {"body", stderr_}},
                  head_.status >= 400 ? "error" : "warn");
  stderr_.clear();
}

void FastCgiStream::armDeadline(UvHandle<uv_timer_t>& timer, std::chrono::milliseconds after) {
  if (after.count() <= 0) {
    return;
  }
  uv_timer_init(loop_, timer.create());
  timer.get()->data = this;
  uv_timer_start(timer.get(), &FastCgiStream::onDeadline, static_cast<uint64_t>(after.count()), 0);
}

void FastCgiStream::onDeadline(uv_timer_t* t) {
  auto* self = static_cast<FastCgiStream*>(t->data);
  if (self == nullptr) {
    return;
  }
  const bool reading = t == self->readDeadline_.get();
  self->fail(UV_ETIMEDOUT, reading ? "i/o timeout (read_timeout)" : "i/o timeout (write_timeout)");
}

}  // namespace gatehouse::proxy
