#include "http/h2_request_head.h"

#include <charconv>
#include <utility>

#include "http/field_syntax.h"
#include "http/uri.h"

namespace gatehouse::http {

namespace {
// RFC 9113 6.5.2: each field counts its name, its value and 32 bytes of overhead.
constexpr size_t kFieldOverhead = 32;

// runtime::canonicalHeaderName, written into a slot's string (keeping its capacity).
void canonicalNameInto(std::string& out, std::string_view name) {
  out.assign(name);
  bool start = true;
  for (char& c : out) {
    if (c == ' ' || static_cast<unsigned char>(c) >= 0x80) {
      out.assign(name);  // Go leaves such names alone
      return;
    }
    if (start && c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    } else if (!start && c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    start = c == '-';
  }
}

std::string* pseudoField(std::string_view name, std::string& method, std::string& scheme,
                         std::string& authority, std::string& path, std::string& protocol) {
  if (name == ":method") {
    return &method;
  }
  if (name == ":scheme") {
    return &scheme;
  }
  if (name == ":authority") {
    return &authority;
  }
  if (name == ":path") {
    return &path;
  }
  if (name == ":protocol") {
    return &protocol;
  }
  return nullptr;
}
}  // namespace

void H2RequestHead::add(std::string_view name, std::string_view value) {
  size_ += name.size() + value.size() + kFieldOverhead;
  if (tooLarge() || invalid_) {
    return;
  }
  if (name.starts_with(':')) {
    std::string* slot = pseudoField(name, method_, scheme_, authority_, path_, protocol_);
    // nghttp2 checks :method (a token), :authority and :path by their own rules, each
    // stricter than Go's field-value check (no control bytes, DEL or spaces there);
    // :scheme and :protocol get Go's check here.
    const bool checked = slot == &method_ || slot == &authority_ || slot == &path_;
    if (!checked && !validFieldValue(value)) {
      invalid_ = true;
      return;
    }
    if (slot != nullptr) {
      slot->assign(value);
    }
    return;  // nghttp2 rejects unknown pseudo-header fields before they get here
  }
  // Regular field values are not checked again: nghttp2 resets the stream for any value
  // Go's ValidHeaderFieldValue refuses (control bytes, DEL) before the field reaches us.
  // Leading or trailing blanks pass and stay, as in Go (h2_callbacks.cpp).
  if (fields_.empty()) {
    fields_.reserve(8);
  }
  if (name == "cookie") {
    // Clients may split Cookie into several fields for better compression; HTTP/1
    // semantics (and Go) see one field: every crumb joined with "; ", empty ones too.
    if (cookieFields_++ != 0) {
      cookie_.append("; ");
    }
    cookie_.append(value);
    return;
  }
  runtime::HeaderField& f = fields_.appendSlot();  // a spare slot: no allocation
  canonicalNameInto(f.name, name);
  f.value.assign(value);
}

void H2RequestHead::clear() {
  size_ = 0;
  invalid_ = false;
  expectsContinue_ = false;
  method_.clear();
  scheme_.clear();
  authority_.clear();
  path_.clear();
  protocol_.clear();
  cookie_.clear();
  cookieFields_ = 0;
  fields_.clear();
}

bool H2RequestHead::mapTo(runtime::Request& req, bool endStream) {
  if (invalid_ || method_.empty()) {
    return false;
  }
  req.method = method_;
  req.versionMajor = 2;
  req.versionMinor = 0;
  std::swap(req.headers, fields_);  // the request's (empty) list comes back with its capacity
  fields_.clear();
  if (cookieFields_ != 0) {
    req.headers.emplaceBack("Cookie", std::move(cookie_));
  }
  // Go: the authority is :authority, else the Host field; Host never stays a header field.
  std::string host = authority_.empty() ? std::string(req.headers.get("Host")) : authority_;
  req.headers.remove("Host");
  // Go's http2 server answers "Expect: 100-continue" itself (a 100 on the first body read)
  // and deletes the field; any other value stays, unanswered.
  expectsContinue_ = req.headers.get("Expect") == "100-continue";
  if (expectsContinue_) {
    req.headers.remove("Expect");
  }
  if (method_ == "CONNECT" && protocol_.empty()) {
    // Classic CONNECT: the target is the authority alone (RFC 9113 8.5).
    if (host.empty()) {
      return false;
    }
    req.origUri = host;
    req.host = std::move(host);
  } else {
    // Go refuses any other :scheme (a stream error, PROTOCOL_ERROR); nghttp2 checks only
    // its syntax.
    if (scheme_ != "http" && scheme_ != "https") {
      return false;
    }
    if (path_.empty() || !parseTarget(path_, req)) {
      return false;
    }
    req.origUri = path_;
    if (req.host.empty()) {
      req.host = std::move(host);
    }
    req.upgrade = protocol_;
    if (method_ == "CONNECT" && runtime::equalsIgnoreCase(protocol_, "websocket")) {
      // RFC 8441: the HTTP/2 form of a WebSocket handshake. Matchers written for HTTP/1.1
      // (`header Connection *Upgrade*`, `header Upgrade websocket`) see it as one, as the
      // upstream will (reverse_proxy sends an RFC 6455 GET); HTTP/2 forbids both fields,
      // so none came from the client.
      req.headers.emplaceBack("Connection", "Upgrade");
      req.headers.emplaceBack("Upgrade", "websocket");
    }
  }
  if (endStream) {
    req.bodyLength = 0;
  } else if (const std::string* length = req.headers.find("Content-Length")) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(length->data(), length->data() + length->size(), n);
    req.bodyLength =
        (ec == std::errc() && end == length->data() + length->size()) ? n : runtime::Request::kChunked;
  } else {
    req.bodyLength = runtime::Request::kChunked;  // length unknown until END_STREAM
  }
  req.headerBytes = size_;
  return true;
}

}  // namespace gatehouse::http
