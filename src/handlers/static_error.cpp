// error: ends the chain with a handler error (Caddyfile `error`). Without error routes the
// client gets the status with an empty body; handle_errors routes see {http.error.*}.

#include <charconv>

#include "gatehouse/runtime/error_traces.h"
#include "handlers/handlers.h"
#include "http/exchange_notes.h"
#include "provision/provision_error.h"
#include "router/go_atoi.h"
#include "router/placeholders.h"

namespace gatehouse::handlers {

using router::Template;

namespace {

class StaticError final : public runtime::Handler {
 public:
  StaticError(std::string message, Template status)
      : message_(std::move(message)), status_(std::move(status)) {}

  runtime::Outcome handle(runtime::Exchange& ex) const override {
    int status = 500;
    if (!status_.source().empty()) {
      std::string s = status_.render(ex);
      int64_t code = 0;
      const router::AtoiError e = router::goAtoi(s, code);
      if (e != router::AtoiError::None) {  // Caddy's error is strconv.Atoi's
        return ex.fail(500, router::goAtoiMessage(s, e), runtime::traces::kStaticErrorBadStatus);
      }
      // Go's WriteHeader accepts 100..999 only (2.6.2 panics and drops the connection on
      // any other code): that is the handler's own failure here.
      if (code < 100 || code > 999) {
        return ex.fail(500, "invalid status code '" + s + "'", runtime::traces::kStaticErrorBadStatus);
      }
      status = static_cast<int>(code);
    }
    // Caddy 2.6.2 keeps the message verbatim (placeholders in it are expanded only since 2.7).
    const runtime::Outcome o = ex.fail(status, {}, runtime::traces::kStaticError);
    // Caddy's handler always wraps its text in a Go error: an empty one prints as "".
    ex.error.message = message_;
    http::noteErrorCause(ex, true);
    return o;
  }

 private:
  std::string message_;
  Template status_;
};
static_assert(std::derived_from<StaticError, runtime::Handler>);

}  // namespace

std::unique_ptr<runtime::Handler> makeStaticError(const config::Handler& h, const std::string& path) {
  requireKnownFields(h, path, {"error", "status_code"});
  const auto& f = h.fields;
  std::string status;
  if (f.contains("status_code")) {
    const auto& s = f["status_code"];
    // Caddy's WeakString: any other JSON value than a string reads as its own text, which
    // each request then fails with strconv.Atoi's 500, as in caddy (null leaves it unset).
    status = s.is_string() ? s.get<std::string>() : s.is_null() ? "" : s.dump();
  }
  if (f.contains("error") && !f["error"].is_null() && !f["error"].is_string()) {
    throw provision::ProvisionError(path + ".error",
                                    std::string("json: cannot unmarshal ") + f["error"].type_name() +
                                        " into Go struct field StaticError.error of type string");
  }
  return std::make_unique<StaticError>(
      f.contains("error") && f["error"].is_string() ? f["error"].get<std::string>() : "", Template(status));
}

}  // namespace gatehouse::handlers
