#pragma once
// What a directive's unmarshaller works with (Caddy's httpcaddyfile.Helper): a Dispenser over
// the directive's own tokens, plus the global options, the named matchers in scope, the
// enclosing server block, and a place for warnings.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/parser/adapter.h"
#include "gatehouse/parser/caddyfile.h"
#include "gatehouse/parser/dispenser.h"

namespace gatehouse::parser {

using config::Json;

// A value a directive contributes to the config (Caddy's ConfigValue). The adapter collects
// them per server block by class:
//   "route" / "error_route" (Route), "bind" (Json array of addresses),
//   "tls.connection_policy", "tls.cert_issuer", "tls.cert_loader", "tls.key_type",
//   "tls.on_demand", "tls.permission", "tls.cert_manager", "tls.reuse_private_keys",
//   "tls.renewal_window_ratio", "tls.force_automate", "tls.dns", ... (Json),
//   "custom_log" (Json: {"name":..., "log": {...}, "hostnames":[...], "no_hostname":bool}),
//   "named_route" (Route)
struct ConfigValue {
  std::string cls;
  std::variant<Json, config::Route> value;
  std::string directive;  // set by the adapter: the (normalized) directive that produced it

  [[nodiscard]] bool isRoute() const { return std::holds_alternative<config::Route>(value); }
  [[nodiscard]] config::Route& route() { return std::get<config::Route>(value); }
  [[nodiscard]] const config::Route& route() const { return std::get<config::Route>(value); }
  [[nodiscard]] Json& json() { return std::get<Json>(value); }
  [[nodiscard]] const Json& json() const { return std::get<Json>(value); }
};

// A one-element result. Not `return {ConfigValue{...}}`: an initializer list can only be
// copied from, and a route value holds a whole handler tree.
inline std::vector<ConfigValue> single(ConfigValue v) {
  std::vector<ConfigValue> out;
  out.push_back(std::move(v));
  return out;
}

// Global options as their option parsers left them: option name -> value.
using GlobalOptions = std::map<std::string, Json>;

// Named matchers in scope: "@name" -> matcher set.
using MatcherDefs = std::map<std::string, config::MatcherSet>;

// The directive order in force and each directive's place in it.
struct DirectiveOrderIndex {
  bool fromOption = false;  // from options["order"], else Caddy's default order
  std::vector<std::string> names;
  std::unordered_map<std::string, int> position;
};

// Shared by every Helper of one adaptation.
struct AdaptState {
  GlobalOptions options;
  std::vector<Warning> warnings;
  int groupCounter = 0;  // for "group0", "group1" ... of GroupRoutes
  // Built once from options["order"] (or the default) for the thousands of route sorts;
  // routes.cpp checks it still matches the option before using it.
  std::optional<DirectiveOrderIndex> orderIndex;
  // Per-server-block scratch space shared by the directives of one block (Caddy's Helper.State).
  std::map<std::string, Json> blockState;
};

class Helper : public Dispenser {
 public:
  Helper(Dispenser d, AdaptState& state, const ServerBlock& parentBlock,
         std::shared_ptr<const MatcherDefs> matcherDefs);

  // A Helper over other tokens with the same options, block and matchers (WithDispenser).
  [[nodiscard]] Helper withDispenser(Dispenser d) const;
  [[nodiscard]] Helper withMatcherDefs(std::shared_ptr<const MatcherDefs> defs) const;

  // The global option's value, or nullptr when unset.
  [[nodiscard]] const Json* option(const std::string& name) const;
  [[nodiscard]] AdaptState& state() const { return *state_; }
  [[nodiscard]] const ServerBlock& parentBlock() const { return *parentBlock_; }
  [[nodiscard]] const MatcherDefs& matcherDefs() const { return *matcherDefs_; }
  [[nodiscard]] std::shared_ptr<const MatcherDefs> matcherDefsPtr() const { return matcherDefs_; }
  // Files the parent block's tokens came from, sorted, without duplicates.
  [[nodiscard]] std::vector<std::string> caddyfiles() const;
  void warn(const std::string& message);

  // If the next argument is a matcher token ("*", "/path...", "@name"), returns its matcher set
  // (std::nullopt inside for "*", which matches all) and moves onto it. Returns false when the
  // next argument is not a matcher (cursor unchanged). Throws for an undefined "@name".
  bool matcherToken(std::optional<config::MatcherSet>& out);
  // Reads the matcher token after the directive name, deletes it, and resets the cursor
  // (Caddy's ExtractMatcherSet). Call with the cursor on the directive name.
  std::optional<config::MatcherSet> extractMatcherSet();

  // One "route" value wrapping `handler`, matched by `matcherSet` when given.
  [[nodiscard]] std::vector<ConfigValue> newRoute(const std::optional<config::MatcherSet>& matcherSet,
                                                  config::Handler handler) const;
  [[nodiscard]] std::vector<ConfigValue> newBindAddresses(std::vector<std::string> addrs) const;
  // Puts every route in vals into one new group, when there are at least two.
  void groupRoutes(std::vector<ConfigValue>& vals);
  // The current block's subdirectives parsed as directives (with their own named matchers),
  // built into a subroute (Caddy's ParseSegmentAsSubroute).
  config::Handler parseSegmentAsSubroute();
  // The same, but the raw values, unsorted (Caddy's parseSegmentAsConfig).
  std::vector<ConfigValue> parseSegmentAsConfig();

 private:
  AdaptState* state_;
  const ServerBlock* parentBlock_;
  std::shared_ptr<const MatcherDefs> matcherDefs_;
};

}  // namespace gatehouse::parser
