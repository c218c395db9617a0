// The table of request matcher modules by Caddyfile name (Caddy's http.matchers.* registry),
// and the steps every definition shares: grouping a definition's lines by module name, then
// handing each group to its module.

#include <algorithm>
#include <array>
#include <string_view>

#include "gatehouse/parser/matchers.h"
#include "matchers/matcher_modules.h"

namespace gatehouse::parser {
namespace matchers {
namespace {

struct ModuleRow {
  std::string_view name;
  ModuleParser parse;
};

// The standard modules of Caddy's http.matchers namespace.
constexpr std::array kModules{
    ModuleRow{"client_ip", &parseClientIpMatcher},
    ModuleRow{"expression", &parseExpressionMatcher},
    ModuleRow{"file", &parseFileMatcher},
    ModuleRow{"header", &parseHeaderMatcher},
    ModuleRow{"header_regexp", &parseHeaderRegexpMatcher},
    ModuleRow{"host", &parseHostMatcher},
    ModuleRow{"method", &parseMethodMatcher},
    ModuleRow{"not", &parseNotMatcher},
    ModuleRow{"path", &parsePathMatcher},
    ModuleRow{"path_regexp", &parsePathRegexpMatcher},
    ModuleRow{"protocol", &parseProtocolMatcher},
    ModuleRow{"query", &parseQueryMatcher},
    ModuleRow{"remote_ip", &parseRemoteIpMatcher},
    ModuleRow{"tls", &parseTlsMatcher},
    ModuleRow{"url_pattern", &parseUrlPatternMatcher},
    ModuleRow{"vars", &parseVarsMatcher},
    ModuleRow{"vars_regexp", &parseVarsRegexpMatcher},
};

}  // namespace

ModuleParser findModuleParser(const std::string& name) {
  auto it =
      std::find_if(kModules.begin(), kModules.end(), [&](const ModuleRow& row) { return row.name == name; });
  return it == kModules.end() ? nullptr : it->parse;
}

void applyModule(const std::string& name, std::vector<Token> tokens, const MatcherContext& ctx, Json& set) {
  ModuleParser parse = findModuleParser(name);
  Dispenser d(std::move(tokens));
  if (parse == nullptr) {
    d.next();
    throw d.err("getting matcher module '" + name + "': module not registered: http.matchers." + name);
  }
  Json value;  // null: a fresh module, as Caddy's mod.New()
  if (set.is_object() && set.contains(name)) {
    value = set[name];
  }
  parse(d, ctx, value);
  if (!set.is_object()) {
    set = Json::object();
  }
  set[name] = std::move(value);
}

std::vector<std::pair<std::string, std::vector<Token>>> collectModuleSegments(Dispenser& d) {
  std::vector<std::pair<std::string, std::vector<Token>>> groups;
  for (int nesting = d.nesting(); d.nextArg() || d.nextBlock(nesting);) {
    const std::string name = d.val();
    std::vector<Token> segment = d.nextSegment();
    auto it =
        std::find_if(groups.begin(), groups.end(), [&](const auto& group) { return group.first == name; });
    if (it == groups.end()) {
      groups.emplace_back(name, std::move(segment));
    } else {
      it->second.insert(it->second.end(), segment.begin(), segment.end());
    }
  }
  return groups;
}

}  // namespace matchers

void parseMatcherModule(const std::string& name, Dispenser& d, config::MatcherSet& set,
                        const std::string& definitionName) {
  matchers::MatcherContext ctx;
  ctx.name = !definitionName.empty() && definitionName[0] == '@' ? definitionName.substr(1) : definitionName;
  matchers::applyModule(name, d.nextSegment(), ctx, set);
  matchers::sortKeys(set);
}

}  // namespace gatehouse::parser
