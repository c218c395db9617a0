#include "handlers/copy_response.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "gatehouse/runtime/error_traces.h"
#include "handlers/handlers.h"
#include "provision/provision_error.h"
#include "proxy/header_rules.h"
#include "proxy/response_routes.h"
#include "router/placeholders.h"

namespace gatehouse::handlers {

using provision::ProvisionError;
using runtime::Exchange;
using runtime::Outcome;

namespace {

class CopyResponse final : public runtime::Handler {
 public:
  explicit CopyResponse(std::optional<router::Template> status) : status_(std::move(status)) {}

  Outcome handle(Exchange& ex) const override {
    proxy::HeldResponse* held = proxy::heldResponse(ex);
    if (held == nullptr) {
      return ex.fail(500, "cannot copy response; no response context available",
                     runtime::traces::kCopyResponseNoContext);
    }
    int status = 0;
    if (status_) {
      const std::string s = status_->render(ex);
      if (s.empty() || s.size() > 3 || s.find_first_not_of("0123456789") != std::string::npos) {
        return ex.fail(500, "copy_response: invalid status code '" + s + "'",
                       runtime::traces::kCopyResponseBadStatus);
      }
      status = std::stoi(s);
      if (status < 100) {
        return ex.fail(500, "copy_response: invalid status code '" + s + "'",
                       runtime::traces::kCopyResponseBadStatus);
      }
    }
    held->copyResponse(status);
    return Outcome::Handled;  // terminal: Caddy's copy_response never calls next
  }

 private:
  std::optional<router::Template> status_;
};

class CopyResponseHeaders final : public runtime::Handler {
 public:
  CopyResponseHeaders(std::vector<std::string> include, std::vector<std::string> exclude)
      : include_(std::move(include)), exclude_(std::move(exclude)) {}

  Outcome handle(Exchange& ex) const override {
    proxy::HeldResponse* held = proxy::heldResponse(ex);
    if (held == nullptr) {
      return ex.fail(500, "cannot copy response headers; no response context available",
                     runtime::traces::kCopyHeadersNoContext);
    }
    // As caddy 2.6.2, which copies the map Go's transport made of the upstream's fields:
    // hop-by-hop fields too (Keep-Alive, Te, Proxy-Authenticate...), less those that
    // transport takes out (Transfer-Encoding, a chunked answer's Trailer, a Connection that
    // says close). Content-Length stays out on purpose: it would frame a `respond` after
    // this with the upstream's length (2.6.2 sends a broken answer), and copy_response
    // writes its own.
    const bool chunked = held->heldChunked();
    for (const auto& f : held->heldHeaders()) {
      const bool transportField = f.name == "Transfer-Encoding" || f.name == "Content-Length" ||
                                  (chunked && f.name == "Trailer") ||
                                  (f.name == "Connection" && proxy::hasCloseToken(f.value));
      if (!transportField && wanted(f.name)) {
        ex.response.headers.emplaceBack(f.name, f.value);  // added, as Header().Add
      }
    }
    return Outcome::Continue;
  }

 private:
  [[nodiscard]] bool wanted(const std::string& name) const {
    auto in = [&](const std::vector<std::string>& list) {
      return std::any_of(list.begin(), list.end(), [&](const std::string& n) { return n == name; });
    };
    return (include_.empty() || in(include_)) && !in(exclude_);
  }
  std::vector<std::string> include_;  // canonical names
  std::vector<std::string> exclude_;
};

std::vector<std::string> canonicalList(const config::Json& f, const char* key, const std::string& path) {
  std::vector<std::string> out;
  if (!f.contains(key)) {
    return out;
  }
  const auto& v = f[key];
  if (!v.is_array()) {
    throw ProvisionError(path + "." + key, "expected an array of field names");
  }
  for (const auto& n : v) {
    if (!n.is_string()) {
      throw ProvisionError(path + "." + key, "expected an array of field names");
    }
    out.push_back(runtime::canonicalHeaderName(n.get<std::string>()));
  }
  return out;
}

}  // namespace

std::unique_ptr<runtime::Handler> makeCopyResponse(const config::Handler& h, const std::string& path) {
  requireKnownFields(h, path, {"status_code"});
  std::optional<router::Template> status;
  if (h.fields.contains("status_code")) {
    const auto& v = h.fields["status_code"];
    if (v.is_number_integer()) {
      status.emplace(std::to_string(v.get<int>()));
    } else if (v.is_string()) {
      status.emplace(v.get<std::string>());
    } else {
      throw ProvisionError(path + ".status_code", "expected a status code");
    }
  }
  return std::make_unique<CopyResponse>(std::move(status));
}

std::unique_ptr<runtime::Handler> makeCopyResponseHeaders(const config::Handler& h, const std::string& path) {
  requireKnownFields(h, path, {"include", "exclude"});
  auto include = canonicalList(h.fields, "include", path);
  auto exclude = canonicalList(h.fields, "exclude", path);
  if (!include.empty() && !exclude.empty()) {
    throw ProvisionError(path, "cannot define both 'exclude' and 'include' lists at the same time");
  }
  return std::make_unique<CopyResponseHeaders>(std::move(include), std::move(exclude));
}

}  // namespace gatehouse::handlers
