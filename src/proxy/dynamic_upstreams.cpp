#include "proxy/dynamic_upstreams.h"

#include <algorithm>
#include <random>

#include "provision/known_keys.h"
#include "provision/provision_error.h"
#include "provision/runtime.h"
#include "proxy/dns_records.h"
#include "proxy/upstream_transport.h"

namespace gatehouse::proxy {

using config::Json;
using provision::onlyKeys;
using provision::ProvisionError;

namespace {

std::string text(const Json& j, const char* key, const std::string& path) {
  if (!j.contains(key)) {
    return {};
  }
  if (!j[key].is_string()) {
    throw ProvisionError(path + "." + key, "expected a string");
  }
  return j[key].get<std::string>();
}

std::string joinHostPort(const std::string& host, const std::string& port) {
  return host.find(':') != std::string::npos ? "[" + host + "]:" + port : host + ":" + port;
}

}  // namespace

DynamicSource DynamicSource::parse(const Json& j, const std::string& path) {
  DynamicSource s;
  const std::string source = j.is_object() ? j.value("source", "") : "";
  if (source == "multi") {
    s.kind = Kind::Multi;
    onlyKeys(j, path, {"source", "sources"});
    const Json& list = j.contains("sources") ? j["sources"] : Json::array();
    for (size_t i = 0; i < list.size(); ++i) {
      s.sources.push_back(parse(list[i], path + ".sources[" + std::to_string(i) + "]"));
    }
    return s;
  }
  if (source == "a") {
    onlyKeys(
        j, path,
        {"source", "name", "port", "refresh", "resolver", "dial_timeout", "dial_fallback_delay", "versions"});
  } else if (source == "srv") {
    s.kind = Kind::Srv;
    onlyKeys(j, path,
             {"source", "service", "proto", "name", "refresh", "resolver", "dial_timeout",
              "dial_fallback_delay", "grace_period"});
    s.service = router::Template(text(j, "service", path));
    s.proto = router::Template(text(j, "proto", path));
  } else {
    throw ProvisionError(path + ".source", "unknown dynamic upstream source '" + source + "'");
  }
  s.name = router::Template(text(j, "name", path));
  if (j.contains("port")) {
    s.port = router::Template(text(j, "port", path));
  }
  if (j.contains("refresh")) {
    s.refresh = provision::parseDuration(j["refresh"], path + ".refresh");
  }
  if (s.refresh.count() <= 0) {
    s.refresh = std::chrono::minutes(1);  // Caddy's default, also for 0
  }
  if (j.contains("grace_period")) {
    s.gracePeriod = provision::parseDuration(j["grace_period"], path + ".grace_period");
  }
  if (j.contains("dial_timeout")) {
    s.dialTimeout = provision::parseDuration(j["dial_timeout"], path + ".dial_timeout");
  }
  // In Caddy, dial_fallback_delay paces Happy Eyeballs in the dialer that reaches the DNS
  // servers; they are IP addresses here (one address each), so it has nothing to race, and
  // the answers are IP addresses too. Validated as the transport's (negative allowed).
  if (j.contains("dial_fallback_delay")) {
    TransportConfig::parseFallbackDelay(j["dial_fallback_delay"], path + ".dial_fallback_delay");
  }
  if (j.contains("resolver")) {
    const std::string p = path + ".resolver";
    onlyKeys(j["resolver"], p, {"addresses"});
    const Json& list = j["resolver"].contains("addresses") ? j["resolver"]["addresses"] : Json::array();
    for (size_t i = 0; i < list.size(); ++i) {
      auto r = list[i].is_string() ? ResolverAddress::parse(list[i].get<std::string>()) : std::nullopt;
      if (!r) {
        throw ProvisionError(p + ".addresses[" + std::to_string(i) + "]",
                             "expected a resolver IP address, optionally with udp/ or tcp/ and a port");
      }
      s.resolvers.push_back(*r);
    }
  }
  if (j.contains("versions")) {
    const std::string p = path + ".versions";
    onlyKeys(j["versions"], p, {"ipv4", "ipv6"});
    const Json& v = j["versions"];
    const bool any = v.contains("ipv4") || v.contains("ipv6");
    // As Caddy: naming neither asks both; naming one asks only those set true.
    s.v4 = !any || v.value("ipv4", false);
    s.v6 = !any || v.value("ipv6", false);
    if (!s.v4 && !s.v6) {
      s.v4 = s.v6 = true;
    }
  }
  return s;
}

struct DynamicLookups::Work {
  uv_work_t req{};
  DynamicLookups* owner = nullptr;
  std::string key;
  DynamicSource::Kind kind = DynamicSource::Kind::A;
  std::string name;
  std::string port;
  bool hasServer = false;
  ResolverAddress server;
  std::chrono::milliseconds timeout{5'000};
  bool v4 = true;
  bool v6 = true;
  std::chrono::milliseconds refresh{0};
  std::chrono::milliseconds grace{0};
  std::vector<std::string> dials;
  std::string error;

  // On a thread-pool thread.
  void run() {
    DnsQuery q{hasServer ? &server : nullptr, timeout};
    if (kind == DynamicSource::Kind::A) {
      for (auto& ip : lookupAddresses(q, name, v4, v6, error)) {
        dials.push_back(joinHostPort(ip, port));
      }
      return;
    }
    for (const auto& r : lookupSrv(q, name, error)) {
      dials.push_back(joinHostPort(r.target, std::to_string(r.port)));
    }
  }
};

DynamicLookups::~DynamicLookups() {
  for (Work* w : running_) {
    w->owner = nullptr;  // its callback frees it
    uv_cancel(reinterpret_cast<uv_req_t*>(&w->req));
  }
}

DynamicLookups::State DynamicLookups::collect(const DynamicSource& source, const runtime::Exchange& ex,
                                              const Waiter& waiter, std::vector<std::string>& dials,
                                              std::string& error) {
  if (source.kind != DynamicSource::Kind::Multi) {
    return collectOne(source, ex, waiter, dials, error);
  }
  // Every source is asked at once; their answers are appended in order once all are in.
  // A failing source only contributes nothing (Caddy logs it): multi itself never fails.
  State state = State::Ready;
  std::vector<std::string> all;
  for (const auto& s : source.sources) {
    std::string ignored;
    if (collect(s, ex, waiter, all, ignored) == State::Pending) {
      state = State::Pending;
    }
  }
  if (state == State::Ready) {
    dials.insert(dials.end(), all.begin(), all.end());
  }
  return state;
}

DynamicLookups::State DynamicLookups::collectOne(const DynamicSource& s, const runtime::Exchange& ex,
                                                 const Waiter& waiter, std::vector<std::string>& dials,
                                                 std::string& error) {
  std::string name = s.name.render(ex);
  std::string port = s.kind == DynamicSource::Kind::A ? s.port.render(ex) : std::string();
  if (s.kind == DynamicSource::Kind::Srv && !(s.service.source().empty() && s.proto.source().empty())) {
    name = "_" + s.service.render(ex) + "._" + s.proto.render(ex) + "." + name;
  }
  // Per source (its resolvers, refresh and versions) and rendered name, as Caddy keys it.
  std::string key = std::to_string(reinterpret_cast<uintptr_t>(&s)) + " " + name + " " + port;
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    makeRoom();
    it = entries_.emplace(key, Entry{}).first;
  }
  Entry& e = it->second;
  const uint64_t now = uv_now(loop_);
  if (!e.running && e.answered && static_cast<int64_t>(now) - e.fetchedAt < s.refresh.count()) {
    dials.insert(dials.end(), e.dials.begin(), e.dials.end());
    return State::Ready;
  }
  if (!e.running && e.failed && e.failedAt == now) {
    error = e.error;  // the lookup this request waited for failed: no second try now
    return State::Ready;
  }
  if (!e.running) {
    start(s, key, name, port);
  }
  e.waiters.push_back(waiter);
  return State::Pending;
}

void DynamicLookups::makeRoom() {
  if (entries_.size() < 100) {
    return;  // Caddy's bound on cached lookups
  }
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (!it->second.running) {
      entries_.erase(it);
      return;
    }
  }
}

void DynamicLookups::start(const DynamicSource& s, const std::string& key, const std::string& name,
                           const std::string& port) {
  auto w = std::make_unique<Work>();
  w->req.data = w.get();
  w->owner = this;
  w->key = key;
  w->kind = s.kind;
  w->name = name;
  w->port = port;
  if (!s.resolvers.empty()) {
    // One of the configured resolvers at random per lookup, as Caddy picks.
    std::random_device rd;
    w->hasServer = true;
    w->server = s.resolvers[rd() % s.resolvers.size()];
  }
  if (s.dialTimeout.count() > 0) {
    w->timeout = s.dialTimeout;
  }
  w->v4 = s.v4;
  w->v6 = s.v6;
  w->refresh = s.refresh;
  w->grace = s.kind == DynamicSource::Kind::Srv ? s.gracePeriod : std::chrono::milliseconds(0);
  Entry& e = entries_[key];
  const int rc = uv_queue_work(
      loop_, &w->req, [](uv_work_t* req) { static_cast<Work*>(req->data)->run(); }, &DynamicLookups::onDone);
  if (rc != 0) {
    e.failed = true;
    e.failedAt = uv_now(loop_);
    e.error = std::string("DNS lookup not started: ") + uv_strerror(rc);
    return;
  }
  e.running = true;
  running_.push_back(w.release());
}

void DynamicLookups::onDone(uv_work_t* req, int status) {
  std::unique_ptr<Work> w(static_cast<Work*>(req->data));
  if (w->owner == nullptr) {
    return;  // the handler's worker state is gone
  }
  if (status != 0 && w->error.empty()) {
    w->error = std::string("DNS lookup: ") + uv_strerror(status);
  }
  w->owner->finish(*w);
}

void DynamicLookups::finish(Work& w) {
  std::erase(running_, &w);
  auto it = entries_.find(w.key);
  if (it == entries_.end()) {
    return;
  }
  Entry& e = it->second;
  e.running = false;
  const uint64_t now = uv_now(loop_);
  if (!w.dials.empty()) {
    e.dials = std::move(w.dials);
    e.answered = true;
    e.fetchedAt = static_cast<int64_t>(now);
    e.failed = false;
  } else if (e.answered && w.grace.count() > 0) {
    // srv grace_period: the stale answer stays in use for that long before the next try.
    e.fetchedAt = static_cast<int64_t>(now) - (w.refresh - w.grace).count();
    e.failed = false;
  } else {
    e.failed = true;
    e.failedAt = now;
    e.error = w.error;
  }
  auto waiters = std::move(e.waiters);
  e.waiters.clear();
  for (auto& weak : waiters) {
    if (auto call = weak.lock()) {
      (*call)();
    }
  }
}

}  // namespace gatehouse::proxy
