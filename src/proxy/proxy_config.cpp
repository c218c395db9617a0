#include "proxy/proxy_config.h"

#include <algorithm>

#include "handlers/handlers.h"
#include "provision/known_keys.h"
#include "provision/provision_error.h"
#include "provision/runtime.h"
#include "proxy/proxy_errors.h"
#include "proxy/upstream_tls.h"

namespace gatehouse::proxy {

using config::Json;
using provision::onlyKeys;
using provision::ProvisionError;

namespace {

size_t positiveSize(const Json& v, const std::string& path) {
  if (!v.is_number_integer() || v.get<int64_t>() <= 0) {
    throw ProvisionError(path, "expected a positive integer");
  }
  return v.get<size_t>();
}

// Caddy's `versions`: "1.1", "2", "h2c" (HTTP/3 to upstreams is refused).
void parseVersions(const Json& v, const std::string& path, TransportConfig& t) {
  if (!v.is_array()) {
    throw ProvisionError(path, "expected an array of HTTP versions");
  }
  t.h2 = false;
  t.h2c = false;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string ver = v[i].is_string() ? v[i].get<std::string>() : "";
    const std::string p = path + "[" + std::to_string(i) + "]";
    if (ver == "2") {
      t.h2 = true;
    } else if (ver == "h2c") {
      t.h2c = true;
    } else if (ver == "3") {
      throw ProvisionError(p, "HTTP/3 to upstreams is not supported yet");
    } else if (ver != "1.1" && ver != "1") {
      throw ProvisionError(p, "unknown HTTP version '" + ver + "'");
    }
  }
}

// A keep_alive object replaces Caddy's defaults as a whole (2.6.2 hands its fields to Go's
// Transport and Dialer as they are): what it leaves out takes Go's zero-value meaning, so
// no idle timeout, 2 idle connections per host, probes every 15 s.
void parseKeepAlive(const Json& v, const std::string& p, ProxyConfig& c) {
  onlyKeys(v, p, {"enabled", "idle_timeout", "max_idle_conns", "max_idle_conns_per_host", "probe_interval"});
  if (v.contains("enabled") && !v["enabled"].is_boolean()) {
    throw ProvisionError(p + ".enabled", "expected true or false");
  }
  c.keepAlive.enabled = v.value("enabled", true);
  c.keepAlive.idleTimeout = v.contains("idle_timeout")
                                ? provision::parseDuration(v["idle_timeout"], p + ".idle_timeout")
                                : std::chrono::milliseconds(0);
  c.keepAlive.maxIdle = 0;
  c.keepAlive.maxIdlePerHost = 2;  // Go's DefaultMaxIdleConnsPerHost
  for (const char* key : {"max_idle_conns", "max_idle_conns_per_host"}) {
    if (!v.contains(key)) {
      continue;
    }
    const Json& n = v[key];
    if (!n.is_number_integer()) {
      throw ProvisionError(p + "." + key, "expected an integer");
    }
    const int64_t count = n.get<int64_t>();
    const bool total = std::string_view(key) == "max_idle_conns";
    if (count < 0) {
      c.keepAlive.maxIdlePerHost = 0;  // Go: below zero, no connection is ever kept idle
    } else if (total) {
      c.keepAlive.maxIdle = static_cast<size_t>(count);
    } else if (count > 0) {
      c.keepAlive.maxIdlePerHost = static_cast<size_t>(count);
    }
  }
  c.transport.keepAliveProbe = std::chrono::milliseconds(15'000);
  if (v.contains("probe_interval")) {
    // Nanoseconds: any negative value turns probes off (even -1ns), any positive one sets
    // a period (Go rounds it up to whole seconds).
    const Json& pi = v["probe_interval"];
    const int64_t ns = pi.is_number_integer()
                           ? pi.get<int64_t>()
                           : provision::parseDuration(pi, p + ".probe_interval").count() * 1'000'000;
    if (ns < 0) {
      c.transport.keepAliveProbe = std::chrono::milliseconds(-1);
    } else if (ns > 0) {
      c.transport.keepAliveProbe = std::chrono::milliseconds(std::max<int64_t>(1, ns / 1'000'000));
    }
  }
}

void parseTransport(const Json& t, const std::string& path, ProxyConfig& c) {
  if (t.is_object() && t.value("protocol", "") == "fastcgi") {
    c.fastcgi = FastCgiTransport::parse(t, path);
    c.dialTimeout = c.fastcgi->dialTimeout;
    c.keepAlive.enabled = false;  // a connection per request, as Caddy's client dials
    return;
  }
  onlyKeys(t, path,
           {"protocol", "dial_timeout", "response_header_timeout", "read_buffer_size", "write_buffer_size",
            "max_response_header_size", "keep_alive", "versions", "compression", "tls", "proxy_protocol",
            "local_address", "resolver", "dial_fallback_delay", "expect_continue_timeout",
            "max_conns_per_host", "read_timeout", "write_timeout"});
  if (t.value("protocol", "http") != "http") {
    throw ProvisionError(path + ".protocol",
                         "transport '" + t.value("protocol", "") + "' is not supported yet");
  }
  for (const auto& [k, v] : t.items()) {
    const std::string p = path + "." + k;
    if (k == "dial_timeout") {
      c.dialTimeout = provision::parseDuration(v, p);
    } else if (k == "dial_fallback_delay") {
      c.transport.fallbackDelay = TransportConfig::parseFallbackDelay(v, p);
    } else if (k == "response_header_timeout") {
      c.responseHeaderTimeout = provision::parseDuration(v, p);
    } else if (k == "expect_continue_timeout") {
      c.expectContinueTimeout = provision::parseDuration(v, p);
    } else if (k == "read_timeout") {
      c.transport.readTimeout = std::max(provision::parseDuration(v, p), std::chrono::milliseconds(0));
    } else if (k == "write_timeout") {
      c.transport.writeTimeout = std::max(provision::parseDuration(v, p), std::chrono::milliseconds(0));
    } else if (k == "max_conns_per_host") {
      if (!v.is_number_integer()) {
        throw ProvisionError(p, "expected an integer");
      }
      if (v.get<int64_t>() > 0) {  // as Go's Transport: zero or less is no limit
        c.connLimit = std::make_shared<ConnLimit>(v.get<size_t>());
      }
    } else if (k == "read_buffer_size") {
      c.readBuffer = positiveSize(v, p);
    } else if (k == "write_buffer_size") {
      c.writeBuffer = positiveSize(v, p);
    } else if (k == "max_response_header_size") {
      c.maxResponseHeader = positiveSize(v, p);
    } else if (k == "versions") {
      parseVersions(v, p, c.transport);
    } else if (k == "compression") {
      if (!v.is_boolean()) {
        throw ProvisionError(p, "expected true or false");
      }
      c.transport.compression = v.get<bool>();
    } else if (k == "tls") {
      c.transport.tls = UpstreamTls::parse(v, p);
    } else if (k == "proxy_protocol") {
      const std::string version = v.is_string() ? v.get<std::string>() : "";
      if (version != "v1" && version != "v2") {
        throw ProvisionError(p, "expected \"v1\" or \"v2\"");
      }
      c.transport.proxyProtocol = version == "v1" ? ProxyProtocol::V1 : ProxyProtocol::V2;
    } else if (k == "resolver") {
      onlyKeys(v, p, {"addresses"});
      const Json& list = v.contains("addresses") ? v["addresses"] : Json::array();
      for (size_t i = 0; i < list.size(); ++i) {
        auto r = list[i].is_string() ? ResolverAddress::parse(list[i].get<std::string>()) : std::nullopt;
        if (!r) {
          throw ProvisionError(p + ".addresses[" + std::to_string(i) + "]",
                               "expected a resolver IP address, optionally with udp/ or tcp/ and a port");
        }
        c.transport.resolvers.push_back(*r);
      }
    } else if (k == "local_address") {
      auto local = v.is_string() ? TransportConfig::parseLocalAddress(v.get<std::string>()) : std::nullopt;
      if (!local) {
        throw ProvisionError(p, "expected an IP address, optionally with a port");
      }
      c.transport.localAddress = local;
    } else if (k == "keep_alive") {
      parseKeepAlive(v, p, c);
    }
  }
  c.transport.dialTimeout = c.dialTimeout;  // Happy Eyeballs' attempts share it
  // A PROXY header names one client: its connection must never carry another's request
  // (Caddy disables keep-alive for it too).
  if (!c.transport.reusableConnections()) {
    c.keepAlive.enabled = false;
  }
}

}  // namespace

// {http.reverse_proxy.upstream.hostport} of an address: Caddy's DialInfo.Address, which for
// a Unix socket is its path alone ({...upstream.address} keeps "unix//path").
std::string hostportOf(const UpstreamAddress& a) {
  return a.unix                                  ? a.path
         : a.host.find(':') != std::string::npos ? "[" + a.host + "]:" + a.port
                                                 : a.host + ":" + a.port;
}

std::string networkAddressOf(const UpstreamAddress& a, const std::string& hostport) {
  if (a.unix) {
    return a.dial;
  }
  for (const char* net : {"tcp4/", "tcp6/"}) {
    if (a.dial.starts_with(net)) {
      return net + hostport;
    }
  }
  return "tcp/" + hostport;
}

namespace {

std::vector<std::string> dialsOf(const std::vector<Upstream>& upstreams) {
  std::vector<std::string> dials;
  dials.reserve(upstreams.size());
  for (const auto& u : upstreams) {
    dials.push_back(u.address.dial);
  }
  return dials;
}

// Request matcher sets, as a route's `match` (any set matching lets the request be retried).
std::vector<router::MatcherSet> parseRetryMatch(const Json& v, const std::string& path) {
  if (!v.is_array()) {
    throw ProvisionError(path, "expected an array of matcher sets");
  }
  std::vector<router::MatcherSet> sets;
  for (size_t i = 0; i < v.size(); ++i) {
    sets.push_back(router::compileMatcherSet(v[i], path + "[" + std::to_string(i) + "]"));
  }
  return sets;
}

void parseLoadBalancing(const Json& lb, const std::string& path, ProxyConfig& c) {
  onlyKeys(lb, path, {"selection_policy", "try_duration", "try_interval", "retries", "retry_match"});
  c.policy = makeSelectionPolicy(lb.contains("selection_policy") ? lb["selection_policy"] : Json(),
                                 path + ".selection_policy", dialsOf(c.upstreams));
  if (lb.contains("try_duration")) {
    c.tryDuration = provision::parseDuration(lb["try_duration"], path + ".try_duration");
  }
  if (lb.contains("try_interval")) {
    c.tryInterval = provision::parseDuration(lb["try_interval"], path + ".try_interval");
  }
  if (lb.contains("retries")) {
    c.retries = static_cast<uint32_t>(positiveSize(lb["retries"], path + ".retries"));
  }
  if (lb.contains("retry_match")) {
    c.retryMatch = parseRetryMatch(lb["retry_match"], path + ".retry_match");
  }
}

void parseHealth(const Json& hc, const std::string& path, ProxyConfig& c) {
  onlyKeys(hc, path, {"passive", "active"});
  if (hc.contains("active")) {
    c.active = ActiveHealth::parse(hc["active"], path + ".active");
    if (!c.active->enabled) {
      c.active.reset();  // no uri, path or port: Caddy 2.6.2 runs no active checks
    }
  }
  if (!hc.contains("passive")) {
    return;
  }
  const Json& ph = hc["passive"];
  const std::string p = path + ".passive";
  onlyKeys(
      ph, p,
      {"fail_duration", "max_fails", "unhealthy_status", "unhealthy_latency", "unhealthy_request_count"});
  auto& h = c.passive;
  h.configured = true;
  if (ph.contains("fail_duration")) {
    h.failDuration = provision::parseDuration(ph["fail_duration"], p + ".fail_duration");
  }
  if (ph.contains("max_fails")) {
    h.maxFails = static_cast<uint32_t>(positiveSize(ph["max_fails"], p + ".max_fails"));
    h.maxFailsGiven = true;
  }
  if (ph.contains("unhealthy_status")) {
    h.unhealthyStatus = ph["unhealthy_status"].get<std::vector<int>>();
  }
  if (ph.contains("unhealthy_latency")) {
    h.unhealthyLatency = provision::parseDuration(ph["unhealthy_latency"], p + ".unhealthy_latency");
  }
  if (ph.contains("unhealthy_request_count")) {
    h.unhealthyRequestCount =
        static_cast<uint32_t>(positiveSize(ph["unhealthy_request_count"], p + ".unhealthy_request_count"));
  }
}

}  // namespace

namespace {

// caddy 2.6.2's `lookup_srv` upstream: refused as its Provision refuses it (with a dial
// address or active health checks), else an SRV source asked through the system's resolver
// (Go's net.DefaultResolver) with no cache of its own: 2.6.2 asks DNS for every request.
Upstream lookupSrvUpstream(const Json& u, const std::string& p, const Json& handler) {
  onlyKeys(u, p, {"lookup_srv", "dial", "max_requests"});
  if (!u["lookup_srv"].is_string()) {
    throw ProvisionError(p + ".lookup_srv", "expected a string");
  }
  const std::string name = u["lookup_srv"].get<std::string>();
  const std::string dial = u.value("dial", "");
  const std::string both = "{\"dial\": \"" + dial + "\", \"lookup_srv\": \"" + name + "\"}";
  const std::string index = p.substr(p.rfind('[') + 1, p.size() - p.rfind('[') - 2);
  if (handler.contains("health_checks") && handler["health_checks"].contains("active")) {
    throw ProvisionError(
        p, "upstream: lookup_srv is incompatible with active health checks: " + index + ": " + both);
  }
  if (!dial.empty()) {
    throw ProvisionError(
        p, "upstream: specifying dial address is incompatible with lookup_srv: " + index + ": " + both);
  }
  auto src = std::make_shared<DynamicSource>();
  src->kind = DynamicSource::Kind::Srv;
  src->name = router::Template(name);
  // 1ms: requests woken by the lookup they waited for take its answer; later ones ask again.
  src->refresh = std::chrono::milliseconds(1);
  Upstream up;
  up.dial = name;  // the key of its counters, as Caddy's Upstream.String()
  up.address.dial = name;
  up.hostport = name;
  up.srv = std::move(src);
  if (u.contains("max_requests")) {
    up.maxRequests = static_cast<uint32_t>(positiveSize(u["max_requests"], p + ".max_requests"));
  }
  return up;
}

}  // namespace

std::unique_ptr<ProxyConfig> ProxyConfig::parse(const config::Handler& h, const std::string& path,
                                                const handlers::RouteCompiler& compile) {
  handlers::requireKnownFields(
      h, path,
      {"upstreams", "transport", "load_balancing", "health_checks", "headers", "flush_interval",
       "trusted_proxies", "stream_timeout", "handle_response", "rewrite", "stream_close_delay",
       "dynamic_upstreams", "request_buffers", "response_buffers", "buffer_requests", "buffer_responses",
       "max_buffer_size"});
  auto c = std::make_unique<ProxyConfig>();
  c->nameserver = systemNameserver();
  const Json& f = h.fields;
  if (f.contains("dynamic_upstreams")) {
    c->dynamic = DynamicSource::parse(f["dynamic_upstreams"], path + ".dynamic_upstreams");
  }
  if (f.contains("upstreams") && !f["upstreams"].is_array() && !f["upstreams"].is_null()) {
    throw ProvisionError(path + ".upstreams", std::string("json: cannot unmarshal ") +
                                                  f["upstreams"].type_name() +
                                                  " into Go struct field Handler.upstreams of type "
                                                  "reverseproxy.UpstreamPool");
  }
  const bool hasStatic = f.contains("upstreams") && f["upstreams"].is_array() && !f["upstreams"].empty();
  // No upstreams at all is valid, as in Caddy: every request gets 503 "no upstreams available".
  const Json& statics = hasStatic ? f["upstreams"] : Json::array();
  for (size_t i = 0; i < statics.size(); ++i) {
    const Json& u = statics[i];
    const std::string p = path + ".upstreams[" + std::to_string(i) + "]";
    if (u.contains("lookup_srv")) {
      c->upstreams.push_back(lookupSrvUpstream(u, p, f));
      c->hasLookupSrv = true;
      continue;
    }
    onlyKeys(u, p, {"dial", "max_requests"});
    std::string error;
    const std::string dial = u.value("dial", "");
    Upstream up;
    up.dial = dial;
    // A foreign network ("udp/...", "api/*:80") or an address that does not parse ("",
    // "x", "h:99999") loads as in Caddy, which reads dial addresses per request: it takes
    // the per-request path, whose parseResolved answers each request 502.
    std::optional<UpstreamAddress> addr;
    if (!UpstreamAddress::isTemplate(dial) && !UpstreamAddress::namesForeignNetwork(dial)) {
      addr = UpstreamAddress::parse(dial, error);
    }
    if (addr) {
      up.address = *addr;
      up.hostport = hostportOf(*addr);
      up.network = networkAddressOf(*addr, up.hostport);
    } else {
      up.address.dial = dial;
      up.hostport = dial;
      up.dialTemplate = std::make_shared<const router::Template>(dial);
    }
    if (u.contains("max_requests")) {
      up.maxRequests = static_cast<uint32_t>(positiveSize(u["max_requests"], p + ".max_requests"));
    }
    c->upstreams.push_back(std::move(up));
  }
  c->policy = makeSelectionPolicy(Json(), path, dialsOf(c->upstreams));
  if (f.contains("transport")) {
    parseTransport(f["transport"], path + ".transport", *c);
  }
  if (f.contains("load_balancing")) {
    parseLoadBalancing(f["load_balancing"], path + ".load_balancing", *c);
  }
  if (f.contains("health_checks")) {
    parseHealth(f["health_checks"], path + ".health_checks", *c);
  }
  if (f.contains("headers")) {
    const Json& hd = f["headers"];
    onlyKeys(hd, path + ".headers", {"request", "response"});
    if (hd.contains("request")) {
      c->requestHeaders = HeaderOps::parse(hd["request"], path + ".headers.request");
    }
    if (hd.contains("response")) {
      c->responseHeaders = HeaderOps::parse(hd["response"], path + ".headers.response");
    }
  }
  // flush_interval: every response piece is written as soon as it arrives, which is what
  // -1 asks for and at least as often as any positive interval; so any value is honoured.
  if (f.contains("flush_interval")) {
    // (the Caddyfile's -1 is -1 ns, which a millisecond count rounds to zero)
    provision::parseDuration(f["flush_interval"], path + ".flush_interval");
    c->flushAtOnce = provision::durationSign(f["flush_interval"]) < 0;
  }
  if (f.contains("handle_response")) {
    c->responseHandlers = ResponseHandler::parseAll(f["handle_response"], path + ".handle_response", compile);
  }
  if (f.contains("rewrite")) {
    config::Handler rw{"rewrite", f["rewrite"], {}, std::nullopt};
    c->rewrite = handlers::makeRewrite(rw, path + ".rewrite");
  }
  c->buffering = BodyBuffering::parse(f, path);
  if (f.contains("stream_timeout")) {
    c->streamTimeout = provision::parseDuration(f["stream_timeout"], path + ".stream_timeout");
  }
  if (f.contains("stream_close_delay")) {
    c->streamCloseDelay = provision::parseDuration(f["stream_close_delay"], path + ".stream_close_delay");
  }
  // Active checks with the fastcgi transport are accepted as Caddy 2.6.2 accepts them; they
  // only log its failure (fastcgi_health_notice.h).
  if (f.contains("trusted_proxies")) {
    for (size_t i = 0; i < f["trusted_proxies"].size(); ++i) {
      const Json& r = f["trusted_proxies"][i];
      auto range = r.is_string() ? router::IpRange::parse(r.get<std::string>()) : std::nullopt;
      if (!range) {
        throw ProvisionError(path + ".trusted_proxies[" + std::to_string(i) + "]", "invalid IP range");
      }
      c->trustedProxies.push_back(*range);
    }
  }
  return c;
}

}  // namespace gatehouse::proxy
