// headers: request and response header operations (Caddyfile `header`, `request_header`).
// Order within one op set follows Caddy's HeaderOps.ApplyTo: add, set, delete, replace.
// Response ops run at once, or when the head is written if `deferred` or `require` is set
// (so they also see headers that later handlers add).

#include <re2/re2.h>

#include <optional>

#include "handlers/handlers.h"
#include "handlers/header_ops.h"
#include "provision/provision_error.h"
#include "router/placeholders.h"

namespace gatehouse::handlers {

using config::Json;
using provision::ProvisionError;
using router::Template;
using runtime::Exchange;
using runtime::HeaderList;

namespace {

struct Require {
  std::vector<int> statusCodes;  // 2 means 2xx, as Caddy's StatusCodeMatches
  std::vector<std::pair<std::string, std::optional<std::vector<std::string>>>> headers;

  [[nodiscard]] bool matches(const Exchange& ex) const {
    if (!statusCodes.empty()) {
      bool ok = false;
      for (int c : statusCodes) {
        if (c == ex.response.status || (c < 100 && ex.response.status / 100 == c)) {
          ok = true;
        }
      }
      if (!ok) {
        return false;
      }
    }
    for (const auto& [field, values] : headers) {
      const std::string* v = ex.response.headers.find(field);
      if (!values) {
        if (v) {
          return false;
        }
        continue;
      }
      if (!v) {
        return false;
      }
      if (!values->empty() && std::find(values->begin(), values->end(), *v) == values->end()) {
        return false;
      }
    }
    return true;
  }
};

class Headers final : public runtime::Handler, public runtime::OutputStage {
 public:
  Headers(std::optional<HeaderOps> request, std::optional<HeaderOps> response, std::optional<Require> require,
          bool deferred)
      : request_(std::move(request)),
        response_(std::move(response)),
        require_(std::move(require)),
        deferred_(deferred) {}

  // Handler
  runtime::Outcome handle(Exchange& ex) const override {
    if (request_) {
      // Host is not a header field here (as in Go); let ops on it act on the request's host.
      ex.request.headers.add("Host", ex.request.host);
      request_->apply(ex.request.headers, ex);
      ex.request.host = std::string(ex.request.headers.get("Host"));
      ex.request.headers.remove("Host");
    }
    if (response_) {
      if (deferred_ || require_) {
        ex.stages.push_back(this);
      } else {
        response_->apply(ex.response.headers, ex);
      }
    }
    return runtime::Outcome::Continue;
  }

  // OutputStage
  void onHead(Exchange& ex) const override {
    if (require_ && !require_->matches(ex)) {
      return;
    }
    response_->apply(ex.response.headers, ex);
  }

 private:
  std::optional<HeaderOps> request_;
  std::optional<HeaderOps> response_;
  std::optional<Require> require_;
  bool deferred_;
};
static_assert(std::derived_from<Headers, runtime::Handler>);

}  // namespace

std::unique_ptr<runtime::Handler> makeHeaders(const config::Handler& h, const std::string& path) {
  requireKnownFields(h, path, {"request", "response"});
  std::optional<HeaderOps> request;
  std::optional<HeaderOps> response;
  std::optional<Require> require;
  bool deferred = false;
  try {
    if (h.fields.contains("request")) {
      request = parseHeaderOps(h.fields["request"], path + ".request", {});
    }
    if (h.fields.contains("response")) {
      const auto& r = h.fields["response"];
      response = parseHeaderOps(r, path + ".response", {"require", "deferred"});
      deferred = r.value("deferred", false);
      if (r.contains("require")) {
        Require req;
        const auto& rq = r["require"];
        for (const auto& [k, v] : rq.items()) {
          if (k == "status_code") {
            req.statusCodes = v.get<std::vector<int>>();
          } else if (k == "headers") {
            for (const auto& [field, vals] : v.items()) {
              if (vals.is_null()) {
                req.headers.emplace_back(field, std::nullopt);
              } else {
                req.headers.emplace_back(field, vals.get<std::vector<std::string>>());
              }
            }
          } else {
            throw ProvisionError(path + ".response.require." + k, "not supported yet");
          }
        }
        require = std::move(req);
      }
    }
  } catch (const config::Json::exception& e) {
    throw ProvisionError(path, std::string("malformed header operations: ") + e.what());
  }
  return std::make_unique<Headers>(std::move(request), std::move(response), std::move(require), deferred);
}

}  // namespace gatehouse::handlers
