#include "handlers/virtual_request.h"

#include <chrono>

#include "http/h2_stream.h"
#include "http/http1_session.h"
#include "http/session.h"
#include "http/uri.h"

namespace gatehouse::handlers {

namespace {

constexpr size_t kMaxBody = 64u << 20;  // as the templates handler's own buffer limit

}  // namespace

VirtualRequest::VirtualRequest(runtime::ExchangeHost& parent, const runtime::Request& parentRequest,
                               const std::string& uri, int level, Done done)
    : parent_(parent), handler_(chainOf(parent)), done_(std::move(done)) {
  runtime::Request& req = ex_.request;
  if (!http::parseTarget(uri, req)) {
    badUri_ = "parse \"" + uri + "\": invalid URI for request";
  }
  // As http.NewRequest("GET", uri) with Host and a clone of the parent's fields: an
  // HTTP/1.1 request without a body or a remote address.
  req.method = "GET";
  req.host = parentRequest.host;
  req.headers = parentRequest.headers;
  req.headers.set("Accept-Encoding", "identity");
  req.headers.set("Caddy-Templates-Include", std::to_string(level));
  req.versionMajor = 1;
  req.versionMinor = 1;
  req.localPort = parentRequest.localPort;
  req.start = std::chrono::steady_clock::now();
  ex_.host = this;
}

http::RequestHandler* VirtualRequest::chainOf(runtime::ExchangeHost& host) {
  if (auto* h1 = dynamic_cast<http::Http1Session*>(&host)) {
    return &h1->requestHandler();
  }
  if (auto* h2 = dynamic_cast<http::H2Stream*>(&host)) {
    return &h2->requestHandler();
  }
  if (auto* v = dynamic_cast<VirtualRequest*>(&host)) {
    return v->handler_;
  }
  return nullptr;
}

void VirtualRequest::start() {
  task_.schedule(loop());
}

void VirtualRequest::resume() {
  resumeRequested_ = true;
  task_.schedule(loop());
}

void VirtualRequest::NoBody::pull(uv_loop_t* loop, runtime::BodySink& sink) {
  sink_ = &sink;
  task_.schedule(loop);
}

// One thing per loop turn: start the chain, continue it after a resume, or report.
void VirtualRequest::step() {
  if (finished_) {
    ex_.pending.reset();  // the work behind the response (a proxied call) is over
    Done done = std::move(done_);
    done_ = nullptr;
    if (done) {
      done(finishError_.empty() ? ex_.response.status : 0, std::move(ex_.response.body), finishError_);
    }
    return;  // the owner may have dropped this in done(): nothing after it
  }
  http::RequestHandler* handler = handler_;
  if (handler == nullptr || !badUri_.empty()) {
    finish(badUri_.empty() ? "no server to serve a virtual request" : badUri_);
    return;
  }
  runtime::Outcome outcome = runtime::Outcome::Handled;
  try {
    if (!started_) {
      started_ = true;
      outcome = handler->handle(ex_);
    } else if (awaiting_ && resumeRequested_) {
      resumeRequested_ = false;
      awaiting_ = false;
      outcome = handler->resumed(ex_);
    } else {
      return;
    }
  } catch (const std::exception&) {
    ex_.pending.reset();
    ex_.response.clear();
    ex_.response.status = 500;
  }
  if (outcome == runtime::Outcome::Paused) {
    awaiting_ = true;
    if (resumeRequested_) {
      task_.schedule(loop());
    }
    return;
  }
  afterChain(outcome);
}

void VirtualRequest::afterChain(runtime::Outcome /*outcome*/) {
  auto& res = ex_.response;
  if (res.status == 0) {
    res.status = 200;  // nothing answered: Caddy's empty 200
  }
  for (auto it = ex_.stages.rbegin(); it != ex_.stages.rend(); ++it) {
    (*it)->onHead(ex_);
  }
  if (res.stream) {
    res.stream->pull(loop(), *this);
    return;
  }
  finish({});
}

void VirtualRequest::onBodyData(std::string_view data, bool eof) {
  auto& res = ex_.response;
  if (res.body.size() + data.size() > kMaxBody) {
    res.stream.reset();
    finish("virtual response body too large");
    return;
  }
  res.body.append(data);
  if (eof) {
    res.stream.reset();
    finish({});
  } else {
    res.stream->pull(loop(), *this);
  }
}

void VirtualRequest::onBodyError(int uvError) {
  ex_.response.stream.reset();
  finish("reading the virtual response failed (" + std::to_string(uvError) + ")");
}

// Logs the exchange (access log, metrics) as Caddy's server does for a virtual request,
// then reports on the next loop turn, off the stack of whoever produced the body.
void VirtualRequest::finish(std::string error) {
  if (finished_) {
    return;
  }
  finished_ = true;
  finishError_ = std::move(error);
  ex_.response.bytesWritten = ex_.response.body.size();
  if (handler_ != nullptr && started_) {
    handler_->finished(ex_);
  }
  task_.schedule(loop());
}

}  // namespace gatehouse::handlers
