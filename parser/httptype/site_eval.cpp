// Evaluating one site block: shorthand placeholders, named matchers, then each directive's
// unmarshaller, with its values piled up by class.

#include <algorithm>
#include <set>

#include "gatehouse/parser/directive_table.h"
#include "gatehouse/parser/matchers.h"
#include "httptype/adapt_steps.h"

namespace gatehouse::parser {
namespace {

bool startsWithAt(const std::string& s) {
  return !s.empty() && s[0] == '@';
}

size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// A block whose first line inside names a request matcher ("websocket { header ... }") was
// almost certainly meant as a named matcher definition.
bool looksLikeMatcherBlock(const Segment& seg) {
  static const std::set<std::string> kMatchers = {
      "client_ip", "expression",  "file",     "header", "header_regexp", "host", "method",     "not",
      "path",      "path_regexp", "protocol", "query",  "remote_ip",     "vars", "vars_regexp"};
  return seg.size() >= 3 && seg[1].text == "{" && !seg[1].quoted() && kMatchers.count(seg[2].text) > 0;
}

[[noreturn]] void unknownDirective(const Segment& seg, const ServerBlock& block) {
  const std::string& dir = seg.front().text;
  std::string msg = "unrecognized directive: " + dir;
  if (!block.hasBraces) {
    msg +=
        "\nDid you mean to define a second site? If so, you must use curly braces around each site to "
        "separate their configurations.";
  }
  if (looksLikeMatcherBlock(seg)) {
    msg += "\nDid you mean a matcher '@" + dir + "'? Named matcher definitions start with '@'.";
  } else {
    // Only a near miss of a name long enough to tell (a third of its letters at most; not
    // Caddy's, which suggests nothing): "*" or "bob" get no "fs" or "log".
    std::string_view best;
    size_t bestDist = std::min<size_t>(3, std::max<size_t>(1, dir.size() / 3) + 1);
    for (auto name : directiveNames()) {
      size_t d = editDistance(dir, name);
      if (d < bestDist) {
        bestDist = d;
        best = name;
      }
    }
    if (!best.empty()) {
      msg += "\nDid you mean '" + std::string(best) + "'?";
    }
  }
  throw ConfigError(seg.front().loc, msg);
}

// The named routes an `invoke` recorded while this directive ran.
void collectInvokes(AdaptState& state, std::vector<ConfigValue>& pile) {
  auto it = state.blockState.find("named_route");
  if (it == state.blockState.end() || !it->second.is_object()) {
    return;
  }
  for (const auto& [name, _] : it->second.items()) {
    pile.push_back(ConfigValue{"named_route", Json(name), "invoke"});
  }
  state.blockState.erase(it);
}

}  // namespace

void checkSiteKeys(const std::vector<ServerBlock>& blocks) {
  for (const auto& b : blocks) {
    for (size_t j = 0; j < b.keys.size(); ++j) {
      const Token& k = b.keys[j];
      if (j == 0 && startsWithAt(k.text)) {
        throw ConfigError(k.loc, "cannot define a matcher outside of a site block: '" + k.text + "'");
      }
      if (findDirective(k.text) != nullptr) {
        throw ConfigError(k.loc,
                          "parsed '" + k.text +
                              "' as a site address, but it is a known directive; directives must appear "
                              "in a site block");
      }
    }
  }
}

SiteBlock evaluateSiteBlock(ServerBlock block, AdaptState& state) {
  for (auto& seg : block.segments) {
    replaceShorthands(seg);
  }
  if (block.keys.empty()) {
    throw ConfigError(block.segments.empty() || block.segments.front().empty()
                          ? Location{}
                          : block.segments.front().front().loc,
                      "server block without any key is global configuration, and if used, it must be first");
  }
  SiteBlock sb;
  sb.block = std::move(block);

  auto defs = std::make_shared<MatcherDefs>();
  for (const auto& seg : sb.block.segments) {
    if (!seg.empty() && startsWithAt(seg.front().text)) {
      Dispenser d(seg);
      parseMatcherDefinition(d, *defs);
    }
  }

  for (const auto& seg : sb.block.segments) {
    if (seg.empty() || startsWithAt(seg.front().text)) {
      continue;
    }
    const std::string dir = seg.front().text;
    const DirectiveSpec* spec = findDirective(dir);
    if (spec == nullptr) {
      unknownDirective(seg, sb.block);
    }
    Helper h(Dispenser(seg), state, sb.block, defs);
    std::vector<ConfigValue> results;
    try {
      results = runDirective(*spec, h);
    } catch (const ConfigError& e) {
      throw ConfigError(e.hasLocation() ? e.location() : seg.front().loc,
                        "parsing caddyfile tokens for '" + dir + "': " + e.message());
    }
    const std::string normalized = normalizeDirectiveName(dir);
    for (auto& r : results) {
      r.directive = normalized;
      sb.pile[r.cls].push_back(std::move(r));
    }
    collectInvokes(state, sb.pile["named_route"]);
  }
  // The directives are done with the tokens; only the keys are needed from here on. With
  // thousands of sites, keeping them all until the end doubled the adapter's memory.
  sb.block.segments = {};
  return sb;
}

void parseSiteKeys(SiteBlock& sb, size_t index) {
  sb.keys.clear();
  for (size_t j = 0; j < sb.block.keys.size(); ++j) {
    const auto& key = sb.block.keys[j];
    try {
      sb.keys.push_back(parseAddress(key));
    } catch (const ConfigError& e) {
      // Worded as caddy 2.6.2, which meets a bad key when it maps keys to listeners.
      throw ConfigError(e.hasLocation() ? e.location() : key.loc,
                        "server block " + std::to_string(index) + ", key " + std::to_string(j) + " (" +
                            key.text + "): determining listener address: parsing key: " + e.message());
    }
  }
}

}  // namespace gatehouse::parser
