// Helper: what directive unmarshallers work with (Caddy's httpcaddyfile.Helper).

#include "gatehouse/parser/helper.h"

#include <set>

#include "gatehouse/parser/directive_table.h"
#include "gatehouse/parser/matchers.h"
#include "httptype/routes.h"

namespace gatehouse::parser {
namespace {

bool isMatcherDefinition(const Segment& seg) {
  return !seg.empty() && !seg.front().text.empty() && seg.front().text[0] == '@';
}

// Directive errors inside a block read "parsing caddyfile tokens for 'dir': <inner>", at
// the inner error's position.
[[noreturn]] void rethrowWrapped(const ConfigError& e, const std::string& dir, const Location& fallback) {
  throw ConfigError(e.hasLocation() ? e.location() : fallback,
                    "parsing caddyfile tokens for '" + dir + "': " + e.message());
}

}  // namespace

Helper::Helper(Dispenser d, AdaptState& state, const ServerBlock& parentBlock,
               std::shared_ptr<const MatcherDefs> matcherDefs)
    : Dispenser(std::move(d)),
      state_(&state),
      parentBlock_(&parentBlock),
      matcherDefs_(matcherDefs ? std::move(matcherDefs) : std::make_shared<const MatcherDefs>()) {}

Helper Helper::withDispenser(Dispenser d) const {
  return Helper(std::move(d), *state_, *parentBlock_, matcherDefs_);
}

Helper Helper::withMatcherDefs(std::shared_ptr<const MatcherDefs> defs) const {
  Helper h = *this;
  h.matcherDefs_ = defs ? std::move(defs) : std::make_shared<const MatcherDefs>();
  return h;
}

const Json* Helper::option(const std::string& name) const {
  auto it = state_->options.find(name);
  return it == state_->options.end() ? nullptr : &it->second;
}

std::vector<std::string> Helper::caddyfiles() const {
  std::set<std::string> files;
  for (const auto& seg : parentBlock_->segments) {
    for (const auto& tok : seg) {
      files.insert(tok.loc.file());
    }
  }
  return {files.begin(), files.end()};
}

void Helper::warn(const std::string& message) {
  state_->warnings.push_back(Warning{location(), val(), message});
}

bool Helper::matcherToken(std::optional<config::MatcherSet>& out) {
  if (!nextArg()) {
    return false;
  }
  if (!matcherSetFromToken(token(), *matcherDefs_, out)) {
    prev();
    return false;
  }
  return true;
}

std::optional<config::MatcherSet> Helper::extractMatcherSet() {
  std::optional<config::MatcherSet> set;
  if (matcherToken(set)) {
    deleteToken();
  }
  reset();
  return set;
}

std::vector<ConfigValue> Helper::newRoute(const std::optional<config::MatcherSet>& matcherSet,
                                          config::Handler handler) const {
  config::Route route;
  if (matcherSet && !matcherSet->is_null()) {
    route.match.push_back(*matcherSet);
  }
  route.handle.push_back(std::move(handler));
  return single(ConfigValue{"route", std::move(route), ""});
}

std::vector<ConfigValue> Helper::newBindAddresses(std::vector<std::string> addrs) const {
  return single(ConfigValue{"bind", Json(std::move(addrs)), ""});
}

void Helper::groupRoutes(std::vector<ConfigValue>& vals) {
  int routes = 0;
  for (const auto& v : vals) {
    routes += v.isRoute() ? 1 : 0;
  }
  if (routes < 2) {
    return;  // a group of one changes nothing
  }
  std::string name = "group" + std::to_string(state_->groupCounter++);
  for (auto& v : vals) {
    if (v.isRoute()) {
      v.route().group = name;
    }
  }
}

config::Handler Helper::parseSegmentAsSubroute() {
  Location where = location();
  std::vector<ConfigValue> values = parseSegmentAsConfig();
  return config::Handler::subroute(buildSubroute(std::move(values), *state_, true, where));
}

std::vector<ConfigValue> Helper::parseSegmentAsConfig() {
  std::vector<ConfigValue> all;
  while (next()) {
    // the opening line takes no arguments besides an already-extracted matcher
    if (nextArg()) {
      throw argErr();
    }
    std::vector<Segment> segments;
    for (int nesting = this->nesting(); nextBlock(nesting);) {
      segments.push_back(nextSegment());
    }

    // matchers defined in this block are visible only inside it
    auto scoped = std::make_shared<MatcherDefs>(*matcherDefs_);
    std::vector<Segment> directives;
    for (auto& seg : segments) {
      if (isMatcherDefinition(seg)) {
        Dispenser md(seg);
        parseMatcherDefinition(md, *scoped);
      } else {
        directives.push_back(std::move(seg));
      }
    }

    for (auto& seg : directives) {
      const std::string dir = seg.front().text;
      const DirectiveSpec* spec = findDirective(dir);
      if (spec == nullptr) {
        throw err("unrecognized directive: " + dir +
                  " - are you sure your Caddyfile structure (nesting and braces) is correct?");
      }
      Location segLoc = seg.front().loc;
      Helper sub(Dispenser(std::move(seg)), *state_, *parentBlock_, scoped);
      std::vector<ConfigValue> results;
      try {
        results = runDirective(*spec, sub);
      } catch (const ConfigError& e) {
        rethrowWrapped(e, dir, segLoc);
      }
      const std::string normalized = normalizeDirectiveName(dir);
      for (auto& r : results) {
        r.directive = normalized;
        all.push_back(std::move(r));
      }
    }
  }
  return all;
}

}  // namespace gatehouse::parser
