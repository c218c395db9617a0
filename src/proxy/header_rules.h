#pragma once
// What reverse_proxy does to header fields on their way through, as Caddy:
//   - hop-by-hop fields are removed both ways (those named in Connection, Keep-Alive,
//     Proxy-Connection, Proxy-Authenticate, Proxy-Authorization, TE, Trailer,
//     Transfer-Encoding, Upgrade), except that an upgrade keeps Connection/Upgrade;
//   - X-Forwarded-For/-Proto/-Host are set, keeping the client's values only when it is a
//     trusted proxy;
//   - then the handler's header_up / header_down operations (set, add, delete, replace),
//     with placeholders.

#include <re2/re2.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/exchange.h"
#include "router/placeholders.h"

namespace gatehouse::proxy {

class HeaderOps {
 public:
  // JSON {"set": {...}, "add": {...}, "delete": [...], "replace": {...}}; throws
  // ProvisionError naming `path` for anything else.
  static HeaderOps parse(const config::Json& j, const std::string& path);
  // Order as Caddy's HeaderOps.ApplyTo: add, set, delete, replace.
  void apply(runtime::HeaderList& headers, const runtime::Exchange& ex) const;

 public:
  struct Field {
    router::Template name;
    std::vector<router::Template> values;
  };
  struct Replacement {
    router::Template field;
    std::optional<router::Template> search;
    std::shared_ptr<re2::RE2> regexp;
    router::Template with;
  };

 private:
  std::vector<Field> add_;
  std::vector<Field> set_;
  std::vector<router::Template> delete_;
  std::vector<Replacement> replace_;
};

// Removes hop-by-hop fields; with `upgrade` set, re-adds "Connection: Upgrade" and the
// Upgrade field's value. A request keeps "Te: trailers" (Go's ReverseProxy, for gRPC); a
// response (`request` false) keeps no Te.
void removeHopByHop(runtime::HeaderList& headers, const std::string& upgrade, bool request = true);
// One of the fixed hop-by-hop names, in Go's canonical form ("Keep-Alive", "Te").
bool isHopByHop(std::string_view canonicalName);

// The "close" token in a Connection field value ("close", "X-Hop, Close").
bool hasCloseToken(std::string_view value);
void setForwardedHeaders(runtime::HeaderList& headers, const runtime::Request& request, bool trusted);
// True when every field can be written as is (no control bytes that could split a head).
bool safeToSend(const runtime::HeaderList& headers);

}  // namespace gatehouse::proxy
