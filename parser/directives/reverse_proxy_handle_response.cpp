// Response handlers shared by reverse_proxy and intercept: named response matchers,
// replace_status, and handle_response blocks (parsed as subroutes once a Helper is at hand).

#include "directives/reverse_proxy.h"
#include "gatehouse/parser/matchers.h"

namespace gatehouse::parser::proxy {
namespace {

// A named response matcher, by its "@name", or a positioned error.
const Json& findMatcher(const Dispenser& d, const std::map<std::string, Json>& matchers,
                        const std::string& name) {
  if (name.empty() || name[0] != '@') {
    throw d.err("must use a named response matcher, starting with '@'");
  }
  auto it = matchers.find(name);
  if (it == matchers.end()) {
    throw d.err("no named response matcher defined with name '" + name.substr(1) + "'");
  }
  return it->second;
}

}  // namespace

// @name status <codes...>
// @name header <field> [<value>]
// @name {
//     status <codes...>
//     header <field> [<value>]
// }
void parseNamedResponseMatcher(Dispenser& d, std::map<std::string, Json>& matchers) {
  Dispenser def = d.newFromNextSegment();
  def.next();
  const std::string name = def.val();
  if (matchers.count(name) != 0) {
    throw def.err("matcher is defined more than once: " + name);
  }
  matchers[name] = parseResponseMatcher(def);
}

// replace_status [<matcher>] <status_code>
void parseReplaceStatus(Dispenser& d, const std::map<std::string, Json>& matchers, Json& handlers) {
  auto args = d.remainingArgs();
  if (args.size() != 1 && args.size() != 2) {
    throw d.err("must have one or two arguments: an optional response matcher, and a status code");
  }
  Json handler = Json::object();
  if (args.size() == 2) {
    handler["match"] = findMatcher(d, matchers, args[0]);
  }
  setOrOmit(handler, "status_code", weakString(args.back()));
  // routes belong to handle_response; a block here is a mistake
  if (int n = d.nesting(); d.nextBlock(n)) {
    throw d.err("cannot define routes for 'replace_status', use 'handle_response' instead.");
  }
  handlers.push_back(handler);
}

// handle_response [<matcher>] {
//     <directives...>
// }
void finalizeResponseHandlers(Helper& h, const std::map<std::string, Json>& matchers,
                              const std::vector<std::vector<Token>>& segments, Json& handlers) {
  for (const auto& seg : segments) {
    Dispenser d(seg);
    d.next();  // handle_response
    auto args = d.remainingArgs();
    if (args.size() > 1) {
      throw d.err(
          "too many arguments for 'handle_response': only a single response matcher name is "
          "allowed, but got: " +
          goList(args));
    }
    Json handler = Json::object();
    if (args.size() == 1) {
      handler["match"] = findMatcher(d, matchers, args[0]);
    }
    // the block is read from the last token of the opening line, as Caddy does
    Helper sub = h.withDispenser(d.newFromNextSegment());
    config::Handler subroute = sub.parseSegmentAsSubroute();
    Json routes = Json::array();
    for (const auto& r : subroute.routes) {
      routes.push_back(config::toJson(r));
    }
    setOrOmit(handler, "routes", routes);
    handlers.push_back(handler);
  }
  // handlers without a matcher catch everything, so they go last, keeping their order
  Json withMatch = Json::array();
  Json without = Json::array();
  for (const auto& hr : handlers) {
    (hr.contains("match") ? withMatch : without).push_back(hr);
  }
  for (const auto& hr : without) {
    withMatch.push_back(hr);
  }
  handlers = withMatch;
}

}  // namespace gatehouse::parser::proxy
