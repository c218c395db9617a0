#include "server/http_redirect.h"

#include <array>
#include <cctype>

// What Caddy 2.6.2's http_redirect wrapper answers, checked byte for byte against it
// (tests/e2e/http_redirect_wrapper_vs_caddy_test.py): "HTTP/1.0 308 Permanent Redirect",
// Location, "Content-Length: 0", then close; the request's body is never read.

namespace gatehouse::server {

namespace {

constexpr std::array<std::string_view, 5> kPlainHttpStarts = {"GET /", "HEAD ", "POST ", "PUT /", "OPTIO"};

bool unreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~';
}

// Go's shouldEscape in path mode.
bool escapeInPath(unsigned char c) {
  if (unreserved(c)) {
    return false;
  }
  switch (c) {
    case '$':
    case '&':
    case '+':
    case ',':
    case '/':
    case ':':
    case ';':
    case '=':
    case '@':
      return false;
    default:
      return true;
  }
}

// Go keeps the client's spelling of a path when every byte is one a path may hold as is.
bool keptAsSent(std::string_view path) {
  for (unsigned char c : path) {
    if (std::string_view("!$&'()*+,;=:@[]%").find(static_cast<char>(c)) != std::string_view::npos) {
      continue;
    }
    if (escapeInPath(c)) {
      return false;
    }
  }
  return true;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool unescape(std::string_view in, std::string& out) {
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) {
      return false;
    }
    const int hi = hexValue(in[i + 1]);
    const int lo = hexValue(in[i + 2]);
    if (hi < 0 || lo < 0) {
      return false;
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

std::string escapePath(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (escapeInPath(c)) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

HttpRedirectSniffer& self(llhttp_t* p) {
  return *static_cast<HttpRedirectSniffer*>(p->data);
}

}  // namespace

bool startsLikePlainHttp(std::string_view first5) {
  for (auto m : kPlainHttpStarts) {
    if (first5.substr(0, 5) == m.substr(0, first5.size())) {
      return true;
    }
  }
  return false;
}

std::string redirectLocation(std::string_view host, std::string_view target, bool& ok) {
  ok = true;
  std::string out = "https://" + std::string(host);
  if (target == "*") {
    return out + "*";
  }
  if (target.empty() || target.front() != '/') {
    // Go takes only an absolute URL besides: its host is the request's host, and the URL
    // prints back much as it came.
    const size_t scheme = target.find("://");
    ok = scheme != std::string_view::npos;
    const size_t hostEnd = ok ? target.find_first_of("/?", scheme + 3) : 0;
    return ok ? "https://" + std::string(target.substr(scheme + 3, hostEnd - scheme - 3)) +
                    std::string(target)
              : std::string();
  }
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  std::string decoded;
  if (!unescape(path, decoded)) {
    ok = false;  // Go cannot parse the request: no answer
    return {};
  }
  out += keptAsSent(path) ? std::string(path) : escapePath(decoded);
  if (q != std::string_view::npos) {
    out += target.substr(q);  // the query as sent, bad escapes included
  }
  return out;
}

HttpRedirectSniffer::HttpRedirectSniffer(size_t maxHeaderBytes) : maxHeaderBytes_(maxHeaderBytes) {
  llhttp_settings_init(&settings_);
  settings_.on_url = &HttpRedirectSniffer::onUrl;
  settings_.on_header_field = &HttpRedirectSniffer::onHeaderField;
  settings_.on_header_value = &HttpRedirectSniffer::onHeaderValue;
  settings_.on_header_value_complete = &HttpRedirectSniffer::onHeaderValueComplete;
  settings_.on_headers_complete = &HttpRedirectSniffer::onHeadersComplete;
  llhttp_init(&parser_, HTTP_REQUEST, &settings_);
  parser_.data = this;
}

HttpRedirectSniffer::Verdict HttpRedirectSniffer::feed(std::string_view bytes) {
  const size_t before = buffered_.size();
  buffered_.append(bytes);
  if (!parsing_) {
    if (!startsLikePlainHttp(std::string_view(buffered_).substr(0, 5))) {
      return Verdict::PassThrough;
    }
    if (buffered_.size() < 5) {
      return Verdict::NeedMore;
    }
    parsing_ = true;
    bytes = buffered_;  // everything so far goes to the parser
  } else {
    bytes = std::string_view(buffered_).substr(before);
  }
  // Go's reader takes a bare LF as a line end; llhttp wants CRLF, so the head is given
  // CRLF line ends (only the head is ever parsed here).
  std::string crlf;
  for (char c : bytes) {
    if (c == '\n' && !lastWasCr_) {
      crlf += '\r';
    }
    crlf += c;
    lastWasCr_ = c == '\r';
  }
  const llhttp_errno_t err = llhttp_execute(&parser_, crlf.data(), crlf.size());
  if (complete_) {
    bool ok = false;
    const std::string location = redirectLocation(host_, target_, ok);
    // A request line without a version (HTTP/0.9 to llhttp) is malformed to Go.
    if (!ok || hosts_ > 1 || parser_.http_major == 0) {
      return Verdict::Close;
    }
    response_ = "HTTP/1.0 308 Permanent Redirect\r\nLocation: " + location + "\r\nContent-Length: 0\r\n\r\n";
    return Verdict::Redirect;
  }
  if (err != HPE_OK || buffered_.size() > maxHeaderBytes_) {
    return Verdict::Close;
  }
  return Verdict::NeedMore;
}

int HttpRedirectSniffer::onUrl(llhttp_t* p, const char* at, size_t len) {
  self(p).target_.append(at, len);
  return 0;
}

int HttpRedirectSniffer::onHeaderField(llhttp_t* p, const char* at, size_t len) {
  self(p).field_.append(at, len);  // cleared once its value completes
  return 0;
}

int HttpRedirectSniffer::onHeaderValue(llhttp_t* p, const char* at, size_t len) {
  self(p).value_.append(at, len);
  return 0;
}

int HttpRedirectSniffer::onHeaderValueComplete(llhttp_t* p) {
  auto& s = self(p);
  std::string name = s.field_;
  for (auto& c : name) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (name == "host") {
    ++s.hosts_;
    if (s.hosts_ == 1) {
      std::string v = s.value_;
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
        v.pop_back();
      }
      s.host_ = v;
    }
  }
  s.field_.clear();
  s.value_.clear();
  return 0;
}

int HttpRedirectSniffer::onHeadersComplete(llhttp_t* p) {
  self(p).complete_ = true;
  return HPE_PAUSED;  // the body (if any) is never read
}

}  // namespace gatehouse::server
