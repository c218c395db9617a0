#include "http/h2_request_head.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
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
    return &protocol;  // RFC 8441 (we announce SETTINGS_ENABLE_CONNECT_PROTOCOL; 2.6.2 does not)
  }
  return nullptr;
}

// Go's validWireHeaderFieldName: a non-empty token without upper-case letters.
bool validWireName(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (const char c : name) {
    if (!isTokenChar(static_cast<unsigned char>(c)) || (c >= 'A' && c <= 'Z')) {
      return false;
    }
  }
  return true;
}

// A host as a proxied request may carry it: Go's ValidHostHeader bytes, plus '@' (userinfo,
// which Go's server and nghttp2 serve; the host matchers never match it).
bool hostBytes(std::string_view host) {
  for (const char c : host) {
    if (c != '@' && !validHostHeader(std::string_view(&c, 1))) {
      return false;
    }
  }
  return true;
}

bool tokenBytes(std::string_view value) {
  for (const char c : value) {
    if (!isTokenChar(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// Go's checkValidHTTP2RequestHeaders: the text of its 400 for a field HTTP/2 forbids, in its
// order; empty when there is none.
std::string forbiddenFieldError(const runtime::HeaderList& fields) {
  for (const std::string_view name :
       {"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade"}) {
    if (fields.find(name) != nullptr) {
      return "request header \"" + std::string(name) + "\" is not valid in HTTP/2";
    }
  }
  size_t te = 0;
  bool teAllowed = true;
  for (const auto& f : fields) {
    if (f.name == "Te") {
      ++te;
      teAllowed = f.value == "trailers" || f.value.empty();
    }
  }
  if (te > 1 || !teAllowed) {
    return "request header \"TE\" may only be \"trailers\" in HTTP/2";
  }
  return {};
}
}  // namespace

bool H2RequestHead::validTrailer(std::string_view name, std::string_view value) {
  return validWireName(name) && validFieldValue(value);  // a pseudo-header name is no token
}

void H2RequestHead::add(std::string_view name, std::string_view value) {
  size_ += name.size() + value.size() + kFieldOverhead;
  if (truncated_ || framerRefused_) {
    return;  // past a block Go's framer refuses, nothing more counts
  }
  // Go checks each field before it counts its size: a malformed field resets the stream
  // even when it is also the one over the limit.
  if (!validFieldValue(value)) {
    invalid_ = framerRefused_ = true;
    return;
  }
  if (name.starts_with(':')) {
    std::string* slot = pseudoField(name, method_, scheme_, authority_, path_, protocol_);
    // One bit per known pseudo-header field, for "at most once each".
    const std::array<const std::string*, 5> slots{&method_, &scheme_, &authority_, &path_, &protocol_};
    const auto at = std::find(slots.begin(), slots.end(), slot);
    const unsigned bit = at == slots.end() ? 0 : 1U << static_cast<unsigned>(at - slots.begin());
    // Go's framer (readMetaFrame, checkPseudos) refuses the block for these: the stream
    // never opens there. A method or authority only we refuse opened it.
    if (slot == nullptr || sawRegular_ || (seenPseudo_ & bit) != 0) {
      invalid_ = framerRefused_ = true;
      return;
    }
    seenPseudo_ |= bit;
    if ((slot == &method_ && !tokenBytes(value)) || (slot == &authority_ && !hostBytes(value))) {
      invalid_ = true;  // still read on: a later field may be one Go's framer refuses
      return;
    }
    hasProtocol_ = hasProtocol_ || slot == &protocol_;
    if (tooLarge()) {
      truncated_ = true;
      return;
    }
    slot->assign(value);
    return;
  }
  sawRegular_ = true;
  if (!validWireName(name)) {
    invalid_ = framerRefused_ = true;
    return;
  }
  if (invalid_ || (name == "host" && !hostBytes(value))) {
    invalid_ = true;
    return;
  }
  if (tooLarge()) {
    truncated_ = true;
    return;
  }
  // Leading or trailing blanks pass and stay, as in Go.
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

int64_t H2RequestHead::declaredLength(bool endStream) const {
  if (endStream) {
    return 0;
  }
  const std::string* length = fields_.find("Content-Length");
  if (length == nullptr) {
    return -1;
  }
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(length->data(), length->data() + length->size(), n);
  const bool number = !length->empty() && ec == std::errc() && end == length->data() + length->size() &&
                      n <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  return number ? static_cast<int64_t>(n) : 0;  // Go: ContentLength 0 when ParseUint fails
}

bool H2RequestHead::framerRefused() const {
  // Go's checkPseudos knows no :protocol (caddy 2.6.2 has no RFC 8441): refused wherever it
  // is, but on the extended CONNECT of a WebSocket, which Gatehouse serves on purpose.
  return framerRefused_ || (hasProtocol_ && !extendedConnect());
}

bool H2RequestHead::extendedConnect() const {
  // A whole one (RFC 8441 4): with :scheme and :path, which the framer would have to allow.
  return method_ == "CONNECT" && runtime::equalsIgnoreCase(protocol_, "websocket") && !scheme_.empty() &&
         !path_.empty();
}

void H2RequestHead::clear() {
  size_ = 0;
  invalid_ = false;
  framerRefused_ = false;
  truncated_ = false;
  sawRegular_ = false;
  hasProtocol_ = false;
  seenPseudo_ = 0;
  expectsContinue_ = false;
  badRequest_.clear();
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
  if (invalid_ || method_.empty() || framerRefused()) {
    return false;
  }
  // Go's newWriterAndRequest: what each kind of request must (not) carry, judged by values.
  const bool connect = method_ == "CONNECT";
  if (connect && !hasProtocol_) {
    // Classic CONNECT (RFC 9113 8.5): the :authority alone (not a Host field).
    if (!path_.empty() || !scheme_.empty() || authority_.empty()) {
      return false;
    }
  } else if (path_.empty() || (scheme_ != "http" && scheme_ != "https")) {
    return false;  // Go also refuses any :scheme but these two
  }
  const int64_t declared = declaredLength(endStream);
  req.method = method_;
  req.versionMajor = 2;
  req.versionMinor = 0;
  std::swap(req.headers, fields_);  // the request's (empty) list comes back with its capacity
  fields_.clear();
  if (cookieFields_ != 0) {
    req.headers.emplaceBack("Cookie", std::move(cookie_));
  }
  // Go: the authority is :authority, else the Host field (either may be empty: an empty
  // host); Host never stays a header field here.
  std::string host = authority_.empty() ? std::string(req.headers.get("Host")) : authority_;
  req.headers.remove("Host");
  // Go's http2 server answers "Expect: 100-continue" itself (a 100 on the first body read)
  // and deletes the field: caddy 2.6.2's x/net looks for the token in every Expect field's
  // list, in any case ("foo, 100-Continue" too). Any other value stays, unanswered.
  expectsContinue_ = false;
  for (const auto& f : req.headers) {
    if (f.name == "Expect") {
      forEachListItem(f.value, [this](std::string_view item) {
        expectsContinue_ = expectsContinue_ || runtime::equalsIgnoreCase(item, "100-continue");
        return !expectsContinue_;
      });
    }
  }
  if (expectsContinue_) {
    req.headers.remove("Expect");
  }
  badRequest_ = forbiddenFieldError(req.headers);
  if (connect && !hasProtocol_) {
    req.origUri = host;
    req.host = std::move(host);
  } else {
    // Go's url.ParseRequestURI: no control byte (HTAB included) in a URL, then the forms.
    const bool control = std::any_of(
        path_.begin(), path_.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
    if (control || !parseTarget(path_, req)) {
      return false;
    }
    req.origUri = path_;
    // An absolute-form :path names a host too; Go's Request.Host stays the authority.
    req.host = std::move(host);
    req.upgrade = protocol_;
    if (connect && runtime::equalsIgnoreCase(protocol_, "websocket")) {
      // RFC 8441: the HTTP/2 form of a WebSocket handshake. Matchers written for HTTP/1.1
      // (`header Connection *Upgrade*`, `header Upgrade websocket`) see it as one, as the
      // upstream will (reverse_proxy sends an RFC 6455 GET); HTTP/2 forbids both fields,
      // so none came from the client.
      req.headers.emplaceBack("Connection", "Upgrade");
      req.headers.emplaceBack("Upgrade", "websocket");
    }
  }
  // The proxy writes its own framing from this (never the client's Content-Length fields),
  // so two of them, or one that is not a number, cannot reach an upstream.
  req.bodyLength = declared < 0 ? runtime::Request::kChunked : static_cast<uint64_t>(declared);
  req.headerBytes = size_;
  return true;
}

}  // namespace gatehouse::http
