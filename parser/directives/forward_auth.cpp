// The forward_auth directive: a reverse_proxy to an auth gateway that rewrites the request
// to GET <uri>, and on a 2xx answer copies chosen headers onto the original request and
// lets it continue (Caddy's forwardauth.parseCaddyfile).

#include <map>

#include "directives/reverse_proxy.h"

namespace gatehouse::parser::proxy {
namespace {

void deleteN(Dispenser& d, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    d.deleteToken();
  }
}

Json headersHandler(Json request) {
  return Json{{"handler", "headers"}, {"request", std::move(request)}};
}

// The 2xx response handler: a no-op route (so the handler is never empty), then for each
// copied header a route that drops what the client sent and one that sets the gateway's
// value when it has one.
Json goodResponseHandler(const std::map<std::string, std::string>& headersToCopy) {
  Json routes = Json::array();
  routes.push_back(Json{{"handle", Json::array({Json{{"handler", "vars"}}})}});
  for (const auto& [from, toRaw] : headersToCopy) {
    const std::string to = canonicalHeaderKey(toRaw);
    const std::string placeholder = "{http.reverse_proxy.header." + canonicalHeaderKey(from) + "}";
    routes.push_back(Json{{"handle", Json::array({headersHandler(Json{{"delete", Json::array({to})}})})}});
    Json notEmpty = Json{{"not", Json::array({Json{{"vars", Json{{placeholder, Json::array({""})}}}}})}};
    routes.push_back(
        Json{{"handle", Json::array({headersHandler(Json{{"set", Json{{to, Json::array({placeholder})}}}})})},
             {"match", Json::array({notEmpty})}});
  }
  return Json{{"match", Json{{"status_code", Json::array({2})}}}, {"routes", routes}};
}

}  // namespace

// forward_auth [<matcher>] [<upstreams...>] {
//     uri <to>
//     copy_headers <fields...> {
//         <fields...>
//     }
//     <any other reverse_proxy subdirective...>
// }
// where a field may be renamed on the way with <from>><to>.
std::vector<ConfigValue> parseForwardAuth(Helper& h) {
  if (!h.next()) {
    throw h.argErr();
  }
  std::optional<config::MatcherSet> userMatcher = h.extractMatcherSet();
  // A copy of the segment, as Caddy's NewFromNextSegment: a '}' with more tokens on its line
  // does not close the block, so those tokens are read inside it ("} 1" is refused as an
  // unrecognized subdirective 1, as 2.6.2 does).
  h.next();  // the name again: extracting the matcher resets the cursor
  Dispenser d(h.nextSegment());

  ProxyHandler rp;
  // the gateway sees the original method and URI, since both get rewritten
  rp.fields["headers"] =
      Json{{"request", Json{{"set", Json{{"X-Forwarded-Method", Json::array({"{http.request.method}"})},
                                         {"X-Forwarded-Uri", Json::array({"{http.request.uri}"})}}}}}};
  // GET also keeps the request body for the handlers after this one
  rp.fields["rewrite"] = Json{{"method", "GET"}};
  rp.fields["handle_response"] = Json::array();

  std::string uri;
  std::map<std::string, std::string> headersToCopy;
  while (d.next()) {
    for (int n = 0; d.nextBlock(n);) {
      if (d.nesting() != 1) {
        continue;
      }
      if (d.val() == "uri") {
        if (!d.nextArg()) {
          throw d.argErr();
        }
        if (!uri.empty()) {
          throw d.err("cannot re-declare uri: " + d.val());
        }
        uri = d.val();
        deleteN(d, 2);
      } else if (d.val() == "copy_headers") {
        auto args = d.remainingArgs();
        bool hadBlock = false;
        for (int nesting = d.nesting(); d.nextBlock(nesting);) {
          hadBlock = true;
          args.push_back(d.val());
        }
        deleteN(d, args.size() + 1 + (hadBlock ? 2 : 0));
        for (const auto& field : args) {
          size_t gt = field.find('>');
          if (gt != std::string::npos) {
            size_t next = field.find('>', gt + 1);
            headersToCopy[field.substr(0, gt)] =
                field.substr(gt + 1, next == std::string::npos ? next : next - gt - 1);
          } else {
            headersToCopy[field] = field;
          }
        }
        if (headersToCopy.empty()) {
          throw d.argErr();
        }
      }
    }
  }
  d.reset();
  if (uri.empty()) {
    throw d.err("the 'uri' subdirective is required");
  }
  rp.fields["rewrite"]["uri"] = uri;
  rp.fields["handle_response"].push_back(goodResponseHandler(headersToCopy));

  unmarshalReverseProxy(d, rp);
  finalizeReverseProxy(h, rp);

  config::Route route;
  if (userMatcher && !userMatcher->is_null()) {
    route.match.push_back(*userMatcher);
  }
  route.handle.push_back(rp.toHandler());
  return single(ConfigValue{"route", std::move(route), ""});
}

}  // namespace gatehouse::parser::proxy
