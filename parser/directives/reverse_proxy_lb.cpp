// reverse_proxy load balancing: selection policies and retries.

#include "directives/reverse_proxy.h"
#include "gatehouse/parser/matchers.h"

namespace gatehouse::parser::proxy {
namespace {

Json selectionPolicy(Dispenser& d);

// fallback <policy> inside query/header/cookie policies
void parseFallback(Dispenser& d, Json& policy) {
  if (!d.nextArg()) {
    throw d.argErr();
  }
  if (policy.contains("fallback")) {
    throw d.err("fallback selection policy already specified");
  }
  Dispenser sub = d.newFromNextSegment();
  policy["fallback"] = selectionPolicy(sub);
}

// lb_policy random|least_conn|round_robin|first|ip_hash|client_ip_hash|uri_hash
// lb_policy random_choose <n>
// lb_policy weighted_round_robin <weights...>
// lb_policy query|header <key> { fallback <policy> }
// lb_policy cookie [<name> [<secret>]] { fallback <policy>  max_age <duration> }
// (cursor before the policy name)
Json selectionPolicy(Dispenser& d) {
  d.next();
  const std::string name = d.val();
  Json p = Json::object();
  if (name == "random" || name == "least_conn" || name == "round_robin" || name == "first" ||
      name == "ip_hash" || name == "client_ip_hash" || name == "uri_hash") {
    if (d.nextArg()) {
      throw d.argErr();
    }
  } else if (name == "weighted_round_robin") {
    auto args = d.remainingArgs();
    if (args.empty()) {
      throw d.argErr();
    }
    Json weights = Json::array();
    for (const auto& w : args) {
      std::string error;
      auto n = atoi(w, &error);
      if (!n) {
        throw d.err("invalid weight value '" + w + "': " + error);
      }
      if (*n < 0) {
        throw d.err("invalid weight value '" + w + "': weight should be non-negative");
      }
      weights.push_back(*n);
    }
    p["weights"] = weights;
  } else if (name == "random_choose") {
    // Caddy 2.6.2 reads the whole segment in pairs of a token and its number (the last
    // pair wins), so anything after <n> is refused as a number or a missing argument.
    do {
      if (!d.nextArg()) {
        throw d.argErr();
      }
      setOrOmit(p, "choose", intOrThrow(d, d.val(), "invalid choice value '" + d.val() + "': "));
    } while (d.next());
  } else if (name == "query" || name == "header") {
    if (!d.nextArg()) {
      throw d.argErr();
    }
    p[name == "query" ? "key" : "field"] = d.val();
    for (int n = d.nesting(); d.nextBlock(n);) {
      if (d.val() != "fallback") {
        throw d.err("unrecognized option '" + d.val() + "'");
      }
      parseFallback(d, p);
    }
  } else if (name == "cookie") {
    auto args = d.remainingArgs();
    if (args.size() > 2) {
      throw d.argErr();
    }
    if (!args.empty()) {
      setOrOmit(p, "name", args[0]);
    }
    if (args.size() == 2) {
      setOrOmit(p, "secret", args[1]);
    }
    for (int n = d.nesting(); d.nextBlock(n);) {
      if (d.val() == "fallback") {
        parseFallback(d, p);
      } else if (d.val() == "max_age") {
        if (!d.nextArg()) {
          throw d.argErr();
        }
        if (p.contains("max_age")) {
          throw d.err("cookie max_age already specified");
        }
        std::string error;
        int64_t maxAge = 0;
        try {
          maxAge = durationOrThrow(d, d.val(), "");
        } catch (const ConfigError&) {
          throw d.err("invalid duration: " + d.val());
        }
        if (maxAge <= 0) {
          throw d.err("invalid duration: " + d.val() + ", max_age should be non-zero and positive");
        }
        if (d.nextArg()) {
          throw d.argErr();
        }
        p["max_age"] = maxAge;
      } else {
        throw d.err("unrecognized option '" + d.val() + "'");
      }
    }
  } else {
    unknownModule(d, "http.reverse_proxy.selection_policies." + name);
  }
  p["policy"] = name;
  return p;
}

// A request matcher set on one line or in a block (Caddy's
// ParseCaddyfileNestedMatcherSet); a lone backtick token is an expression.
Json nestedMatcherSet(Dispenser& d) {
  Json set = Json::object();
  for (int n = d.nesting(); d.nextArg() || d.nextBlock(n);) {
    std::vector<Token> seg = d.nextSegment();
    if (seg.size() == 1 && seg.front().quote == '`') {
      Token name = seg.front();
      name.text = "expression";
      name.quote = 0;
      seg.insert(seg.begin(), name);
    }
    Dispenser sub(std::move(seg));
    sub.next();
    const std::string matcher = sub.val();
    parseMatcherModule(matcher, sub, set);
  }
  return set;
}

}  // namespace

// lb_policy <name> [<options...>]
// lb_retries <n>
// lb_try_duration <duration>
// lb_try_interval <duration>
// lb_retry_match <request-matcher>
bool parseLoadBalancingSubdirective(Dispenser& d, ProxyHandler& rp) {
  const std::string sub = d.val();
  if (sub == "lb_policy") {
    if (!d.nextArg()) {
      throw d.argErr();
    }
    if (rp.fields.contains("load_balancing") && rp.fields["load_balancing"].contains("selection_policy")) {
      throw d.err("load balancing selection policy already specified");
    }
    Dispenser module = d.newFromNextSegment();
    Json policy = selectionPolicy(module);
    child(rp.fields, "load_balancing")["selection_policy"] = policy;
  } else if (sub == "lb_retries") {
    if (!d.nextArg()) {
      throw d.argErr();
    }
    long long tries = intOrThrow(d, d.val(), "bad lb_retries number '" + d.val() + "': ");
    setOrOmit(child(rp.fields, "load_balancing"), "retries", tries);
  } else if (sub == "lb_try_duration" || sub == "lb_try_interval") {
    if (!d.nextArg()) {
      throw d.argErr();
    }
    Json& lb = child(rp.fields, "load_balancing");
    const bool isDuration = sub == "lb_try_duration";
    int64_t ns = durationOrThrow(
        d, d.val(),
        isDuration ? "bad duration value " + d.val() + ": " : "bad interval value '" + d.val() + "': ");
    setOrOmit(lb, isDuration ? "try_duration" : "try_interval", ns);
  } else if (sub == "lb_retry_match") {
    Json set;
    try {
      set = nestedMatcherSet(d);
    } catch (const ConfigError& e) {
      throw d.err("failed to parse lb_retry_match: " + e.message());
    }
    Json& lb = child(rp.fields, "load_balancing");
    if (!lb.contains("retry_match")) {
      lb["retry_match"] = Json::array();
    }
    lb["retry_match"].push_back(set);
  } else {
    return false;
  }
  return true;
}

}  // namespace gatehouse::parser::proxy
