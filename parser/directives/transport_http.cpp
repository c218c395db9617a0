// reverse_proxy's `transport http { ... }` block (Caddy's HTTPTransport).

#include "directives/reverse_proxy.h"

namespace gatehouse::parser::proxy {
namespace {

std::string oneArg(Dispenser& d) {
  if (!d.nextArg()) {
    throw d.argErr();
  }
  return d.val();
}

int64_t bytesArg(Dispenser& d, const std::string& what) {
  const std::string v = oneArg(d);
  std::string error;
  auto n = parseBytes(v, &error);
  if (!n) {
    throw d.err("invalid " + what + " size '" + v + "': " + error);
  }
  return static_cast<int64_t>(*n);
}

// tls_trust_pool file [<pem_files...>] { pem_file <pem_files...> }
// tls_trust_pool inline { trust_der <base64_der...> }
// tls_trust_pool pki_root|pki_intermediate [<ca_names...>] { authority <ca_names...> }
// (cursor before the source name)
Json trustPool(Dispenser& d) {
  d.next();
  const std::string source = d.val();
  std::string keyword;  // the block's one subdirective
  std::string field;    // the JSON list it fills
  std::string missing = "no certificates specified";
  if (source == "file") {
    keyword = "pem_file";
    field = "pem_files";
  } else if (source == "inline") {
    keyword = "trust_der";
    field = "trusted_ca_certs";
  } else if (source == "pki_root" || source == "pki_intermediate") {
    keyword = "authority";
    field = "authority";
    missing = "no authorities specified";
  } else {
    unknownModule(d, "tls.ca_pool.source." + source);
  }
  if (source == "inline" && d.countRemainingArgs() > 0) {
    throw d.argErr();
  }
  Json items = Json::array();
  for (const auto& arg : d.remainingArgs()) {
    items.push_back(arg);
  }
  for (int n = d.nesting(); d.nextBlock(n);) {
    if (d.val() != keyword) {
      throw d.err("unrecognized directive: " + d.val());
    }
    for (const auto& arg : d.remainingArgs()) {
      items.push_back(arg);
    }
  }
  if (items.empty()) {
    throw d.err(missing);
  }
  return Json{{field, items}, {"provider", source}};
}

// network_proxy url <url> | none  (cursor before the source name)
Json networkProxy(Dispenser& d) {
  d.next();
  const std::string source = d.val();
  Json proxy = Json::object();
  if (source == "url") {
    proxy["url"] = oneArg(d);
  } else if (source != "none") {
    unknownModule(d, "caddy.network_proxy." + source);
  }
  proxy["from"] = source;
  return proxy;
}

bool parseTlsOption(Dispenser& d, Json& t) {
  const std::string opt = d.val();
  auto tls = [&t]() -> Json& { return child(t, "tls"); };
  if (opt == "tls") {
    tls();
  } else if (opt == "tls_client_auth") {
    auto args = d.remainingArgs();
    if (args.size() == 1) {
      setOrOmit(tls(), "client_certificate_automate", args[0]);
    } else if (args.size() == 2) {
      setOrOmit(tls(), "client_certificate_file", args[0]);
      setOrOmit(tls(), "client_certificate_key_file", args[1]);
    } else {
      throw d.argErr();
    }
  } else if (opt == "tls_insecure_skip_verify") {
    if (d.nextArg()) {
      throw d.argErr();
    }
    tls()["insecure_skip_verify"] = true;
  } else if (opt == "tls_curves") {
    auto args = d.remainingArgs();
    if (args.empty()) {
      throw d.argErr();
    }
    tls()["curves"] = args;
  } else if (opt == "tls_timeout") {
    const std::string v = oneArg(d);
    int64_t ns = durationOrThrow(d, v, "bad timeout value '" + v + "': ");
    setOrOmit(tls(), "handshake_timeout", ns);
  } else if (opt == "tls_trusted_ca_certs") {
    auto args = d.remainingArgs();
    if (args.empty()) {
      throw d.argErr();
    }
    if (tls().contains("ca")) {
      throw d.err("cannot specify both 'tls_trust_pool' and 'tls_trusted_ca_certs");
    }
    tls()["root_ca_pem_files"] = args;
  } else if (opt == "tls_trust_pool") {
    if (!d.nextArg()) {
      throw d.argErr();
    }
    Dispenser module = d.newFromNextSegment();
    Json ca = trustPool(module);
    if (tls().contains("root_ca_pem_files")) {
      throw d.err("cannot specify both 'tls_trust_pool' and 'tls_trusted_ca_certs'");
    }
    if (tls().contains("ca")) {
      throw d.err("cannot specify \"tls_trust_pool\" twice in caddyfile");
    }
    tls()["ca"] = ca;
  } else if (opt == "tls_server_name") {
    setOrOmit(tls(), "server_name", oneArg(d));
  } else if (opt == "tls_renegotiation") {
    tls();
    const std::string v = oneArg(d);
    if (v != "never" && v != "once" && v != "freely") {
      throw d.argErr();
    }
    tls()["renegotiation"] = v;
  } else if (opt == "tls_except_ports") {
    auto ports = d.remainingArgs();
    setOrOmit(tls(), "except_ports", ports);
    if (ports.empty()) {
      throw d.argErr();
    }
  } else {
    return false;
  }
  return true;
}

bool parseKeepAliveOption(Dispenser& d, Json& t) {
  const std::string opt = d.val();
  if (opt == "keepalive") {
    const std::string v = oneArg(d);
    Json& ka = child(t, "keep_alive");
    if (v == "off") {
      ka["enabled"] = false;
    } else {
      setOrOmit(ka, "idle_timeout", durationOrThrow(d, v, "bad duration value '" + v + "': "));
    }
  } else if (opt == "keepalive_interval") {
    const std::string v = oneArg(d);
    int64_t ns = durationOrThrow(d, v, "bad interval value '" + v + "': ");
    setOrOmit(child(t, "keep_alive"), "probe_interval", ns);
  } else if (opt == "keepalive_idle_conns" || opt == "keepalive_idle_conns_per_host") {
    const std::string v = oneArg(d);
    long long n = intOrThrow(d, v, "bad integer value '" + v + "': ");
    setOrOmit(child(t, "keep_alive"),
              opt == "keepalive_idle_conns" ? "max_idle_conns" : "max_idle_conns_per_host", n);
  } else {
    return false;
  }
  return true;
}

}  // namespace

// transport http {
//     read_buffer <size>                  write_buffer <size>
//     max_response_header <size>          read_timeout <duration>
//     write_timeout <duration>            proxy_protocol v1|v2
//     network_proxy <source> [...]        forward_proxy_url <url>
//     dial_timeout <duration>             dial_fallback_delay <duration>
//     response_header_timeout <duration>  expect_continue_timeout <duration>
//     resolvers <addresses...>            local_address <address>
//     tls                                 tls_client_auth <automate_name> | <cert_file> <key_file>
//     tls_insecure_skip_verify            tls_curves <curves...>
//     tls_timeout <duration>              tls_trusted_ca_certs <pem_files...>
//     tls_trust_pool <source> [...]       tls_server_name <sni>
//     tls_renegotiation never|once|freely tls_except_ports <ports...>
//     keepalive off|<duration>            keepalive_interval <interval>
//     keepalive_idle_conns <count>        keepalive_idle_conns_per_host <count>
//     versions <versions...>              compression off
//     max_conns_per_host <count>
// }
Json unmarshalHttpTransport(Dispenser& d) {
  Json t = Json::object();
  // As caddy's loop over the segment: a token after the name (`transport http on {`) is
  // passed over and the block after it is still read.
  while (d.next()) {
    for (int n = d.nesting(); d.nextBlock(n);) {
      const std::string opt = d.val();
      if (opt == "read_buffer") {
        setOrOmit(t, "read_buffer_size", bytesArg(d, "read buffer"));
      } else if (opt == "write_buffer") {
        setOrOmit(t, "write_buffer_size", bytesArg(d, "write buffer"));
      } else if (opt == "max_response_header") {
        setOrOmit(t, "max_response_header_size", bytesArg(d, "max response header"));
      } else if (opt == "read_timeout" || opt == "write_timeout") {
        const std::string v = oneArg(d);
        std::string what = opt == "read_timeout" ? "read" : "write";
        setOrOmit(t, opt, durationOrThrow(d, v, "invalid " + what + " timeout duration '" + v + "': "));
      } else if (opt == "proxy_protocol") {
        const std::string v = oneArg(d);
        if (v != "v1" && v != "v2") {
          throw d.err("invalid proxy protocol version '" + v + "'");
        }
        t["proxy_protocol"] = v;
      } else if (opt == "forward_proxy_url") {
        // deprecated spelling of `network_proxy url <url>`
        t["network_proxy"] = Json{{"from", "url"}, {"url", oneArg(d)}};
      } else if (opt == "network_proxy") {
        if (!d.nextArg()) {
          throw d.argErr();
        }
        Dispenser module = d.newFromNextSegment();
        t["network_proxy"] = networkProxy(module);
      } else if (opt == "dial_timeout" || opt == "response_header_timeout" ||
                 opt == "expect_continue_timeout") {
        const std::string v = oneArg(d);
        setOrOmit(t, opt, durationOrThrow(d, v, "bad timeout value '" + v + "': "));
      } else if (opt == "dial_fallback_delay") {
        const std::string v = oneArg(d);
        setOrOmit(t, opt, durationOrThrow(d, v, "bad fallback delay value '" + v + "': "));
      } else if (opt == "resolvers") {
        Json& resolver = child(t, "resolver");
        auto addrs = d.remainingArgs();
        setOrOmit(resolver, "addresses", addrs);
        if (addrs.empty()) {
          throw d.err("must specify at least one resolver address");
        }
      } else if (opt == "versions") {
        auto versions = d.remainingArgs();
        if (versions.empty()) {
          throw d.argErr();
        }
        t["versions"] = versions;
      } else if (opt == "compression") {
        if (d.nextArg() && d.val() == "off") {
          t["compression"] = false;
        }
      } else if (opt == "max_conns_per_host") {
        const std::string v = oneArg(d);
        setOrOmit(t, opt, intOrThrow(d, v, "bad integer value '" + v + "': "));
      } else if (opt == "local_address") {
        setOrOmit(t, opt, oneArg(d));
      } else if (!parseTlsOption(d, t) && !parseKeepAliveOption(d, t)) {
        throw d.err("unrecognized subdirective " + opt);
      }
    }
  }
  return t;
}

}  // namespace gatehouse::parser::proxy
