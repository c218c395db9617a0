// push: HTTP/2 server push, as Caddy 2.6.2's push handler. Before the chain goes on, the
// configured resources are pushed; when the response head is written, the resources its
// Link fields name are pushed too (once per request, not `nopush`, not remote). Each push
// request carries Caddy-Push: 1 (a request that has it is never the source of a push:
// Caddy's guard against recursion), the client's Accept, Accept-Encoding, Accept-Language,
// Cache-Control and User-Agent fields, then the `headers` operations. The session does the
// pushing (ExchangeHost::push): over HTTP/1.x, for a pushed request or with push disabled
// by the client it refuses, and as in Caddy the first refusal ends the pushing.

#include <array>
#include <optional>

#include "handlers/handlers.h"
#include "handlers/header_ops.h"
#include "handlers/link_header.h"
#include "provision/provision_error.h"

namespace gatehouse::handlers {

using provision::ProvisionError;
using runtime::Exchange;
using runtime::HeaderList;

namespace {

constexpr std::string_view kPushField = "Caddy-Push";
// Set once the Link fields of a response were pushed, so that nested push handlers push
// them once (Caddy keeps the same variable).
constexpr std::string_view kPushedLinkVar = "http.handlers.push.pushed_link";
// The client's fields a push request gets (Caddy's "safe headers", in its order).
constexpr std::array<std::string_view, 5> kSafeFields = {"Accept-Encoding", "Accept-Language", "Accept",
                                                         "Cache-Control", "User-Agent"};

struct Resource {
  std::string method;
  router::Template target;
};

class Push final : public runtime::Handler, public runtime::OutputStage {
 public:
  Push(std::vector<Resource> resources, std::optional<HeaderOps> headers)
      : resources_(std::move(resources)), headers_(std::move(headers)) {}

  runtime::Outcome handle(Exchange& ex) const override {
    if (ex.host == nullptr || ex.request.headers.has(kPushField)) {
      return runtime::Outcome::Continue;
    }
    const HeaderList hdr = pushHeaders(ex);
    for (const auto& r : resources_) {
      if (!ex.host->push(r.method, r.target.renderEmptyAs(ex, "."), hdr)) {
        break;
      }
    }
    ex.stages.push_back(this);
    return runtime::Outcome::Continue;
  }

  // Caddy pushes Link resources when the response head is written through its wrapper;
  // error routes write through the server's own writer, so their responses push nothing.
  void onHead(Exchange& ex) const override {
    if (ex.host == nullptr || ex.error.status != 0 || ex.var(kPushedLinkVar) != nullptr) {
      return;
    }
    bool any = false;
    for (const auto& f : ex.response.headers) {
      any = any || runtime::equalsIgnoreCase(f.name, "Link");
    }
    if (!any) {
      return;
    }
    ex.setVar(kPushedLinkVar, "true");
    // Caddy builds these fields when the handler runs; they are built again here from the
    // same request (handlers that ran after it rarely touch the fields they copy).
    const HeaderList hdr = pushHeaders(ex);
    for (const auto& f : ex.response.headers) {
      if (!runtime::equalsIgnoreCase(f.name, "Link")) {
        continue;
      }
      for (const auto& link : parseLinkField(f.value)) {
        if (link.noPush || isRemoteResource(link.uri)) {
          continue;
        }
        if (!ex.host->push("", link.uri, hdr)) {
          return;
        }
      }
    }
  }

 private:
  HeaderList pushHeaders(const Exchange& ex) const {
    HeaderList hdr;
    hdr.add(std::string(kPushField), "1");
    for (auto name : kSafeFields) {
      for (const auto& f : ex.request.headers) {
        if (runtime::equalsIgnoreCase(f.name, name)) {
          hdr.add(std::string(name), f.value);
        }
      }
    }
    if (headers_) {
      headers_->apply(hdr, ex);
    }
    return hdr;
  }

  std::vector<Resource> resources_;
  std::optional<HeaderOps> headers_;
};

}  // namespace

std::unique_ptr<runtime::Handler> makePush(const config::Handler& h, const std::string& path) {
  requireKnownFields(h, path, {"resources", "headers"});
  std::vector<Resource> resources;
  std::optional<HeaderOps> headers;
  try {
    if (h.fields.contains("resources")) {
      const auto& list = h.fields["resources"];
      for (size_t i = 0; i < list.size(); ++i) {
        const std::string p = path + ".resources." + std::to_string(i);
        for (const auto& [key, _] : list[i].items()) {
          if (key != "method" && key != "target") {
            throw ProvisionError(p + "." + key, "unknown field");
          }
        }
        resources.push_back({list[i].value("method", ""), router::Template(list[i].value("target", ""))});
      }
    }
    if (h.fields.contains("headers")) {
      headers = parseHeaderOps(h.fields["headers"], path + ".headers", {});
    }
  } catch (const config::Json::exception& e) {
    throw ProvisionError(path, std::string("malformed push config: ") + e.what());
  }
  return std::make_unique<Push>(std::move(resources), std::move(headers));
}

}  // namespace gatehouse::handlers
