// static_response: a fixed status, headers and body (Caddyfile `respond`).

#include <charconv>

#include "gatehouse/runtime/error_traces.h"
#include "handlers/handlers.h"
#include "http/exchange_notes.h"
#include "provision/provision_error.h"
#include "router/go_atoi.h"
#include "router/placeholders.h"

namespace gatehouse::handlers {

using router::Template;
using runtime::Exchange;
using runtime::Outcome;

namespace {

constexpr int kEarlyHints = 103;

class StaticResponse final : public runtime::Handler {
 public:
  struct Header {
    std::string name;
    std::vector<Template> values;
  };
  StaticResponse(Template status, std::vector<Header> headers, Template body, bool close, bool abort)
      : status_(std::move(status)),
        headers_(std::move(headers)),
        body_(std::move(body)),
        close_(close),
        abort_(abort) {
    // Caddy decides on the configured body, placeholders and escapes unreplaced: a JSON
    // template stays JSON, one whose placeholders are not JSON values is plain text.
    literalType_ = contentTypeFor(body_.source());
  }

  Outcome handle(Exchange& ex) const override {
    if (abort_) {
      ex.response.abort = true;
      return Outcome::Handled;
    }
    // Caddy's order: close, headers, implicit Content-Type, then the status code, so a status
    // that does not render to a number fails with a 500 that still carries those headers.
    ex.response.close = ex.response.close || close_;
    if (close_) {
      // Caddy also sets the field itself, so an HTTP/1.0 answer says "Connection: close" too
      // (Go writes a handler's own close field; it adds one of its own only for HTTP/1.1).
      ex.response.headers.remove("Connection");
      ex.response.headers.add("Connection", "close");
    }
    for (const auto& h : headers_) {
      ex.response.headers.remove(h.name);
      for (const auto& v : h.values) {
        ex.response.headers.add(h.name, v.render(ex));
      }
    }
    // Unknown placeholders stay visible in a body, as Caddy's ReplaceKnown leaves them.
    // Rendered in place: the response's body buffer (per-worker scratch) is reused.
    std::string& body = ex.response.body;
    body.clear();
    body_.renderTo(body, ex, Template::Unknown::Keep);
    if (!body.empty() && !ex.response.headers.has("Content-Type")) {
      ex.response.headers.add("Content-Type", literalType_);
    }
    if (ex.response.headers.get("Content-Type").empty()) {
      // Caddy stops Go from sniffing a type: the field stays, without a value.
      ex.response.headers.remove("Content-Type");
      http::noteNilContentType(ex);
    }
    // In an error route the default is the error's status, as Caddy's StaticResponse.
    int status = ex.error.routed && ex.error.status > 0 && !ex.error.plain ? ex.error.status : 200;
    if (!status_.source().empty()) {
      std::string s = status_.render(ex);
      int64_t code = 0;
      const router::AtoiError e = router::goAtoi(s, code);
      if (e != router::AtoiError::None) {  // Caddy's error is strconv.Atoi's
        return ex.fail(500, router::goAtoiMessage(s, e), runtime::traces::kStaticResponseBadStatus);
      }
      if (code < 100 || code > 999) {
        return ex.fail(500, {}, runtime::traces::kStaticResponseBadStatus);
      }
      status = static_cast<int>(code);
    }
    if (status == kEarlyHints) {
      // Not the final answer: the hints go out with the fields set so far (Caddy writes no
      // body for them) and the chain goes on, the fields staying for the final head.
      body.clear();
      ex.host->sendInformational(status, {});
      return Outcome::Continue;
    }
    ex.response.status = status;
    return Outcome::Handled;
  }

 private:
  Template status_;
  std::vector<Header> headers_;
  Template body_;
  bool close_;
  bool abort_;
  std::string_view literalType_;  // the Content-Type the configured body implies

  static std::string_view contentTypeFor(const std::string& body) {
    // As caddy 2.6.2: JSON only for an object or array longer than 2 bytes once trimmed
    // ("{}", "404", "true" and "\"x\"" are text/plain) that parses.
    constexpr std::string_view kSpace = " \t\r\n\v\f";
    const size_t first = body.find_first_not_of(kSpace);
    const size_t last = body.find_last_not_of(kSpace);
    const bool bracketed =
        first != std::string::npos && last - first + 1 > 2 &&
        ((body[first] == '{' && body[last] == '}') || (body[first] == '[' && body[last] == ']'));
    return bracketed && config::Json::accept(body) ? "application/json" : "text/plain; charset=utf-8";
  }
};
static_assert(std::derived_from<StaticResponse, runtime::Handler>);

}  // namespace

void requireKnownFields(const config::Handler& h, const std::string& path,
                        std::initializer_list<const char*> known) {
  for (const auto& [key, _] : h.fields.items()) {
    bool ok = false;
    for (const char* k : known) {
      if (key == k) {
        ok = true;
        break;
      }
    }
    if (!ok) {
      throw provision::ProvisionError(path + "." + key,
                                      "field '" + key + "' of handler '" + h.name + "' is not supported yet");
    }
  }
}

std::unique_ptr<runtime::Handler> makeStaticResponse(const config::Handler& h, const std::string& path) {
  requireKnownFields(h, path, {"status_code", "headers", "body", "close", "abort"});
  const auto& f = h.fields;
  std::string status;
  if (f.contains("status_code")) {
    const auto& s = f["status_code"];
    // Caddy's WeakString: a string's text, any other JSON value its own text (`false`,
    // `1.5`; null leaves it unset), which then fails each request with strconv.Atoi's 500 as caddy's does.
    status = s.is_string() ? s.get<std::string>() : s.is_null() ? "" : s.dump();
  }
  // Go decodes null as "not set"; any other type than the field's refuses the config.
  auto typed = [&](const char* key, bool (config::Json::*test)() const noexcept, const char* goType) {
    if (f.contains(key) && !f[key].is_null() && !(f[key].*test)()) {
      throw provision::ProvisionError(
          path + "." + key, std::string("json: cannot unmarshal ") + f[key].type_name() +
                                " into Go struct field StaticResponse." + key + " of type " + goType);
    }
  };
  typed("body", &config::Json::is_string, "string");
  typed("close", &config::Json::is_boolean, "bool");
  typed("abort", &config::Json::is_boolean, "bool");
  std::vector<StaticResponse::Header> headers;
  if (f.contains("headers")) {
    if (!f["headers"].is_object()) {
      throw provision::ProvisionError(path + ".headers", "expected an object of string arrays");
    }
    for (const auto& [name, vals] : f["headers"].items()) {
      StaticResponse::Header hdr{name, {}};
      for (const auto& v : vals) {
        if (!v.is_string()) {
          throw provision::ProvisionError(path + ".headers." + name, "expected strings");
        }
        hdr.values.emplace_back(v.get<std::string>());
      }
      headers.push_back(std::move(hdr));
    }
  }
  std::string body = f.contains("body") && f["body"].is_string() ? f["body"].get<std::string>() : "";
  return std::make_unique<StaticResponse>(
      Template(status), std::move(headers), Template(body),
      f.contains("close") && f["close"].is_boolean() && f["close"].get<bool>(),
      f.contains("abort") && f["abort"].is_boolean() && f["abort"].get<bool>());
}

}  // namespace gatehouse::handlers
