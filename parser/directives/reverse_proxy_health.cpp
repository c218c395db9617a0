// reverse_proxy health checks: active (health_*) and passive (fail_duration, max_fails,
// unhealthy_*).

#include "directives/reverse_proxy.h"

namespace gatehouse::parser::proxy {
namespace {

Json& active(ProxyHandler& rp) {
  return child(child(rp.fields, "health_checks"), "active");
}
Json& passive(ProxyHandler& rp) {
  return child(child(rp.fields, "health_checks"), "passive");
}

std::string oneArg(Dispenser& d) {
  if (!d.nextArg()) {
    throw d.argErr();
  }
  return d.val();
}

// "2xx" means the class 2; anything else must be a number
long long statusValue(const Dispenser& d, std::string text, const std::string& shown) {
  if (text.size() == 3 && text.substr(1) == "xx") {
    text = text.substr(0, 1);
  }
  return intOrThrow(d, text, "bad status value '" + shown + "': ");
}

bool parseActive(Dispenser& d, ProxyHandler& rp) {
  const std::string sub = d.val();
  if (sub == "health_uri") {
    setOrOmit(active(rp), "uri", oneArg(d));
  } else if (sub == "health_path") {
    // deprecated in favour of health_uri; Caddy only logs a warning
    setOrOmit(active(rp), "path", oneArg(d));
  } else if (sub == "health_upstream") {
    const std::string v = oneArg(d);
    size_t colon = v.rfind(':');
    if (colon == std::string::npos) {
      throw d.err("health_upstream is malformed '" + v + "': address " + v + ": missing port in address");
    }
    intOrThrow(d, v.substr(colon + 1), "bad port number '" + v + "': ");
    active(rp)["upstream"] = v;
  } else if (sub == "health_port") {
    const std::string v = oneArg(d);
    if (active(rp).contains("upstream")) {
      throw d.err("the 'health_port' subdirective is ignored if 'health_upstream' is used!");
    }
    setOrOmit(active(rp), "port", intOrThrow(d, v, "bad port number '" + v + "': "));
  } else if (sub == "health_headers") {
    Json headers = Json::object();
    for (int n = d.nesting(); d.nextBlock(n);) {
      const std::string key = d.val();
      auto values = d.remainingArgs();
      if (values.empty()) {
        values.emplace_back();
      }
      if (!headers.contains(key)) {
        headers[key] = Json::array();
      }
      for (const auto& v : values) {
        headers[key].push_back(v);
      }
    }
    setOrOmit(active(rp), "headers", headers);
    active(rp);
  } else if (sub == "health_method") {
    setOrOmit(active(rp), "method", oneArg(d));
  } else if (sub == "health_request_body") {
    setOrOmit(active(rp), "body", oneArg(d));
  } else if (sub == "health_interval") {
    const std::string v = oneArg(d);
    setOrOmit(active(rp), "interval", durationOrThrow(d, v, "bad interval value " + v + ": "));
  } else if (sub == "health_timeout") {
    const std::string v = oneArg(d);
    setOrOmit(active(rp), "timeout", durationOrThrow(d, v, "bad timeout value " + v + ": "));
  } else if (sub == "health_status") {
    const std::string v = oneArg(d);
    setOrOmit(active(rp), "expect_status", statusValue(d, v, v));
  } else if (sub == "health_body") {
    setOrOmit(active(rp), "expect_body", oneArg(d));
  } else if (sub == "health_follow_redirects") {
    if (d.nextArg()) {
      throw d.argErr();
    }
    active(rp)["follow_redirects"] = true;
  } else if (sub == "health_passes" || sub == "health_fails") {
    const std::string v = oneArg(d);
    const bool passes = sub == "health_passes";
    long long n =
        intOrThrow(d, v, std::string("invalid ") + (passes ? "passes" : "fails") + " count '" + v + "': ");
    setOrOmit(active(rp), passes ? "passes" : "fails", n);
  } else {
    return false;
  }
  return true;
}

bool parsePassive(Dispenser& d, ProxyHandler& rp) {
  const std::string sub = d.val();
  if (sub == "max_fails") {
    const std::string v = oneArg(d);
    setOrOmit(passive(rp), "max_fails", intOrThrow(d, v, "invalid maximum fail count '" + v + "': "));
  } else if (sub == "fail_duration") {
    const std::string v = oneArg(d);
    setOrOmit(passive(rp), "fail_duration", durationOrThrow(d, v, "bad duration value '" + v + "': "));
  } else if (sub == "unhealthy_request_count") {
    const std::string v = oneArg(d);
    setOrOmit(passive(rp), "unhealthy_request_count",
              intOrThrow(d, v, "invalid maximum connection count '" + v + "': "));
  } else if (sub == "unhealthy_status") {
    auto args = d.remainingArgs();
    if (args.empty()) {
      throw d.argErr();
    }
    Json& p = passive(rp);
    if (!p.contains("unhealthy_status")) {
      p["unhealthy_status"] = Json::array();
    }
    for (const auto& a : args) {
      // Caddy names the line's last token in this error, not the bad value
      p["unhealthy_status"].push_back(statusValue(d, a, d.val()));
    }
  } else if (sub == "unhealthy_latency") {
    const std::string v = oneArg(d);
    setOrOmit(passive(rp), "unhealthy_latency", durationOrThrow(d, v, "bad duration value '" + v + "': "));
  } else {
    return false;
  }
  return true;
}

}  // namespace

// health_uri <uri>            health_port <port>          health_interval <interval>
// health_passes <num>         health_fails <num>          health_timeout <duration>
// health_status <status>      health_body <regexp>        health_method <method>
// health_request_body <body>  health_follow_redirects     health_upstream <host:port>
// health_headers { <field> [<values...>] }
// fail_duration <duration>    max_fails <num>             unhealthy_status <status...>
// unhealthy_latency <duration>  unhealthy_request_count <num>
bool parseHealthSubdirective(Dispenser& d, ProxyHandler& rp) {
  return parseActive(d, rp) || parsePassive(d, rp);
}

}  // namespace gatehouse::parser::proxy
