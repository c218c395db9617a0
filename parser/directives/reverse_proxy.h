#pragma once
// The reverse_proxy family's shared parsing state (Caddy's reverseproxy.Handler while its
// Caddyfile is read). reverse_proxy, php_fastcgi and forward_auth all fill one ProxyHandler;
// intercept reuses the response-handler part. Internal to parser/directives.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/parser/dispenser.h"
#include "gatehouse/parser/helper.h"
#include "header_name.h"

namespace gatehouse::parser::proxy {

using config::Json;

// ---- value helpers (proxy_values.cpp) ----

// caddy.ParseDuration into nanoseconds; throws d.err("<prefix><go error>") on failure,
// where the Go error reads like `time: invalid duration "x"`.
int64_t durationOrThrow(const Dispenser& d, const std::string& text, const std::string& prefix);
// strconv.Atoi; nullopt with `error` set to Go's wording on failure.
std::optional<long long> atoi(const std::string& text, std::string* error);
// Integer argument or d.err("<prefix><go error>").
long long intOrThrow(const Dispenser& d, const std::string& text, const std::string& prefix);
// humanize.ParseBytes; nullopt with `error` set to its wording on failure.
std::optional<uint64_t> parseBytes(const std::string& text, std::string* error);
// Caddy's WeakString as JSON: a number when the text is an integer, else the string.
Json weakString(const std::string& text);
// "[a b c]", as Go prints a []string with %s / %v.
std::string goList(const std::vector<std::string>& items);
// Sorts every object's keys, recursively (Caddy re-encodes module objects through a map).
Json sortedKeys(const Json& j);
// Sets obj[key] = value unless the value is Go's zero value (0, "", false, empty), in which
// case the key is removed (omitempty).
void setOrOmit(Json& obj, const std::string& key, Json value);
// obj[key] as an object, created when missing.
Json& child(Json& obj, const std::string& key);
// "getting module named '<id>': module not registered: <id>" at the current token.
[[noreturn]] void unknownModule(const Dispenser& d, const std::string& moduleId);

// ---- the handler being built ----

struct ProxyHandler {
  // Every field of reverseproxy.Handler that a Caddyfile can set, keyed by its JSON name.
  Json fields = Json::object();

  // Adapt-time only (Caddy's unexported fields): the upstreams' common scheme, the
  // transport module named by `transport` (still unencoded), the @name response
  // matchers, and the handle_response segments waiting for a Helper.
  std::string commonScheme;
  std::string transportModule;
  std::optional<Json> transport;
  std::map<std::string, Json> responseMatchers;
  std::vector<std::vector<Token>> handleResponseSegments;
  // Lint findings Caddy logs while it reads the block (header_up that repeats a default).
  std::vector<std::string> warnings;

  [[nodiscard]] config::Handler toHandler() const;
};

// Reads `reverse_proxy [<upstreams...>] { ... }` with the cursor before the directive name
// (any matcher token already removed), like Caddy's Handler.UnmarshalCaddyfile.
void unmarshalReverseProxy(Dispenser& d, ProxyHandler& rp);
// Parses the collected handle_response blocks as subroutes and orders the response handlers
// (Caddy's FinalizeUnmarshalCaddyfile).
void finalizeReverseProxy(Helper& h, ProxyHandler& rp);

// ---- pieces of the subdirective switch, one file each; each returns false when the
// subdirective is not theirs ----
bool parseUpstreamSubdirective(Dispenser& d, ProxyHandler& rp);       // to, dynamic
bool parseLoadBalancingSubdirective(Dispenser& d, ProxyHandler& rp);  // lb_*
bool parseHealthSubdirective(Dispenser& d, ProxyHandler& rp);         // health_*, passive
bool parseHeaderSubdirective(Dispenser& d, ProxyHandler& rp);         // header_up/down
// Adds one upstream address (Caddy's appendUpstream), throwing positioned errors.
void appendUpstream(Dispenser& d, ProxyHandler& rp, const std::string& address);

// Applies one header operation (Caddy's headers.CaddyfileHeaderOp) to a HeaderOps object.
void applyHeaderOp(const Dispenser& d, Json& ops, const std::string& field, const std::string& value,
                   const std::string* replacement);

// ---- response handlers (reverse_proxy_handle_response.cpp), shared with intercept ----

// With the cursor on an "@name" subdirective: parses its response matcher definition into
// `matchers` (Caddy's ParseNamedResponseMatcher).
void parseNamedResponseMatcher(Dispenser& d, std::map<std::string, Json>& matchers);
// With the cursor on `replace_status`: appends a response handler to `handlers`.
void parseReplaceStatus(Dispenser& d, const std::map<std::string, Json>& matchers, Json& handlers);
// Turns each handle_response segment into a response handler and moves the handlers without
// a matcher to the end.
void finalizeResponseHandlers(Helper& h, const std::map<std::string, Json>& matchers,
                              const std::vector<std::vector<Token>>& segments, Json& handlers);

// ---- transports (transport_http.cpp, transport_fastcgi.cpp) ----

// Each reads its module segment (cursor before the module name) into a transport object
// (without "protocol").
Json unmarshalHttpTransport(Dispenser& d);
Json unmarshalFastcgiTransport(Dispenser& d);

// ---- directives ----
config::Handler parseReverseProxy(Helper& h);
config::Handler parseCopyResponse(Helper& h);
config::Handler parseCopyResponseHeaders(Helper& h);
config::Handler parseIntercept(Helper& h);
std::vector<ConfigValue> parsePhpFastcgi(Helper& h);
std::vector<ConfigValue> parseForwardAuth(Helper& h);

}  // namespace gatehouse::parser::proxy
