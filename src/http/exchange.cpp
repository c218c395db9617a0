#include "gatehouse/runtime/exchange.h"

#include <algorithm>

#include "http/exchange_notes.h"
#include "http/status.h"

namespace gatehouse::runtime {

std::string Request::uri() const {
  // As Go's URL.RequestURI: an empty path (CONNECT's authority-form target) reads as "/".
  std::string out = rawPath.empty() ? std::string("/") : rawPath;
  if (hasQuery) {
    out += '?';
    out += query;
  }
  return out;
}

void Request::clear() {
  method.clear();
  host.clear();
  path.clear();
  rawPath.clear();
  query.clear();
  hasQuery = false;
  origUri.clear();
  headers.clear();
  versionMajor = 1;
  versionMinor = 1;
  bodyLength = 0;
  maxBodyBytes = 0;
  upgrade.clear();
  headerBytes = 0;
  bodyBytesRead = 0;
}

void Response::clear() {
  status = 0;
  headers.clear();
  body.clear();
  stream.reset();
  streamLength = 0;
  close = false;
  abort = false;
  sniff = true;
  headAtOnce = false;
  headWaits = false;
  tunnel = nullptr;
  bytesWritten = 0;
  headAt = {};
}

const std::string* Exchange::var(std::string_view name) const {
  for (const auto& [k, v] : vars) {
    if (k == name) {
      return &v;
    }
  }
  return nullptr;
}

void Exchange::setVar(std::string_view name, std::string value) {
  for (auto& [k, v] : vars) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  vars.emplace_back(std::string(name), std::move(value));
}

void Exchange::setCapture(std::string key, std::string value) {
  for (auto& [k, v] : captures) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  captures.emplace_back(std::move(key), std::move(value));
}

Outcome Exchange::respond(int status, std::string body) {
  response.status = status;
  response.body = std::move(body);
  return Outcome::Handled;
}

Outcome Exchange::fail(int status, std::string message, const char* trace) {
  http::noteErrorCause(*this, !message.empty());  // for the error log's message
  error.status = status;
  error.trace = trace;
  // Caddy's HandlerError without a Go error prints its status text as {http.error.message}.
  error.message = message.empty() ? std::string(http::reasonPhrase(status)) : std::move(message);
  error.plain = false;
  // Headers set by earlier middleware stay, as they do on Caddy's error path, but for a
  // length that described the body dropped here (file_server's, before a failing template).
  // A length with no body behind it was preset (`header Content-Length`): Caddy's error
  // answer keeps it (HEAD shows it, Go cuts a GET's connection short of it).
  if (!response.body.empty() || response.stream)
    response.headers.remove("Content-Length");
  response.body.clear();
  response.stream.reset();
  response.status = status;
  return Outcome::Handled;
}

Outcome PendingWork::resumed(Exchange& /*ex*/) {
  return Outcome::Handled;
}

void Exchange::clear() {
  pending.reset();  // first: it may still point into the request or response
  error = HandlerError{};
  request.clear();
  response.clear();
  vars.clear();
  captures.clear();
  upstream.clear();
  usedGroups.clear();
  chainRest.clear();
  stages.clear();
  handlerTrace.clear();
}

}  // namespace gatehouse::runtime
