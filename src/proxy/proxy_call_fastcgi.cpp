// ProxyCall over the fastcgi transport: the request becomes a CGI environment (PARAMS) and
// its body STDIN records on a FastCgiStream, a connection per request; the answer comes
// back through the same Listener callbacks as an HTTP/1.1 response, so proxy_response.cpp
// serves both.
#include <optional>

#include "gatehouse/runtime/error_traces.h"
#include "proxy/fastcgi_env.h"
#include "proxy/fastcgi_record.h"
#include "proxy/proxy_call.h"
#include "proxy/proxy_rewrite.h"

namespace gatehouse::proxy {

// Caddy's RoundTrip refuses a NUL in the path (a PHP upstream could run a non-PHP file as
// code); the environment is built from the fields as forwarded, after header_up, and from
// the request line `rewrite` gives the upstream (reverse_proxy's rewrite runs first).
bool ProxyCall::buildFastCgiHead() {
  const auto& req = ex_.request;
  std::optional<RewrittenRequest> rewritten;
  if (config_.rewrite) {
    rewritten = rewriteForUpstream(*config_.rewrite, ex_);
  }
  const std::string& path = rewritten ? rewritten->path : req.path;
  if (path.find('\0') != std::string::npos) {
    ex_.fail(400, "invalid request path", runtime::traces::kFastcgiBadPath);
    return false;
  }
  if (!generalHead_) {
    generalHead_ = true;
    prepareFields();
  }
  runtime::HeaderList fields = baseHeaders_;
  // Go's Request.Header keeps Content-Length (HTTP_CONTENT_LENGTH), and Caddy sets an empty
  // User-Agent when the client sent none (HTTP_USER_AGENT="").
  if (const std::string* length = req.headers.find("Content-Length")) {
    fields.add("Content-Length", *length);
  }
  if (!fields.has("User-Agent")) {
    fields.add("User-Agent", "");
  }
  if (config_.requestHeaders) {
    config_.requestHeaders->apply(fields, ex_);
  }
  CgiEnv env;
  std::string error;
  if (!buildCgiEnv(*config_.fastcgi, ex_, fields, env, error, rewritten ? &*rewritten : nullptr)) {
    ex_.fail(502, "building environment: " + error, runtime::traces::kProxyStatusError);
    return false;
  }
  head_.clear();
  for (const auto& [name, value] : env) {
    fcgi::appendPair(head_, name, value);
  }
  method_ = rewritten ? rewritten->method : req.method;
  hasBody_ = hasBody_ && !(rewritten && rewritten->bodyDropped) && fastCgiSendsBody(method_);
  chunkedBody_ = false;  // STDIN records frame the body
  return true;
}

bool ProxyCall::dialFastCgi(const UpstreamAddress& address) {
  fcgi_ =
      std::make_unique<FastCgiStream>(pool_.loop(), address, pool_.readBuffer(), config_.maxResponseHeader,
                                      *config_.fastcgi, static_cast<UpstreamConnection::Listener&>(*this));
  const int rc = fcgi_->connect(address, {});
  if (rc != 0) {
    fcgi_.reset();
    arm(Timer::None, {});
    pool_.recordFailure(upstream_, config_.passive.failDuration);
    ex_.fail(502, "dialing backend: " + address.dial + ": " + uv_strerror(rc),
             runtime::traces::kProxyStatusError);
    return false;
  }
  return true;
}

void ProxyCall::sendRequestFastCgi() {
  sent_ = std::chrono::steady_clock::now();
  fcgi_->sendHead(head_, hasBody_);
  if (!hasBody_) {
    bodyDone_ = true;
    requestComplete_ = true;
  }
  // With a body, onUpstreamWritten pulls it once the head is out.
}

void ProxyCall::sendBodyFastCgi(std::string_view data, bool eof) {
  bodyStarted_ = bodyStarted_ || !data.empty();
  if (eof) {
    bodyDone_ = true;
    requestComplete_ = true;
    sent_ = std::chrono::steady_clock::now();
  }
  fcgi_->sendStdin(data, eof);  // onUpstreamWritten pulls the next piece
}

}  // namespace gatehouse::proxy
