// Http1Session's llhttp callbacks for the request head: the request line and fields as they
// arrive (with Go's size and whitespace rules), then the checks Go's server makes before a
// handler runs, and the start of the chain.
#include <chrono>
#include <cstring>

#include "http/field_syntax.h"
#include "http/http1_request_rules.h"
#include "http/http1_session.h"
#include "http/uri.h"

namespace gatehouse::http {

using runtime::equalsIgnoreCase;

namespace {
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
}  // namespace

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
  s.methodSeen_.clear();
  s.lastWasValue_ = true;
  s.headerBytes_ = 0;
  s.inExchange_ = true;
  s.requestDone_ = false;
  s.responseDone_ = false;
  s.headWritten_ = false;
  s.sniffPending_ = false;
  s.sniffHold_.clear();
  s.awaiting_ = false;
  s.resumeRequested_ = false;
  s.upgradeRequest_ = false;
  s.chainStarted_ = false;
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
  if (s.customMethod_.empty()) {
    req.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
  } else {
    req.method = std::move(s.customMethod_);  // a token llhttp lacks (http1_custom_method.cpp)
    s.customMethod_.clear();
  }
  req.versionMajor = p->http_major;
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
      hasExpect = hasExpect || !f.value.empty();  // Go: an empty value expects nothing
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
  // Go reads only chunked bodies; any other coding could desynchronise message framing.
  if (badCoding) {
    s.notImplemented_ = true;
    return -1;
  }
  if (hasTrailer && (p->flags & F_CHUNKED) != 0 && announcesFramingTrailer(req.headers)) {
    s.badDetail_ = "";
    return -1;
  }
  // Go's readRequest is over: its server takes HTTP/1.x only (PRI is not seen here). A
  // request line without a version (llhttp's HTTP/0.9 form) is Go's malformed line: 400.
  if (p->http_major != 1) {
    s.versionRefused_ = s.versionSeen_;
    return -1;
  }
  // CONNECT needs no Host field (net/rpc's "CONNECT /path" has none); an absolute-form
  // target does not stand in for one either.
  if (hosts == 0 && req.versionMinor >= 1 && req.method != "CONNECT") {
    s.badDetail_ = "missing required Host header";
    return -1;
  }
  if (hostValue != nullptr && !validHostHeader(*hostValue)) {
    // As Go: a space, a folded line or a control character cannot be part of a host.
    s.badDetail_ = "malformed Host header";
    return -1;
  }
  if (req.host.empty() && hostValue != nullptr) {
    req.host.assign(*hostValue);
  }
  // As in Go, Host lives in the request, not among its header fields.
  if (hosts != 0) {
    req.headers.remove("Host");
  }
  s.keepAlive_ = keepsAlive(req.headers, p->http_major, p->http_minor);
  s.expectsContinue_ = s.continueOwed_ = false;
  s.headOnly_ = req.method == "HEAD";
  // Go ignores Transfer-Encoding on an HTTP/1.0 request (its issue 12785): the field goes,
  // there is no body (llhttp could have no Content-Length beside it), and the chunks that
  // follow are the next request's bytes. llhttp is told to skip the body (return 1).
  const bool http10Chunked = (p->flags & F_CHUNKED) != 0 && req.versionMajor == 1 && req.versionMinor == 0;
  if (http10Chunked) {
    req.headers.remove("Transfer-Encoding");
  }
  const bool chunked = (p->flags & F_CHUNKED) != 0 && !http10Chunked;
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
    // As Go's server (globalOptionsHandler): 200, Content-Length 0 (its own field, so it
    // goes before Date), no handler runs.
    s.ex_.response.status = 200;
    s.ex_.response.headers.add("Content-Length", "0");
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
    s.expectsContinue_ = s.continueOwed_ = hasBody && req.versionMinor >= 1;
  }
  s.transport_.setPhase(hasBody ? Transport::Phase::ReadingBody : Transport::Phase::Busy);
  req.start = std::chrono::steady_clock::now();
  req.headerBytes = s.headerBytes_;
  s.chainStarted_ = true;
  const int rc = s.runChain(false);
  return http10Chunked && rc == 0 ? 1 : rc;
}

void Http1Session::sendContinue() {
  if (!continueOwed_ || closed_ || headWritten_) {
    return;
  }
  continueOwed_ = false;
  out_.append(kContinue);
  flush();
}

void Http1Session::servePriorKnowledgePreface() {
  auto& req = ex_.request;
  req.method = "PRI";
  req.versionMajor = parser_.http_major;
  req.versionMinor = parser_.http_minor;
  if (req.versionMajor != 2 || req.versionMinor != 0 || url_ != "*") {
    // Not Go's h2 upgrade request: HTTP/1.x without a Host, or any other HTTP/2 request.
    if (req.versionMajor == 1) {
      failRequest(400, "missing required Host header");
    } else {
      failRequest(505, "unsupported protocol version");
    }
    return;
  }
  parseTarget(url_, req);
  // Go reads no body (it leaves "SM\r\n\r\n" unread) and closes after the answer.
  requestDone_ = true;
  body_.finish();
  keepAlive_ = false;
  closing_ = true;
  headOnly_ = false;
  transport_.setPhase(Transport::Phase::Busy);
  req.start = std::chrono::steady_clock::now();
  req.headerBytes = headerBytes_;
  chainStarted_ = true;
  if (runChain(false) == 0 && !awaiting_) {
    flush();
    afterResponse();
  }
}

}  // namespace gatehouse::http
