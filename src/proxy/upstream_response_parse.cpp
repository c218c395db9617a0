// UpstreamConnection's HTTP/1.1 response side: llhttp's callbacks building the response
// head, and the body handed to the listener as it is (or through the gzip inflater when the
// transport asked for gzip on the client's behalf).

#include "http/field_syntax.h"
#include "proxy/upstream_connection.h"

namespace gatehouse::proxy {

// The callbacks are the same for every connection: one immutable table, not 184 bytes in
// each (an idle tunnel keeps its connection for hours).
const llhttp_settings_t& UpstreamConnection::settings() {
  static const llhttp_settings_t table = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_message_begin = &UpstreamConnection::onMessageBegin;
    s.on_status = &UpstreamConnection::onStatus;
    s.on_header_field = &UpstreamConnection::onHeaderField;
    s.on_header_value = &UpstreamConnection::onHeaderValue;
    s.on_header_field_complete = &UpstreamConnection::onHeaderFieldComplete;
    s.on_headers_complete = &UpstreamConnection::onHeadersComplete;
    s.on_body = &UpstreamConnection::onBody;
    s.on_message_complete = &UpstreamConnection::onMessageComplete;
    return s;
  }();
  return table;
}

int UpstreamConnection::onMessageBegin(llhttp_t* p) {
  auto& s = self(p);
  s.head_.headers.clear();  // keeps the field vector's capacity for the next response
  s.head_.reason.clear();
  s.head_.status = 0;
  s.head_.versionMinor = 1;
  s.head_.hasLength = false;
  s.head_.length = 0;
  s.head_.upgrade = false;
  s.head_.trailerCapable = false;
  s.keepAliveVetoed_ = false;
  s.foldBlanks_ = false;
  s.repeatedLength_ = false;
  s.lastWasValue_ = true;
  s.headerBytes_ = 0;
  s.inTrailers_ = false;
  s.trailer_.reset();
  return 0;
}

int UpstreamConnection::onStatus(llhttp_t* p, const char* at, size_t len) {
  auto& s = self(p);
  s.headerBytes_ += len;
  if (s.headerBytes_ > s.maxHeaderBytes_) {
    return -1;
  }
  s.head_.reason.append(at, len);
  return 0;
}

int UpstreamConnection::onHeaderField(llhttp_t* p, const char* at, size_t len) {
  auto& s = self(p);
  if (s.inTrailers_) {
    return s.onTrailerField(at, len);
  }
  s.headerBytes_ += len;
  if (s.headerBytes_ > s.maxHeaderBytes_) {
    return -1;
  }
  s.foldBlanks_ = false;
  if (s.lastWasValue_) {
    s.head_.headers.appendSlot().name.append(at, len);  // a spare slot keeps its capacity
    s.lastWasValue_ = false;
  } else {
    s.head_.headers.back().name.append(at, len);
  }
  return 0;
}

int UpstreamConnection::onHeaderValue(llhttp_t* p, const char* at, size_t len) {
  auto& s = self(p);
  if (s.inTrailers_) {
    return s.onTrailerValue(at, len);
  }
  s.headerBytes_ += len;
  if (s.headerBytes_ > s.maxHeaderBytes_) {
    return -1;
  }
  std::string& value = s.head_.headers.back().value;
  if (s.lastWasValue_ && (at > s.readStart_ ? at[-1] : s.byteBefore_) == '\n') {
    // An obs-fold line (llhttp hands it over from its leading blank): Go joins the lines
    // with one space, each trimmed (textproto's readContinuedLineSlice).
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
      value.pop_back();
    }
    value += ' ';
    s.foldBlanks_ = true;
  }
  if (s.foldBlanks_) {
    while (len != 0 && (*at == ' ' || *at == '\t')) {
      ++at;
      --len;
    }
    s.foldBlanks_ = len == 0;
  }
  value.append(at, len);
  s.lastWasValue_ = true;
  return 0;
}

// llhttp refuses a second Content-Length field outright; Go's transport compares the values
// first. Clearing llhttp's note of the first lets it read the second (its value replaces the
// first's), and the fields are compared once the head is complete.
int UpstreamConnection::onHeaderFieldComplete(llhttp_t* p) {
  auto& s = self(p);
  if (!s.inTrailers_ && !s.head_.headers.empty()) {
    const std::string& name = s.head_.headers.back().name;
    if (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
      // Lenient parsing lets "Content-Length : 5" through as Content-Length, which Go
      // reads as another field: an answer two readers frame differently is refused whole.
      s.failure_ =
          "net/http: HTTP/1.x transport connection broken: malformed MIME header line: " + name + ":";
      s.failureWorded_ = true;
      return -1;
    }
  }
  if (!s.inTrailers_ && (p->flags & F_CONTENT_LENGTH) != 0 &&
      runtime::equalsIgnoreCase(s.head_.headers.back().name, "Content-Length")) {
    p->flags = static_cast<uint16_t>(p->flags & ~F_CONTENT_LENGTH);
    p->content_length = 0;
    s.repeatedLength_ = true;
  }
  return 0;
}

namespace {
// Go's %q of one string (the values are header text: quotes, backslashes and controls escaped).
void appendQuoted(std::string& out, std::string_view v) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out.append("\\x").append(1, kHex[u >> 4]).append(1, kHex[u & 15]);
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

bool UpstreamConnection::mergeLengthFields() {
  std::string first;
  bool differ = false;
  std::string got = "[";
  for (const auto& f : head_.headers) {
    if (!runtime::equalsIgnoreCase(f.name, "Content-Length")) {
      continue;
    }
    const std::string_view v = http::trimBlanks(f.value);
    if (got.size() > 1) {
      got += ' ';
      differ = differ || v != first;
    } else {
      first.assign(v);
    }
    appendQuoted(got, v);
  }
  if (differ) {
    failure_ =
        "net/http: HTTP/1.x transport connection broken: http: message cannot contain multiple "
        "Content-Length headers; got " +
        got + "]";
    failureWorded_ = true;
    return false;
  }
  head_.headers.remove("Content-Length");
  head_.headers.add("Content-Length", first);
  return true;
}

void UpstreamConnection::noteBadLength(const char* pos, const char* end) {
  if (head_.headers.empty() || !runtime::equalsIgnoreCase(head_.headers.back().name, "Content-Length")) {
    return;
  }
  // llhttp handed over the value up to the bad byte; the rest of the line is still here.
  std::string value = head_.headers.back().value;
  const char* stop = pos;
  while (stop < end && *stop != '\r' && *stop != '\n') {
    ++stop;
  }
  value.append(pos, static_cast<size_t>(stop - pos));
  failure_ = "net/http: HTTP/1.x transport connection broken: bad Content-Length ";
  appendQuoted(failure_, http::trimBlanks(value));
  failureWorded_ = true;
}

// Go's transport reads one Transfer-Encoding field saying "chunked" and nothing else from an
// HTTP/1.1 answer ("gzip, chunked" or "identity" fail the round trip): a body coded otherwise
// would reach the client still coded, with nothing saying so.
bool UpstreamConnection::supportedTransferCoding(int versionMinor) {
  if (versionMinor < 1) {
    return true;  // (Go ignores the field in an HTTP/1.0 answer; llhttp reads chunks)
  }
  const runtime::HeaderField* only = nullptr;
  size_t count = 0;
  for (const auto& f : head_.headers) {
    if (runtime::equalsIgnoreCase(f.name, "Transfer-Encoding")) {
      only = &f;
      ++count;
    }
  }
  if (count == 0 || (count == 1 && runtime::equalsIgnoreCase(http::trimBlanks(only->value), "chunked"))) {
    return true;
  }
  failure_ = "net/http: HTTP/1.x transport connection broken: ";
  if (count > 1) {
    failure_ += "too many transfer encodings";
  } else {
    failure_ += "unsupported transfer encoding: ";
    appendQuoted(failure_, only->value);
  }
  failureWorded_ = true;
  return false;
}

int UpstreamConnection::onHeadersComplete(llhttp_t* p) {
  auto& s = self(p);
  if (!s.supportedTransferCoding(p->http_minor)) {
    return -1;
  }
  for (const auto& f : s.head_.headers) {
    if (f.value.find('\0') != std::string::npos) {
      // RFC 9110 5.5: a NUL in a field value is refused (Go would forward it); other
      // controls are kept, as Go keeps them (lenient parsing, expectResponse).
      s.failure_ = "net/http: HTTP/1.x transport connection broken: NUL in the value of " + f.name;
      s.failureWorded_ = true;
      return -1;
    }
  }
  if (s.repeatedLength_ && !s.mergeLengthFields()) {
    return -1;
  }
  s.head_.status = p->status_code;
  s.head_.versionMinor = p->http_minor;
  if (s.head_.status < 100) {
    return -1;  // Go: "malformed HTTP status code" (three digits) -> 502
  }
  if (s.head_.status >= 100 && s.head_.status < 200 && s.head_.status != 101) {
    if (s.interimsToSkip_ > 0) {
      --s.interimsToSkip_;  // handed over before the head was read again
      return 0;
    }
    ++s.interimsSeen_;
    s.listener_->onUpstreamInformational(s.head_);  // 100 Continue, 103 Early Hints ...
    return s.dead_ || s.listener_ == nullptr ? -1 : 0;
  }
  s.inHead_ = false;
  if (s.headBytes_.capacity() != 0) {
    std::string().swap(s.headBytes_);
  }
  s.head_.upgrade = s.head_.status == 101;
  if ((p->flags & F_CHUNKED) != 0 && (p->flags & F_CONTENT_LENGTH) != 0) {
    s.head_.headers.remove("Content-Length");  // chunked wins; the connection is not reused
    s.keepAliveVetoed_ = true;
  }
  s.head_.trailerCapable = (p->flags & F_CHUNKED) != 0;
  if (s.head_.trailerCapable && s.badTrailerAnnounced()) {
    return -1;  // a 502, as Go's transport fails the round trip
  }
  s.inTrailers_ = s.head_.trailerCapable;  // further fields belong to the trailer section
  s.headerBytes_ = 0;                      // which has a limit of its own
  s.head_.hasLength = (p->flags & F_CONTENT_LENGTH) != 0 && (p->flags & F_CHUNKED) == 0;
  s.head_.length = s.head_.hasLength ? p->content_length : 0;
  s.keepAlive_ = llhttp_should_keep_alive(p) != 0 && !s.keepAliveVetoed_;
  // (Go decodes only an answer with a body: a 101, a 204, a 304 or a zero length keeps its
  // coding)
  const bool bodyFollows = s.head_.status != 101 && s.head_.status != 204 && s.head_.status != 304 &&
                           !(s.head_.hasLength && s.head_.length == 0);
  if (s.decodeGzip_ && !s.headRequest_ && bodyFollows &&
      runtime::equalsIgnoreCase(s.head_.headers.get("Content-Encoding"), "gzip")) {
    // As Go's transport: the decoded body has no known length and no encoding.
    s.head_.headers.remove("Content-Encoding");
    s.head_.headers.remove("Content-Length");
    s.head_.hasLength = false;
    s.head_.length = 0;
    s.gunzip_ = std::make_unique<GzipInflater>();
  }
  s.listener_->onUpstreamHead(s.head_);
  if (s.dead_ || s.listener_ == nullptr) {
    return -1;
  }
  return s.headRequest_ ? 1 : 0;  // 1: no body follows
}

int UpstreamConnection::onBody(llhttp_t* p, const char* at, size_t len) {
  auto& s = self(p);
  s.deliverBody(std::string_view(at, len));
  return s.dead_ ? -1 : 0;
}

int UpstreamConnection::onMessageComplete(llhttp_t* p) {
  auto& s = self(p);
  if (s.head_.status >= 100 && s.head_.status < 200 && s.head_.status != 101) {
    return 0;  // the real response follows
  }
  s.flushTrailer();
  if (s.dead_ || s.listener_ == nullptr) {
    return -1;
  }
  s.keepAlive_ = s.keepAlive_ && llhttp_should_keep_alive(p) != 0;
  s.responseDone_ = true;
  s.awaiting_ = false;
  if (s.head_.upgrade) {
    s.tunnel_ = true;
    return 0;  // llhttp itself pauses with HPE_PAUSED_UPGRADE
  }
  if (s.gunzip_ && (!s.gzStash_.empty() || s.gunzip_->moreOutput())) {
    s.gzEndPending_ = true;  // told once the listener took the rest (resumeReading)
    return HPE_PAUSED;
  }
  if (s.gunzip_ && !s.gunzip_->complete()) {
    s.failure_ = "gzip: unexpected EOF";
    s.fail(UV_EPROTO);  // a truncated body must reach the client as broken
    return -1;
  }
  s.listener_->onUpstreamEnd();
  return HPE_PAUSED;
}

void UpstreamConnection::deliverBody(std::string_view data) {
  if (!gunzip_) {
    listener_->onUpstreamBody(data);
    return;
  }
  if (!gzStash_.empty() || gunzip_->moreOutput()) {
    gzStash_.append(data);  // behind what waits already; reading is paused
    return;
  }
  inflateBody(data);
}

void UpstreamConnection::inflateBody(std::string_view data) {
  const auto used = gunzip_->feed(data, [this](std::string_view plain) {
    if (dead_ || listener_ == nullptr) {
      return false;
    }
    listener_->onUpstreamBody(plain);
    return !pauseAsked_ && !dead_;
  });
  if (!used) {
    if (!dead_) {
      failure_ = "gzip: invalid data";
      fail(UV_EPROTO);
    }
    return;
  }
  if (*used < data.size()) {
    gzStash_.append(data.substr(*used));
  }
}

void UpstreamConnection::finishInflatedEnd() {
  gzEndPending_ = false;
  if (!gunzip_->complete()) {
    failure_ = "gzip: unexpected EOF";
    fail(UV_EPROTO);  // a truncated body must reach the client as broken
    return;
  }
  if (listener_ != nullptr) {
    listener_->onUpstreamEnd();
  }
}

}  // namespace gatehouse::proxy
