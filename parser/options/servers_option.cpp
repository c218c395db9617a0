// The `servers [<listener_address>] { ... }` global option: settings for the HTTP servers
// listening on that address (or on every address). Each occurrence adds one entry to
// options["servers"]: {"listener_address", "name", "fields": server JSON fields}, kept sorted
// longest address first so the most specific entry applies (applyServerOptions).
#include <algorithm>

#include "options/option_specs.h"
#include "options/option_util.h"

namespace gatehouse::parser::options {
namespace {

// http.ip_sources.static: static [private_ranges|<ranges...>] { ranges ... }
Json parseIpSource(Dispenser& d) {
  const std::string name = d.val();
  if (name != "static") {
    throw d.err("getting module named 'http.ip_sources." + name +
                "': module not registered: http.ip_sources." + name);
  }
  Json ranges = Json::array();
  auto add = [&](const std::string& r) {
    if (r == "private_ranges") {
      for (const char* p :
           {"192.168.0.0/16", "172.16.0.0/12", "10.0.0.0/8", "127.0.0.1/8", "fd00::/8", "::1"}) {
        ranges.push_back(p);
      }
    } else {
      ranges.push_back(r);
    }
  };
  while (d.nextArg())
    add(d.val());
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    if (d.val() != "ranges")
      throw d.err("unrecognized subdirective '" + d.val() + "'");
    while (d.nextArg())
      add(d.val());
  }
  return Json{{"ranges", ranges}, {"source", "static"}};
}

// listener_wrappers { <module> ... }: Caddy 2.6.2 registers only http_redirect and tls,
// neither of which takes configuration (proxy_protocol came in 2.7): their Caddyfile
// unmarshalers read nothing, so tokens after the name and a block are skipped unread, as
// there ("tls {host" is tls). Newer Caddy's http_redirect `status_code` is refused, not
// skipped: a user writing it expects a redirect code 2.6.2 never sends.
Json parseListenerWrappers(Dispenser& d) {
  Json out = Json::array();
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    const std::string name = d.val();
    if (name != "http_redirect" && name != "tls") {
      throw d.err("getting module named 'caddy.listeners." + name +
                  "': module not registered: caddy.listeners." + name);
    }
    d.remainingArgs();
    for (int inner = d.nesting(); d.nextBlock(inner);) {
      if (name == "http_redirect" && d.nesting() == inner + 1 && d.val() == "status_code")
        throw d.err("http_redirect's status_code (newer Caddy) is not supported yet");
    }
    out.push_back(Json{{"wrapper", name}});
  }
  return out;
}

void parseTimeouts(Dispenser& d, Json& fields) {
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    const std::string key = d.val();
    const char* field = key == "read_body"     ? "read_timeout"
                        : key == "read_header" ? "read_header_timeout"
                        : key == "write"       ? "write_timeout"
                        : key == "idle"        ? "idle_timeout"
                                               : nullptr;
    if (!field)
      throw d.err("unrecognized timeouts option '" + key + "'");
    std::string text = onlyArg(d);
    const int64_t ns = durationArg(d, text, std::string("parsing ") + key + " timeout duration");
    if (ns != 0)
      fields[field] = ns;  // omitempty in Caddy: a zero timeout is not printed
    else
      fields.erase(field);
  }
}

void parseUniqueList(Dispenser& d, Json& list, const char* what, bool protocols) {
  for (const auto& v : d.remainingArgs()) {
    if (protocols && v != "h1" && v != "h2" && v != "h2c" && v != "h3") {
      throw d.err("unknown protocol '" + v + "': expected h1, h2, h2c, or h3");
    }
    if (std::find(list.begin(), list.end(), Json(v)) != list.end()) {
      throw d.err(std::string(what) + " " + v + " specified more than once");
    }
    list.push_back(v);
  }
  if (d.nextBlock(d.nesting()))
    throw d.argErr();
}

void parseMetricsBlock(Dispenser& d, Json& fields) {
  Json m = Json::object();
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    if (d.val() == "per_host")
      m["per_host"] = true;
  }
  fields["metrics"] = m;
}

// One subdirective of the block; `entry` is the option entry being built.
void parseServerSetting(Dispenser& d, Json& entry) {
  Json& fields = entry["fields"];
  const std::string key = d.val();
  if (key == "name") {
    if (entry["listener_address"] == "")
      throw d.err("cannot set a name for a server without a listener address");
    entry["name"] = oneArg(d);
  } else if (key == "listener_wrappers") {
    fields["listener_wrappers"] = parseListenerWrappers(d);
  } else if (key == "timeouts") {
    parseTimeouts(d, fields);
  } else if (key == "keepalive_interval" || key == "keepalive_idle") {
    std::string text = onlyArg(d);
    fields[key] = durationArg(d, text, "parsing " + key + " duration");
  } else if (key == "keepalive_count") {
    std::string text = onlyArg(d);
    auto n = parseInt(text);
    if (!n)
      throw d.err("parsing keepalive_count: strconv.Atoi: parsing \"" + text + "\": invalid syntax");
    fields["keepalive_count"] = *n;
  } else if (key == "max_header_size") {
    std::string text = onlyArg(d);
    std::string error;
    auto size = parseBytes(text, &error);
    if (!size)
      throw d.err("parsing max_header_size: " + error);
    fields["max_header_bytes"] = *size;
  } else if (key == "enable_full_duplex" || key == "trusted_proxies_unix" || key == "trace") {
    if (d.nextArg())
      throw d.argErr();
    fields[key] = true;
  } else if (key == "log_credentials") {
    if (d.nextArg())
      throw d.argErr();
    entry["log_credentials"] = true;
  } else if (key == "protocols") {
    parseUniqueList(d, fields["protocols"], "protocol", true);
  } else if (key == "strict_sni_host") {
    if (d.nextArg() && d.val() != "insecure_off" && d.val() != "on") {
      throw d.err("strict_sni_host only supports 'on' or 'insecure_off', got '" + d.val() + "'");
    }
    fields["strict_sni_host"] = d.val() != "insecure_off";
  } else if (key == "trusted_proxies") {
    if (!d.nextArg())
      throw d.err("trusted_proxies expects an IP range source module name as its first argument");
    fields["trusted_proxies"] = parseIpSource(d);
  } else if (key == "trusted_proxies_strict") {
    if (d.nextArg())
      throw d.argErr();
    fields["trusted_proxies_strict"] = 1;
  } else if (key == "client_ip_headers") {
    parseUniqueList(d, fields["client_ip_headers"], "client IP header", false);
  } else if (key == "metrics") {
    parseMetricsBlock(d, fields);
  } else if (key == "0rtt") {
    fields["allow_0rtt"] = !(d.nextArg() && d.val() == "off");
  } else {
    throw d.err("unrecognized servers option '" + key + "'");
  }
}

Json parseServers(Dispenser& d, const Json* existing) {
  d.next();
  Json entry = {{"listener_address", ""}, {"name", ""}, {"fields", Json::object()}};
  if (d.nextArg()) {
    entry["listener_address"] = d.val();
    if (d.nextArg())
      throw d.argErr();
  }
  while (d.nextBlock(0))
    parseServerSetting(d, entry);
  Json all = existing && existing->is_array() ? *existing : Json::array();
  for (const auto& other : all) {
    if (other["listener_address"] == entry["listener_address"]) {
      throw d.err("cannot have 'servers' global options with duplicate listener addresses: " +
                  entry["listener_address"].get<std::string>());
    }
  }
  all.push_back(entry);
  std::stable_sort(all.begin(), all.end(), [](const Json& a, const Json& b) {
    return a["listener_address"].get<std::string>().size() > b["listener_address"].get<std::string>().size();
  });
  return all;
}

}  // namespace

const std::vector<OptionSpec>& serversOptionSpecs() {
  static const std::vector<OptionSpec> kSpecs = {{"servers", parseServers}};
  return kSpecs;
}

}  // namespace gatehouse::parser::options
