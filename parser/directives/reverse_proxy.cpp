// The reverse_proxy directive (Caddy's reverseproxy.Handler.UnmarshalCaddyfile): the
// subdirective switch, the transport checks made once all upstreams are known, and the
// handler's JSON.

#include "directives/reverse_proxy.h"

namespace gatehouse::parser::proxy {
namespace {

// The ranges `trusted_proxies private_ranges` stands for (Caddy's PrivateRangesCIDR).
const std::vector<std::string> kPrivateRanges = {"192.168.0.0/16", "172.16.0.0/12", "10.0.0.0/8",
                                                 "127.0.0.1/8",    "fd00::/8",      "::1"};

// flush_interval, stream_timeout and stream_close_delay take a bare integer (nanoseconds)
// or a duration.
void durationOrNanos(Dispenser& d, ProxyHandler& rp, const std::string& key) {
  if (!d.nextArg()) {
    throw d.argErr();
  }
  std::string ignored;
  if (auto n = atoi(d.val(), &ignored)) {
    setOrOmit(rp.fields, key, *n);
    return;
  }
  setOrOmit(rp.fields, key, durationOrThrow(d, d.val(), "bad duration value '" + d.val() + "': "));
}

// request_buffers|response_buffers <size>|unlimited
void buffers(Dispenser& d, ProxyHandler& rp, const std::string& key) {
  if (!d.nextArg()) {
    throw d.argErr();
  }
  const std::string v = d.val();
  int64_t size = -1;
  if (v != "unlimited") {
    std::string error;
    auto n = parseBytes(v, &error);
    if (!n) {
      throw d.err("invalid byte size '" + v + "': " + error);
    }
    size = static_cast<int64_t>(*n);
  }
  if (d.nextArg()) {
    throw d.argErr();
  }
  setOrOmit(rp.fields, key, size);
}

// method <method> / rewrite <to>
void rewriteField(Dispenser& d, ProxyHandler& rp, const std::string& key) {
  if (!d.nextArg()) {
    throw d.argErr();
  }
  setOrOmit(child(rp.fields, "rewrite"), key, d.val());
  if (d.nextArg()) {
    throw d.argErr();
  }
}

// transport <name> { ... }
void transport(Dispenser& d, ProxyHandler& rp) {
  if (!d.nextArg()) {
    throw d.argErr();
  }
  if (rp.fields.contains("transport")) {
    throw d.err("transport already specified");
  }
  const std::string name = d.val();
  if (name != "http" && name != "fastcgi") {
    unknownModule(d, "http.reverse_proxy.transport." + name);
  }
  Dispenser module = d.newFromNextSegment();
  rp.transportModule = name;
  rp.transport = name == "http" ? unmarshalHttpTransport(module) : unmarshalFastcgiTransport(module);
}

// Encodes the transport once the upstreams' scheme is known: https needs TLS, h2c needs
// HTTP/2 cleartext, plain http must not have TLS.
void finishTransport(Dispenser& d, ProxyHandler& rp) {
  const std::string& scheme = rp.commonScheme;
  if ((scheme == "https" || scheme == "h2c") && !rp.transport) {
    rp.transport = Json::object();
    rp.transportModule = "http";
  }
  if (!rp.transport) {
    return;
  }
  Json& t = *rp.transport;
  if (rp.transportModule == "http") {
    if (scheme == "https" && !t.contains("tls")) {
      t["tls"] = Json::object();
    }
    if (scheme == "http" && t.contains("tls")) {
      throw d.err("upstream address scheme is HTTP but transport is configured for HTTP+TLS (HTTPS)");
    }
    if (scheme == "h2c") {
      t["versions"] = Json::array({"h2c", "2"});
    }
  } else if (scheme == "https") {
    throw d.err(
        "upstreams are configured for HTTPS but transport module does not support TLS: *fastcgi.Transport");
  }
  // an empty HTTP transport is the default one: nothing to encode
  if (rp.transportModule == "http" && t.empty()) {
    return;
  }
  t["protocol"] = rp.transportModule;
  rp.fields["transport"] = t;
}

}  // namespace

// reverse_proxy [<matcher>] [<upstreams...>] {
//     to <upstreams...>                  dynamic <source> [...]
//     lb_policy <name> [<options...>]    lb_retries <n>
//     lb_try_duration <duration>         lb_try_interval <interval>
//     lb_retry_match <request-matcher>
//     health_* ...                       (active checks, see reverse_proxy_health.cpp)
//     fail_duration, max_fails, unhealthy_status, unhealthy_latency, unhealthy_request_count
//     flush_interval <duration>          request_buffers <size>
//     response_buffers <size>            stream_buffer_size <size>
//     buffer_requests                    buffer_responses      (2.6.2's flags)
//     max_buffer_size <size>             (2.6.2's limit for those flags)
//     stream_timeout <duration>          stream_close_delay <duration>
//     verbose_logs
//     trusted_proxies [private_ranges] <ranges...>
//     header_up [+|-]<field> [<value|regexp> [<replacement>]]
//     header_down [+|-]<field> [<value|regexp> [<replacement>]]
//     method <method>                    rewrite <to>
//     transport <name> { ... }
//     @name { status <code...>  header <field> [<value>] }
//     replace_status [<matcher>] <status_code>
//     handle_response [<matcher>] { <directives...> }
// }
void unmarshalReverseProxy(Dispenser& d, ProxyHandler& rp) {
  d.next();  // the directive name
  for (const auto& up : d.remainingArgs()) {
    appendUpstream(d, rp, up);
  }
  if (!rp.fields.contains("handle_response")) {
    rp.fields["handle_response"] = Json::array();
  }
  for (int n = 0; d.nextBlock(n);) {
    const std::string sub = d.val();
    if (!sub.empty() && sub[0] == '@') {
      parseNamedResponseMatcher(d, rp.responseMatchers);
    } else if (parseUpstreamSubdirective(d, rp) || parseLoadBalancingSubdirective(d, rp) ||
               parseHealthSubdirective(d, rp) || parseHeaderSubdirective(d, rp)) {
      continue;
    } else if (sub == "flush_interval" || sub == "stream_timeout" || sub == "stream_close_delay") {
      durationOrNanos(d, rp, sub);
    } else if (sub == "request_buffers" || sub == "response_buffers") {
      buffers(d, rp, sub);
    } else if (sub == "buffer_requests" || sub == "buffer_responses") {
      // Caddy 2.6.2's buffering flags (request_buffers/response_buffers replaced them later).
      if (d.nextArg()) {
        throw d.argErr();
      }
      rp.fields[sub] = true;
    } else if (sub == "stream_buffer_size" || sub == "max_buffer_size") {
      if (!d.nextArg()) {
        throw d.argErr();
      }
      std::string error;
      auto size = parseBytes(d.val(), &error);
      if (!size) {
        throw d.err("invalid byte size '" + d.val() + "': " + error);
      }
      if (sub == "max_buffer_size" && d.nextArg()) {
        throw d.argErr();
      }
      setOrOmit(rp.fields, sub, static_cast<int64_t>(*size));
    } else if (sub == "trusted_proxies") {
      Json& ranges = rp.fields["trusted_proxies"];
      if (!ranges.is_array()) {
        ranges = Json::array();
      }
      while (d.nextArg()) {
        if (d.val() == "private_ranges") {
          for (const auto& r : kPrivateRanges) {
            ranges.push_back(r);
          }
        } else {
          ranges.push_back(d.val());
        }
      }
    } else if (sub == "method") {
      rewriteField(d, rp, "method");
    } else if (sub == "rewrite") {
      rewriteField(d, rp, "uri");
    } else if (sub == "transport") {
      transport(d, rp);
    } else if (sub == "handle_response") {
      // parsed in finalizeReverseProxy, which has the Helper subroutes need
      rp.handleResponseSegments.push_back(d.nextSegment());
    } else if (sub == "replace_status") {
      parseReplaceStatus(d, rp.responseMatchers, rp.fields["handle_response"]);
    } else if (sub == "verbose_logs") {
      if (rp.fields.contains("verbose_logs")) {
        throw d.err("verbose_logs already specified");
      }
      rp.fields["verbose_logs"] = true;
    } else {
      throw d.err("unrecognized subdirective " + sub);
    }
  }
  finishTransport(d, rp);
}

void finalizeReverseProxy(Helper& h, ProxyHandler& rp) {
  finalizeResponseHandlers(h, rp.responseMatchers, rp.handleResponseSegments, rp.fields["handle_response"]);
  rp.handleResponseSegments.clear();
  rp.responseMatchers.clear();
}

config::Handler ProxyHandler::toHandler() const {
  Json out = Json::object();
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    // load_balancing is a pointer in Caddy: any lb_* subdirective makes it, so `lb_retries 0`
    // prints an empty object rather than nothing.
    if (it.key() == "load_balancing" && it.value().is_object()) {
      out[it.key()] = it.value();
      continue;
    }
    setOrOmit(out, it.key(), it.value());
  }
  config::Handler handler;
  handler.name = "reverse_proxy";
  handler.fields = sortedKeys(out);
  return handler;
}

config::Handler parseReverseProxy(Helper& h) {
  ProxyHandler rp;
  unmarshalReverseProxy(h, rp);
  for (const auto& w : rp.warnings) {
    h.state().warnings.push_back(Warning{Location{}, "reverse_proxy", w});
  }
  finalizeReverseProxy(h, rp);
  return rp.toHandler();
}

}  // namespace gatehouse::parser::proxy
