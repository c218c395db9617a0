#include "http/http1_session.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <exception>

#include "http/field_syntax.h"
#include "http/http1_request_rules.h"
#include "http/status.h"
#include "http/uri.h"

namespace gatehouse::http {

using runtime::equalsIgnoreCase;

namespace {
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// Go's server (fixTrailer) refuses a chunked request whose Trailer field announces a
// framing field: a bare 400.
bool announcesFramingTrailer(const runtime::HeaderList& headers) {
  bool bad = false;
  for (const auto& f : headers) {
    if (!bad && equalsIgnoreCase(f.name, "Trailer")) {
      forEachListItem(f.value, [&](std::string_view name) {
        bad = equalsIgnoreCase(name, "Transfer-Encoding") || equalsIgnoreCase(name, "Trailer") ||
              equalsIgnoreCase(name, "Content-Length");
        return !bad;
      });
    }
  }
  return bad;
}

// The Connection header lists the "upgrade" token (comma-separated, any case).
bool hasUpgradeToken(const runtime::HeaderList& headers) {
  for (const auto& f : headers) {
    if (!equalsIgnoreCase(f.name, "Connection")) {
      continue;
    }
    std::string_view v = f.value;
    while (!v.empty()) {
      size_t comma = v.find(',');
      std::string_view tok = v.substr(0, comma);
      while (!tok.empty() && (tok.front() == ' ' || tok.front() == '\t')) {
        tok.remove_prefix(1);
      }
      while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\t')) {
        tok.remove_suffix(1);
      }
      if (equalsIgnoreCase(tok, "upgrade")) {
        return true;
      }
      v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
    }
  }
  return false;
}

}  // namespace

// The callbacks are the same for every session: one immutable table rather than 184 bytes
// in each (a tunnel keeps its session for hours).
const llhttp_settings_t& Http1Session::settings() {
  static const llhttp_settings_t table = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_message_begin = &Http1Session::onMessageBegin;
    s.on_url = &Http1Session::onUrl;
    s.on_version = &Http1Session::onVersion;
    s.on_header_field = &Http1Session::onHeaderField;
    s.on_header_value = &Http1Session::onHeaderValue;
    s.on_headers_complete = &Http1Session::onHeadersComplete;
    s.on_body = &Http1Session::onBody;
    s.on_message_complete = &Http1Session::onMessageComplete;
    return s;
  }();
  return table;
}

Http1Session::Http1Session(Transport& transport, RequestHandler& handler, DateCache& dates,
                           SessionLimits limits)
    : transport_(transport),
      handler_(handler),
      dates_(dates),
      limits_(limits),
      pool_(transport.http1Scratch()),
      scratch_(pool_ != nullptr ? pool_->take() : std::make_unique<Http1Scratch>()),
      ex_(scratch_->ex),
      out_(scratch_->out),
      url_(scratch_->url),
      body_([this] { updateReading(); }),
      tasks_([this] { runTasks(); }) {
  llhttp_init(&parser_, HTTP_REQUEST, &settings());
  parser_.data = this;
  ex_.host = this;
}

Http1Session::~Http1Session() {
  // The connection is gone: whatever a handler still does for this exchange stops now.
  body_.detach();
  if (tunnel_ && !peerClosed_ && ex_.response.tunnel != nullptr) {
    ex_.response.tunnel->onClientClosed();
  }
  ex_.pending.reset();
  if (inExchange_) {
    inExchange_ = false;
    handler_.finished(ex_);
  }
  if (pool_ != nullptr) {
    pool_->give(std::move(scratch_));
  }
}

bool Http1Session::dormant() const {
  return !inExchange_ && !closed_ && !closing_ && !paused_ && !tunnel_ && !eof_ && !shuttingDown_ &&
         !executing_ && !awaiting_ && !resumeRequested_ && !streaming_ && !pullInFlight_ && !parseLater_ &&
         sendfileOutcome_ == 0 &&
         pending_.empty() && out_.empty() && llhttp_get_errno(&parser_) == HPE_OK;
}

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
  if (tunnel_ && pending_.empty() && !tunnelReadPaused_) {
    // The peer sees each read, and reading waits until it asks for more.
    tunnelReadPaused_ = true;
    updateReading();
    ex_.response.tunnel->onClientData(std::string_view(data, len));
    return;
  }
  if (paused_ || tunnel_) {
    pending_.append(data, len);
    updateReading();
    return;
  }
  execute(data, len);
  flush();
  updateReading();
}

void Http1Session::execute(const char* data, size_t len) {
  executing_ = true;
  execBegin_ = data;
  llhttp_errno_t err = llhttp_execute(&parser_, data, len);
  executing_ = false;
  // What a pause leaves unparsed is parsed again later, so the tail ends where parsing did.
  keepTail(data, err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE ? llhttp_get_error_pos(&parser_) : data + len);
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
    if (err == HPE_PAUSED_UPGRADE && inExchange_) {
      // What follows the head belongs to a tunnel if the answer is a 101; else it is the
      // next request (as Go's server), but after a CONNECT the connection ends.
      requestDone_ = true;
      body_.finish();
      if (responseDone_ && !tunnel_) {
        closing_ = closing_ || ex_.request.upgrade.empty();
        completeExchange();
        parseLaterIfOpen();
      }
    } else if (err == HPE_PAUSED_UPGRADE) {
      parseLaterIfOpen();  // answered without a tunnel before the parser reached the pause
    }
    return;
  }
  if (inExchange_ && !responseDone_ && body_.pulled()) {
    // The body a handler is reading broke its framing: the handler sees the error and
    // the client gets a 400 once it answers (the connection closes either way).
    body_.fail(UV_EPROTO);
  }
  if (headerTooLarge_) {
    failRequest(431);
  } else {
    const ParseRefusal refusal = refusalFor(parser_, ex_.request.headers, notImplemented_, badDetail_);
    failRequest(refusal.status, refusal.detail);
  }
}

// The parser resumes from a clean stack, not inside the callback that got here.
void Http1Session::parseLaterIfOpen() {
  if (!closed_ && !closing_ && !inExchange_) {
    parseLater_ = true;
    tasks_.schedule(transport_.loop());
  }
}

void Http1Session::resumeParsing() {
  paused_ = false;
  if (llhttp_get_errno(&parser_) == HPE_PAUSED_UPGRADE) {
    llhttp_resume_after_upgrade(&parser_);
  } else {
    llhttp_resume(&parser_);
  }
  std::string data = std::move(pending_);
  pending_.clear();
  execute(data.data(), data.size());
  if (!closed_ && eof_ && !inExchange_ && !paused_) {
    closeNow();
  }
  flush();
  updateReading();
}

void Http1Session::onEof() {
  eof_ = true;
  if (closed_) {
    return;
  }
  if (tunnel_) {
    if (!pending_.empty() || tunnelReadPaused_) {
      tunnelEofPending_ = true;  // after the bytes the peer has not taken yet
    } else {
      ex_.response.tunnel->onClientEof();
    }
    return;
  }
  if (inExchange_ && (ex_.pending || !requestDone_) && !responseDone_) {
    // As Go's server: a client that leaves cancels the request (the upstream socket closes).
    abortExchange();
    return;
  }
  if (paused_ || (inExchange_ && requestDone_)) {
    return;  // finish what is queued; completeExchange closes
  }
  closeNow();
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
  body_.detach();
  transport_.close(false);
}

void Http1Session::abortExchange() {
  closed_ = true;
  body_.detach();
  transport_.close(true);
  // Called from socket callbacks only (never from a handler's), so dropping the pending
  // work here cannot pull an object out from under its own stack frame.
  ex_.pending.reset();
  if (inExchange_) {
    inExchange_ = false;
    handler_.finished(ex_);
  }
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
  s.ex_.host = &s;
  s.url_.clear();
  s.versionSeen_ = false;
  s.lastWasValue_ = true;
  s.headerBytes_ = 0;
  s.inExchange_ = true;
  s.requestDone_ = false;
  s.responseDone_ = false;
  s.headWritten_ = false;
  s.sniffPending_ = false;
  s.awaiting_ = false;
  s.resumeRequested_ = false;
  s.upgradeRequest_ = false;
  s.discardLeft_ = kDiscardLimit;
  s.body_.reset(s.ex_.request);
  s.transport_.setPhase(Transport::Phase::ReadingHeaders);
  return 0;
}

void Http1Session::keepTail(const char* data, const char* end) {
  // The last kTail bytes seen: the older ones shift left, the newest (up to kTail) follow.
  const size_t n = std::min<size_t>(kTail, static_cast<size_t>(end - data));
  std::memmove(tail_.data(), tail_.data() + n, kTail - n);
  std::memcpy(tail_.data() + (kTail - n), end - n, n);
}

char Http1Session::byteBefore(const char* at, size_t back) const {
  const ptrdiff_t off = (at - execBegin_) - static_cast<ptrdiff_t>(back);
  if (off >= 0) {
    return execBegin_[off];
  }
  return -off <= static_cast<ptrdiff_t>(kTail) ? tail_[kTail + static_cast<size_t>(off)] : '\0';
}

int Http1Session::onVersion(llhttp_t* p, const char* at, size_t /*len*/) {
  auto& s = self(p);
  // The version span starts after "HTTP/"; before that stands exactly one space.
  if (!s.versionSeen_ && s.byteBefore(at, 6) == ' ' && s.byteBefore(at, 7) == ' ') {
    s.badDetail_ = "malformed request line";
    return -1;
  }
  s.versionSeen_ = true;
  return 0;
}

int Http1Session::onUrl(llhttp_t* p, const char* at, size_t len) {
  auto& s = self(p);
  if (s.url_.empty() && s.byteBefore(at, 1) == ' ' && s.byteBefore(at, 2) == ' ') {
    s.badDetail_ = "malformed request line";  // "GET  /": Go reads an empty target
    return -1;
  }
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
    s.ex_.request.headers.appendSlot().name.assign(at, len);  // a spare slot keeps its capacity
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
  // One pass over the fields for what the checks below need; the checks keep Go's order.
  size_t hosts = 0;
  const std::string* hostValue = nullptr;
  bool badCoding = false;
  bool hasExpect = false;
  bool hasTrailer = false;
  bool emptyName = false;
  for (auto& f : req.headers) {
    trimTrailingBlanks(f.value);
    if (f.name.empty()) {
      emptyName = true;  // Go's textproto skips a line with an empty name
      continue;
    }
    if (!validFieldName(f.name)) {
      s.badDetail_ = "invalid header name";
      return -1;
    }
    if (!validFieldValue(f.value)) {
      s.badDetail_ = "invalid header value";
      return -1;
    }
    if (equalsIgnoreCase(f.name, "Host")) {
      hostValue = hosts++ == 0 ? &f.value : hostValue;
    } else if (equalsIgnoreCase(f.name, "Transfer-Encoding")) {
      badCoding = badCoding || !equalsIgnoreCase(f.value, "chunked");
    } else if (equalsIgnoreCase(f.name, "Expect")) {
      hasExpect = true;
    } else if (equalsIgnoreCase(f.name, "Trailer")) {
      hasTrailer = true;
    }
  }
  if (emptyName) {
    req.headers.removeIf([](const std::string& name) { return name.empty(); });
  }
  if (!parseTarget(s.url_, req)) {
    s.badDetail_ = "";  // a url.ParseRequestURI error: Go answers a bare "400 Bad Request"
    return -1;
  }
  if (hosts > 1) {
    return -1;  // Go's plain "400 Bad Request" (http.ReadRequest's error, no detail)
  }
  if (req.host.empty()) {
    if (hosts == 0 && req.versionMinor >= 1) {
      s.badDetail_ = "missing required Host header";
      return -1;
    }
    if (hostValue != nullptr) {
      req.host.assign(*hostValue);
    }
    if (!validHostHeader(req.host)) {
      // As Go: a space, a folded line or a control character cannot be part of a host.
      s.badDetail_ = "malformed Host header";
      return -1;
    }
  }
  // Go reads only chunked bodies; any other coding could desynchronise message framing.
  if (badCoding) {
    s.notImplemented_ = true;
    return -1;
  }
  if (hasTrailer && (p->flags & F_CHUNKED) != 0 && announcesFramingTrailer(req.headers)) {
    s.badDetail_ = "";
    return -1;
  }
  // As in Go, Host lives in the request, not among its header fields.
  if (hosts != 0) {
    req.headers.remove("Host");
  }
  s.keepAlive_ = llhttp_should_keep_alive(p) != 0;
  s.headOnly_ = req.method == "HEAD";
  const bool chunked = (p->flags & F_CHUNKED) != 0;
  const bool hasBody = chunked || ((p->flags & F_CONTENT_LENGTH) != 0 && p->content_length > 0);
  req.bodyLength = chunked ? runtime::Request::kChunked : hasBody ? p->content_length : 0;
  s.upgradeRequest_ = p->upgrade != 0;
  // As Go's server, a CONNECT or Upgrade request is an ordinary request: its body follows the
  // usual framing and the connection stays HTTP unless the answer is a 101 that hands it to a
  // tunnel. llhttp would end the message at the head and leave the rest to "another
  // protocol"; it reads this flag only after this callback, so clearing it here keeps the
  // framing (what follows the message stays unparsed while the answer is pending).
  p->upgrade = 0;
  if (s.upgradeRequest_ && req.method != "CONNECT" && hasUpgradeToken(req.headers)) {
    req.upgrade = std::string(req.headers.get("Upgrade"));
  }
  if (isGlobalOptions(req.method, s.url_)) {
    // As Go's server (globalOptionsHandler): 200, Content-Length 0, no handler runs.
    s.ex_.response.status = 200;
    s.transport_.setPhase(Transport::Phase::Busy);
    return s.beginResponse();
  }
  if (const std::string* expect = hasExpect ? req.headers.find("Expect") : nullptr) {
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
  s.transport_.setPhase(Transport::Phase::Busy);
  req.start = std::chrono::steady_clock::now();
  req.headerBytes = s.headerBytes_;
  return s.runChain(false);
}

// Runs the chain (or its continuation after a resume); writes the response unless a
// handler paused.
int Http1Session::runChain(bool resumed) {
  runtime::Outcome outcome = runtime::Outcome::Handled;
  try {
    outcome = resumed ? handler_.resumed(ex_) : handler_.handle(ex_);
  } catch (const std::exception&) {
    // A handler bug must not unwind through llhttp and libuv.
    ex_.pending.reset();
    ex_.response.clear();
    ex_.response.status = 500;
  }
  if (outcome == runtime::Outcome::Paused) {
    awaiting_ = true;
    if (resumeRequested_) {
      tasks_.schedule(transport_.loop());
    }
    return 0;
  }
  const int rc = beginResponse();
  if (rc == 0 && responseDone_ && !requestDone_ && closing_ && !tunnel_) {
    completeExchange();  // the unread body is not worth reading (see kDiscardLimit)
    return -1;
  }
  return rc;
}

void Http1Session::resume() {
  if (closed_) {
    return;
  }
  resumeRequested_ = true;
  tasks_.schedule(transport_.loop());
}

// Work deferred out of handler callbacks: a resume, tunnel bytes read ahead, a drain.
void Http1Session::runTasks() {
  if (closed_) {
    return;
  }
  if (sendfileOutcome_ != 0) {
    const int outcome = sendfileOutcome_;
    sendfileOutcome_ = 0;
    if (parseLater_ || resumeRequested_ || tunnel_) {
      tasks_.schedule(transport_.loop());  // one thing per run; the rest on the next
    }
    if (outcome > 0) {
      onBodyData({}, true);
    } else {
      onBodyError(outcome);
    }
    return;
  }
  if (parseLater_) {
    parseLater_ = false;
    if (!inExchange_ && paused_) {
      resumeParsing();
    }
    return;
  }
  if (resumeRequested_ && awaiting_) {
    resumeRequested_ = false;
    awaiting_ = false;
    runChain(true);
    if (awaiting_ || closed_) {
      return;
    }
    flush();
    afterResponse();
    return;
  }
  if (tunnel_) {
    if (tunnelDrainWanted_ && transport_.drained()) {
      tunnelDrainWanted_ = false;
      ex_.response.tunnel->onClientDrained();
      if (closed_) {
        return;
      }
    }
    deliverTunnelData();
  }
}

int Http1Session::onMessageComplete(llhttp_t* p) {
  auto& s = self(p);
  s.requestDone_ = true;
  s.body_.finish();
  if (!s.responseDone_ || s.tunnel_) {
    return HPE_PAUSED;  // the response is still being produced; resume after it
  }
  s.completeExchange();
  if (s.closed_ || s.closing_) {
    return HPE_PAUSED;
  }
  return 0;
}

void Http1Session::completeExchange() {
  if (!inExchange_) {
    return;
  }
  inExchange_ = false;
  body_.detach();
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
  if (awaiting_) {
    // A handler is still working on this request: it is cancelled with the connection.
    awaiting_ = false;
    ex_.pending.reset();
  }
  // Go's wording: "400 Bad Request: detail", but 501 carries only its detail.
  std::string text = std::to_string(status) + " " + std::string(reasonPhrase(status));
  out_.append("HTTP/1.1 ")
      .append(text)
      .append("\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n");
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
