#include "http/http1_session.h"

#include <ctime>
#include <exception>

#include "http/status.h"
#include "http/uri.h"

namespace gatehouse::http {

using runtime::equalsIgnoreCase;

namespace {
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// RFC 9110 tchar: what Go accepts in a field name.
bool isTokenChar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool validFieldName(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (char c : name) {
    if (!isTokenChar(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// Go's httpguts.ValidHeaderFieldValue: no control bytes other than HTAB.
bool validFieldValue(std::string_view value) {
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      return false;
    }
  }
  return true;
}

bool bodyAllowed(int status) { return !(status < 200 || status == 204 || status == 304); }

void appendNumber(std::string& out, uint64_t v) {
  char buf[24];
  char* p = buf + sizeof(buf);
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out.append(p, static_cast<size_t>(buf + sizeof(buf) - p));
}

void appendHex(std::string& out, uint64_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[20];
  char* p = buf + sizeof(buf);
  do {
    *--p = kHex[v & 15];
    v >>= 4;
  } while (v != 0);
  out.append(p, static_cast<size_t>(buf + sizeof(buf) - p));
}
}  // namespace

Http1Session::Http1Session(Transport& transport, RequestHandler& handler, DateCache& dates, SessionLimits limits)
    : transport_(transport), handler_(handler), dates_(dates), limits_(limits) {
  llhttp_settings_init(&settings_);
  settings_.on_message_begin = &Http1Session::onMessageBegin;
  settings_.on_url = &Http1Session::onUrl;
  settings_.on_header_field = &Http1Session::onHeaderField;
  settings_.on_header_value = &Http1Session::onHeaderValue;
  settings_.on_headers_complete = &Http1Session::onHeadersComplete;
  settings_.on_body = &Http1Session::onBody;
  settings_.on_message_complete = &Http1Session::onMessageComplete;
  llhttp_init(&parser_, HTTP_REQUEST, &settings_);
  parser_.data = this;
}

Http1Session::~Http1Session() = default;

void Http1Session::setPeer(const PeerInfo& peer) {
  ex_.request.remoteIp = peer.remoteIp;
  ex_.request.remotePort = peer.remotePort;
  ex_.request.localPort = peer.localPort;
  ex_.request.tls = peer.tls;
  ex_.request.tlsInfo = peer.tlsInfo;
}

void Http1Session::onData(const char* data, size_t len) {
  if (closed_) {
    return;
  }
  if (paused_) {
    pending_.append(data, len);
    transport_.pauseReading();
    return;
  }
  execute(data, len);
  flush();
}

void Http1Session::execute(const char* data, size_t len) {
  executing_ = true;
  llhttp_errno_t err = llhttp_execute(&parser_, data, len);
  executing_ = false;
  if (closed_) {
    return;
  }
  if (err == HPE_OK) {
    if (eof_ && !inExchange_) {
      closeNow();
    }
    return;
  }
  if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
    const char* pos = llhttp_get_error_pos(&parser_);
    std::string rest(pos, static_cast<size_t>(data + len - pos));
    pending_ = std::move(rest);
    paused_ = true;
    transport_.pauseReading();
    if (err == HPE_PAUSED_UPGRADE && inExchange_) {
      // Upgrades and CONNECT tunnels are not served: whatever follows the head is not
      // HTTP, so the answer ends the connection.
      closing_ = true;
      requestDone_ = true;
      if (responseDone_) {
        completeExchange();
      }
    }
    return;
  }
  if (headerTooLarge_) {
    failRequest(431);
  } else if (notImplemented_) {
    failRequest(501, "Unsupported transfer encoding");
  } else {
    failRequest(400, badDetail_);
  }
}

void Http1Session::resumeParsing() {
  paused_ = false;
  if (llhttp_get_errno(&parser_) == HPE_PAUSED_UPGRADE) {
    llhttp_resume_after_upgrade(&parser_);
  } else {
    llhttp_resume(&parser_);
  }
  transport_.resumeReading();
  std::string data = std::move(pending_);
  pending_.clear();
  execute(data.data(), data.size());
  if (!closed_ && eof_ && !inExchange_ && !paused_) {
    closeNow();
  }
  flush();
}

void Http1Session::onEof() {
  eof_ = true;
  if (closed_) {
    return;
  }
  if (paused_ || (inExchange_ && requestDone_)) {
    return;  // finish what is queued; completeExchange closes
  }
  closeNow();
}

void Http1Session::onDrained() {
  if (streaming_ && !pullInFlight_ && !closed_) {
    pullInFlight_ = true;
    ex_.response.stream->pull(transport_.loop(), *this);
  }
}

void Http1Session::shutdown() {
  shuttingDown_ = true;
  if (closed_) {
    return;
  }
  if (!inExchange_) {
    closeNow();
  } else {
    closing_ = true;
  }
}

void Http1Session::closeNow() {
  flush();
  closed_ = true;
  transport_.close(false);
}

void Http1Session::flush() {
  if (!out_.empty() && !closed_) {
    transport_.write(out_);
  }
}

bool Http1Session::countHeaderBytes(size_t n) {
  headerBytes_ += n;
  // Go's server reads up to MaxHeaderBytes plus 4096 bytes of slack before answering 431.
  if (headerBytes_ > limits_.maxHeaderBytes + 4096) {
    headerTooLarge_ = true;
    return false;
  }
  return true;
}

int Http1Session::onMessageBegin(llhttp_t* p) {
  auto& s = self(p);
  s.ex_.clear();
  s.url_.clear();
  s.lastWasValue_ = true;
  s.headerBytes_ = 0;
  s.inExchange_ = true;
  s.requestDone_ = false;
  s.responseDone_ = false;
  s.headWritten_ = false;
  s.transport_.setPhase(Transport::Phase::ReadingHeaders);
  return 0;
}

int Http1Session::onUrl(llhttp_t* p, const char* at, size_t len) {
  auto& s = self(p);
  if (!s.countHeaderBytes(len)) {
    return -1;
  }
  s.url_.append(at, len);
  return 0;
}

int Http1Session::onHeaderField(llhttp_t* p, const char* at, size_t len) {
  auto& s = self(p);
  if (!s.countHeaderBytes(len + (s.lastWasValue_ ? 4 : 0))) {
    return -1;
  }
  if (s.lastWasValue_) {
    s.ex_.request.headers.emplaceBack(std::string(at, len), std::string());
    s.lastWasValue_ = false;
  } else {
    s.ex_.request.headers.back().name.append(at, len);
  }
  return 0;
}

int Http1Session::onHeaderValue(llhttp_t* p, const char* at, size_t len) {
  auto& s = self(p);
  if (!s.countHeaderBytes(len)) {
    return -1;
  }
  s.ex_.request.headers.back().value.append(at, len);
  s.lastWasValue_ = true;
  return 0;
}

int Http1Session::onHeadersComplete(llhttp_t* p) {
  auto& s = self(p);
  auto& req = s.ex_.request;
  req.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
  if (p->http_major != 1) {
    s.badDetail_ = "unsupported HTTP version";
    return -1;
  }
  req.versionMinor = p->http_minor;
  for (const auto& f : req.headers) {
    if (!validFieldName(f.name)) {
      s.badDetail_ = "invalid header name";
      return -1;
    }
    if (!validFieldValue(f.value)) {
      s.badDetail_ = "invalid header value";
      return -1;
    }
  }
  if (!parseTarget(s.url_, req)) {
    s.badDetail_ = "malformed request target";
    return -1;
  }
  const size_t hosts = req.headers.count("Host");
  if (hosts > 1) {
    s.badDetail_ = "too many Host headers";
    return -1;
  }
  if (req.host.empty()) {
    if (hosts == 0 && req.versionMinor >= 1) {
      s.badDetail_ = "missing required Host header";
      return -1;
    }
    req.host = std::string(req.headers.get("Host"));
  }
  // Go reads only chunked bodies; any other coding could desynchronise message framing.
  for (const auto& f : req.headers) {
    if (equalsIgnoreCase(f.name, "Transfer-Encoding") && !equalsIgnoreCase(f.value, "chunked")) {
      s.notImplemented_ = true;
      return -1;
    }
  }
  // As in Go, Host lives in the request, not among its header fields.
  req.headers.remove("Host");
  s.keepAlive_ = llhttp_should_keep_alive(p) != 0;
  s.headOnly_ = req.method == "HEAD";
  const bool hasBody = (p->flags & F_CHUNKED) != 0 || ((p->flags & F_CONTENT_LENGTH) != 0 && p->content_length > 0);
  if (const std::string* expect = req.headers.find("Expect")) {
    if (!equalsIgnoreCase(*expect, "100-continue")) {
      s.closing_ = true;
      s.ex_.response.status = 417;
      s.transport_.setPhase(Transport::Phase::Busy);
      return s.beginResponse();
    }
    if (hasBody && req.versionMinor >= 1) {
      s.out_.append(kContinue);
    }
  }
  if (p->upgrade != 0) {
    s.closing_ = true;
  }
  s.transport_.setPhase(Transport::Phase::Busy);
  req.start = std::chrono::steady_clock::now();
  req.headerBytes = s.headerBytes_;
  try {
    s.handler_.handle(s.ex_);
  } catch (const std::exception&) {
    // A handler bug must not unwind through llhttp and libuv.
    s.ex_.response.clear();
    s.ex_.response.status = 500;
  }
  return s.beginResponse();
}

int Http1Session::onBody(llhttp_t* /*p*/, const char* /*at*/, size_t /*len*/) {
  // TODO: hand request bodies to handlers once one consumes them (reverse_proxy); until
  // then they are read and dropped so the connection stays usable.
  return 0;
}

int Http1Session::onMessageComplete(llhttp_t* p) {
  auto& s = self(p);
  s.requestDone_ = true;
  if (!s.responseDone_) {
    return HPE_PAUSED;  // a streamed body is still going out; resume after it
  }
  s.completeExchange();
  if (s.closed_ || s.closing_) {
    return HPE_PAUSED;
  }
  return 0;
}

int Http1Session::beginResponse() {
  auto& res = ex_.response;
  if (res.abort) {
    closed_ = true;
    transport_.close(true);
    return -1;
  }
  if (res.status == 0) {
    res.status = 200;  // a chain that answered nothing: Caddy's empty 200
  }
  // Innermost first: a stage installed later wraps the response closer to the handler that
  // produced it (Caddy's nested ResponseWriters), so `header` deferred ops see encode's fields.
  for (auto it = ex_.stages.rbegin(); it != ex_.stages.rend(); ++it) {
    (*it)->onHead(ex_);
  }
  if (!keepAlive_ || res.close || shuttingDown_) {
    closing_ = true;
  }
  const bool allowed = bodyAllowed(res.status);
  if (res.stream && allowed && !headOnly_) {
    writeHead(res.streamLength, true);
    streaming_ = true;
    pullInFlight_ = true;
    flush();
    res.stream->pull(transport_.loop(), *this);
    return 0;
  }
  const uint64_t length = res.stream ? res.streamLength : res.body.size();
  res.stream.reset();
  writeHead(length, allowed);
  if (allowed && !headOnly_) {
    out_.append(res.body);
    res.bytesWritten = res.body.size();
  }
  responseDone_ = true;
  return 0;
}

void Http1Session::writeHead(uint64_t contentLength, bool allowed) {
  auto& res = ex_.response;
  headWritten_ = true;
  out_.append("HTTP/1.1 ");
  appendNumber(out_, static_cast<uint64_t>(res.status));
  out_ += ' ';
  std::string_view reason = reasonPhrase(res.status);
  if (reason.empty()) {
    out_.append("status code ");
    appendNumber(out_, static_cast<uint64_t>(res.status));
  } else {
    out_.append(reason);
  }
  out_.append("\r\n");
  bool hasLength = false;
  bool hasDate = false;
  for (const auto& f : res.headers) {
    if (equalsIgnoreCase(f.name, "Connection") || equalsIgnoreCase(f.name, "Transfer-Encoding")) {
      continue;  // framing is ours to decide
    }
    if (equalsIgnoreCase(f.name, "Content-Length")) {
      if (!allowed) {
        continue;
      }
      hasLength = true;
    }
    hasDate = hasDate || equalsIgnoreCase(f.name, "Date");
    out_.append(f.name).append(": ").append(f.value).append("\r\n");
  }
  if (!hasDate) {
    out_.append("Date: ").append(dates_.get(std::time(nullptr))).append("\r\n");
  }
  chunked_ = false;
  if (allowed && !hasLength && contentLength == runtime::Response::kUnknownLength) {
    if (headOnly_) {
      // Go writes no framing fields for a HEAD response of unknown length.
    } else if (ex_.request.versionMinor >= 1) {
      chunked_ = true;
      out_.append("Transfer-Encoding: chunked\r\n");
    } else {
      closing_ = true;  // HTTP/1.0: the end of the body is the end of the connection
    }
  } else if (allowed && !hasLength) {
    out_.append("Content-Length: ");
    appendNumber(out_, contentLength);
    out_.append("\r\n");
  }
  if (closing_) {
    out_.append("Connection: close\r\n");
  } else if (ex_.request.versionMinor == 0) {
    out_.append("Connection: keep-alive\r\n");
  }
  out_.append("\r\n");
}

void Http1Session::onBodyData(std::string_view data, bool eof) {
  pullInFlight_ = false;
  if (closed_) {
    return;
  }
  if (chunked_ && !data.empty()) {
    appendHex(out_, data.size());
    out_.append("\r\n");
  }
  out_.append(data);  // copied before the source may be destroyed below
  ex_.response.bytesWritten += data.size();
  if (chunked_) {
    out_.append(data.empty() ? "" : "\r\n");
    if (eof) {
      out_.append("0\r\n\r\n");
    }
  }
  flush();
  if (eof) {
    finishResponse();
    return;
  }
  if (transport_.drained()) {
    onDrained();
  }
}

void Http1Session::onBodyError(int /*uvError*/) {
  pullInFlight_ = false;
  // The head promised a length we cannot deliver: only dropping the connection is honest.
  streaming_ = false;
  closed_ = true;
  transport_.close(true);
}

void Http1Session::finishResponse() {
  streaming_ = false;
  responseDone_ = true;
  ex_.response.stream.reset();
  if (requestDone_) {
    completeExchange();
    if (!closed_ && paused_) {
      resumeParsing();
    }
  }
}

void Http1Session::completeExchange() {
  inExchange_ = false;
  handler_.finished(ex_);
  if (closing_) {
    closeNow();
    return;
  }
  transport_.setPhase(Transport::Phase::Idle);
  if (eof_ && !executing_ && !paused_) {
    closeNow();
  }
}

void Http1Session::failRequest(int status, std::string_view detail) {
  if (headWritten_) {
    // The response already went out; the stream is unusable from here.
    closeNow();
    return;
  }
  // Go's wording: "400 Bad Request: detail", but 501 carries only its detail.
  std::string text = std::to_string(status) + " " + std::string(reasonPhrase(status));
  out_.append("HTTP/1.1 ").append(text).append("\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n");
  if (status == 501) {
    out_.append(detail);
  } else {
    out_.append(text);
    if (!detail.empty()) {
      out_.append(": ").append(detail);
    }
  }
  closeNow();
}

}  // namespace gatehouse::http
