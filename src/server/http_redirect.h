#pragma once
// The http_redirect listener wrapper (Caddy 2.6.2): the first bytes of a connection that
// start like a plain-HTTP request (not a TLS record) are read as one request, answered
// with a 308 to the same host and target over https, and the connection closes. Anything
// else passes through untouched. The request is parsed by llhttp.

#include <llhttp.h>

#include <string>
#include <string_view>

namespace gatehouse::server {

class HttpRedirectSniffer {
 public:
  enum class Verdict {
    NeedMore,     // keep feeding
    PassThrough,  // not plain HTTP: hand buffered() on as if never looked at
    Redirect,     // write response(), then close
    Close,        // unreadable request: close without an answer, as Caddy does
  };

  explicit HttpRedirectSniffer(size_t maxHeaderBytes);
  HttpRedirectSniffer(const HttpRedirectSniffer&) = delete;
  HttpRedirectSniffer& operator=(const HttpRedirectSniffer&) = delete;

  Verdict feed(std::string_view bytes);
  [[nodiscard]] const std::string& buffered() const { return buffered_; }
  [[nodiscard]] const std::string& response() const { return response_; }

 private:
  static int onUrl(llhttp_t* p, const char* at, size_t len);
  static int onHeaderField(llhttp_t* p, const char* at, size_t len);
  static int onHeaderValue(llhttp_t* p, const char* at, size_t len);
  static int onHeaderValueComplete(llhttp_t* p);
  static int onHeadersComplete(llhttp_t* p);

  llhttp_t parser_{};
  llhttp_settings_t settings_{};
  size_t maxHeaderBytes_;
  std::string buffered_;
  std::string target_;
  std::string field_;
  std::string value_;
  std::string host_;
  int hosts_ = 0;
  bool complete_ = false;
  bool parsing_ = false;
  bool lastWasCr_ = false;
  std::string response_;
};

// The 5 first bytes Go's server (and so the wrapper) takes for plain HTTP.
bool startsLikePlainHttp(std::string_view first5);

// "https://" + host + the target as Go's URL.String() prints it; nullopt-like empty string
// with ok=false when Go could not parse the target.
std::string redirectLocation(std::string_view host, std::string_view target, bool& ok);

}  // namespace gatehouse::server
