#include "log/error_log.h"

#include <chrono>

#include "http/exchange_notes.h"
#include "log/process_log.h"
#include "router/error_id.h"

namespace gatehouse::log {

using config::Json;

namespace {

constexpr std::string_view kErrorLogger = "http.log.error";

// One handler error as the log needs it.
struct Facts {
  int status = 0;
  std::string message;
  std::string id;
  std::string trace;
  bool plain = false;
  bool hasCause = true;
};

Facts factsOf(const runtime::Exchange& ex) {
  const auto& e = ex.error;
  return {e.status, e.message, e.id, e.trace, e.plain, http::errorHasCause(ex)};
}

Facts factsOf(const http::RoutedError& r) {
  const auto& e = r.error;
  return {e.status, e.message, e.id, r.trace, e.plain, r.hasCause};
}

std::string textOf(const Facts& f) {
  runtime::HandlerError e;
  e.status = f.status;
  e.message = f.message;
  e.id = f.id;
  e.trace = f.trace.c_str();
  return handlerErrorText(e, f.hasCause);
}

// Caddy's errLogValues: the status (a Go error that is no handler error counts as 500), the
// message, and the handler error's fields.
int statusOf(const Facts& f) {
  return f.plain ? 500 : f.status;
}

std::string messageOf(const Facts& f) {
  return f.plain || f.hasCause ? f.message : textOf(f);
}

void putFields(Json& into, const Facts& f) {
  if (!f.plain) {
    into["status"] = f.status;
    into["err_id"] = f.id;
    into["err_trace"] = f.trace;
  }
}

bool sameError(const Facts& a, const Facts& b) {
  return a.status == b.status && a.message == b.message && a.trace == b.trace && a.plain == b.plain;
}

// ".log0": the host's access logger name (Caddy 2.6.2 names the error logger after it). A
// host the access log skips has none here (Caddy would take default_logger_name).
std::string loggerSuffix(const runtime::Exchange& ex, const AccessLog* access) {
  constexpr std::string_view kAccess = "http.log.access";
  if (access == nullptr) {
    return {};
  }
  const std::vector<std::string> names = access->loggersFor(ex.request.host);
  if (names.empty() || !std::string_view(names.front()).starts_with(kAccess)) {
    return {};
  }
  return names.front().substr(kAccess.size());
}

}  // namespace

std::string handlerErrorText(const runtime::HandlerError& e, bool hasCause) {
  std::string s;
  if (!e.id.empty()) {
    s += "{id=" + e.id + "}";
  }
  if (*e.trace != '\0') {
    s += " ";
    s += e.trace;
  }
  if (e.status != 0) {
    s += ": HTTP " + std::to_string(e.status);
  }
  if (hasCause) {
    s += ": " + e.message;
  }
  const size_t begin = s.find_first_not_of(' ');
  const size_t end = s.find_last_not_of(' ');
  return begin == std::string::npos ? std::string() : s.substr(begin, end - begin + 1);
}

void recordHandlerError(const runtime::Exchange& ex, const AccessLog* access) {
  const std::optional<http::RoutedError> routed = http::routedError(ex);
  Facts first = routed ? factsOf(*routed) : factsOf(ex);
  if (first.status == 0) {
    return;
  }
  if (first.id.empty()) {
    first.id = router::newErrorId();  // Caddy gives every handler error one
  }
  // A failed error route: Caddy's second error is a new one, with an id of its own.
  Facts second = factsOf(ex);
  if (routed && routed->failedRouteStatus != 0) {
    second.status = routed->failedRouteStatus;  // the session answers with the first's
  }
  const bool failedAgain = routed && !sameError(second, first);
  // Caddy 2.6.2: an error its server's error routes answered is only DEBUG, whatever status.
  const bool handled = routed && !failedAgain;
  const Level level = failedAgain || (!handled && statusOf(first) >= 500) ? Level::Error : Level::Debug;

  LogEntry entry;
  entry.level = level;
  entry.logger = kErrorLogger;
  entry.logger.append(loggerSuffix(ex, access));
  if (!processLogWants(entry.logger, level)) {
    return;  // DEBUG entries, usually: not built at all
  }
  entry.tsNs = nowNanos();
  entry.durations = {"duration"};
  Json& f = entry.fields;
  f["request"] = access != nullptr ? access->fields(ex)["request"] : requestObject(ex.request, false);
  f["duration"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - ex.request.start).count();
  if (failedAgain) {
    if (second.id.empty() || second.id == first.id) {
      second.id = router::newErrorId();
    }
    entry.msg = "error handling handler error";
    f["error"] = second.plain ? second.message : textOf(second);
    Json inner = Json::object();
    inner["msg"] = messageOf(first);
    putFields(inner, first);
    f["first_error"] = std::move(inner);
  } else {
    entry.msg = messageOf(first);
    putFields(f, first);
  }
  logEntry(std::move(entry));
}

}  // namespace gatehouse::log
