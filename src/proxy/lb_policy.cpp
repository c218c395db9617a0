#include "proxy/lb_policy.h"

#include <algorithm>
#include <random>

#include "http/uri.h"
#include "provision/provision_error.h"
#include "provision/runtime.h"
#include "proxy/connection_pool.h"
#include "proxy/lb_cookie.h"

namespace gatehouse::proxy {

using provision::ProvisionError;
using runtime::Exchange;

namespace {

// Every value of `key` in a raw query, decoded as Go's url.Query() and joined with ","
// (current Caddy's query policy, so repeating the key cannot steer the pick).
std::string queryValues(std::string_view q, std::string_view key) {
  auto decode = [](std::string_view raw) {
    std::string plus(raw);
    std::replace(plus.begin(), plus.end(), '+', ' ');
    return http::percentDecode(plus);
  };
  std::string out;
  bool any = false;
  const size_t pieces = q.size() + 1;  // bound: every turn consumes at least one byte
  for (size_t turn = 0; !q.empty() && turn < pieces; ++turn) {
    const size_t amp = q.find('&');
    const std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    const size_t eq = pair.find('=');
    auto k = decode(pair.substr(0, eq));
    auto v = decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (pair.empty() || !k || !v || *k != key) {
      continue;
    }
    out += any ? "," + *v : *v;
    any = true;
  }
  return out;
}

class RandomPolicy final : public SelectionPolicy {
 public:
  int choose(const std::vector<size_t>& avail, const Exchange&, ConnectionPool& pool,
             const DynamicCandidates* /*dynamic*/) const override {
    return avail.empty() ? -1 : static_cast<int>(pool.randomBelow(avail.size()));
  }
};

class FirstPolicy final : public SelectionPolicy {
 public:
  int choose(const std::vector<size_t>& avail, const Exchange&, ConnectionPool&,
             const DynamicCandidates* /*dynamic*/) const override {
    return avail.empty() ? -1 : 0;
  }
};

class RoundRobinPolicy final : public SelectionPolicy {
 public:
  explicit RoundRobinPolicy(size_t total) : total_(total) {}
  int choose(const std::vector<size_t>& avail, const Exchange&, ConnectionPool& pool,
             const DynamicCandidates* dynamic) const override {
    if (avail.empty()) {
      return -1;
    }
    // Walk the full list from the cursor, skipping unavailable upstreams, as Caddy does.
    const size_t total = dynamic != nullptr ? dynamic->dials.size() : total_;
    for (size_t tries = 0; tries < total; ++tries) {
      const size_t want = (pool.nextRoundRobin() + 1) % total;  // Caddy adds before it picks: pool[1] first
      for (size_t i = 0; i < avail.size(); ++i) {
        if (avail[i] == want) {
          return static_cast<int>(i);
        }
      }
    }
    return 0;
  }

 private:
  size_t total_;
};

class LeastConnPolicy final : public SelectionPolicy {
 public:
  int choose(const std::vector<size_t>& avail, const Exchange&, ConnectionPool& pool,
             const DynamicCandidates* dynamic) const override {
    int best = -1;
    uint32_t fewest = UINT32_MAX;
    size_t ties = 0;
    for (size_t i = 0; i < avail.size(); ++i) {
      const uint32_t n = pool.inFlight(stateOf(avail[i], dynamic));
      if (n < fewest) {
        fewest = n;
        best = static_cast<int>(i);
        ties = 1;
      } else if (n == fewest && pool.randomBelow(++ties) == 0) {
        best = static_cast<int>(i);  // reservoir sampling among equals
      }
    }
    return best;
  }
};

class RandomChoosePolicy final : public SelectionPolicy {
 public:
  explicit RandomChoosePolicy(size_t choose) : choose_(choose) {}
  int choose(const std::vector<size_t>& avail, const Exchange&, ConnectionPool& pool,
             const DynamicCandidates* dynamic) const override {
    if (avail.empty()) {
      return -1;
    }
    int best = -1;
    for (size_t k = 0; k < choose_; ++k) {
      const int i = static_cast<int>(pool.randomBelow(avail.size()));
      if (best < 0 || pool.inFlight(stateOf(avail[static_cast<size_t>(i)], dynamic)) <
                          pool.inFlight(stateOf(avail[static_cast<size_t>(best)], dynamic))) {
        best = i;
      }
    }
    return best;
  }

 private:
  size_t choose_;
};

// Rendezvous hashing over the key; an empty key goes to the fallback policy (random by
// default), as Caddy's header and query policies do.
class HashPolicy final : public SelectionPolicy {
 public:
  using KeyOf = std::function<std::string(const Exchange&)>;
  HashPolicy(KeyOf key, std::vector<std::string> dials, std::unique_ptr<SelectionPolicy> fallback)
      : key_(std::move(key)), dials_(std::move(dials)), fallback_(std::move(fallback)) {}
  int choose(const std::vector<size_t>& avail, const Exchange& ex, ConnectionPool& pool,
             const DynamicCandidates* dynamic) const override {
    if (avail.empty()) {
      return -1;
    }
    const std::string key = key_(ex);
    if (key.empty()) {
      return fallback_->select(avail, ex, pool, dynamic);
    }
    return pickByHash(avail, dynamic != nullptr ? dynamic->dials : dials_, key);
  }

 private:
  KeyOf key_;
  std::vector<std::string> dials_;
  std::unique_ptr<SelectionPolicy> fallback_;
};

// Caddy's weighted_round_robin: a shared counter walks the positive weights; the slot it
// lands in indexes (modulo) the available upstreams whose weight is not zero.
class WeightedRoundRobinPolicy final : public SelectionPolicy {
 public:
  explicit WeightedRoundRobinPolicy(std::vector<int> weights) : weights_(std::move(weights)) {
    for (int w : weights_) {
      total_ += w;
      if (w > 0) {
        positive_.push_back(w);
      }
    }
  }
  int choose(const std::vector<size_t>& avail, const Exchange&, ConnectionPool& pool,
             const DynamicCandidates* /*dynamic*/) const override {
    if (avail.empty()) {
      return -1;
    }
    if (weights_.size() < 2) {
      return avail.front() == 0 ? 0 : -1;  // Caddy answers pool[0] whatever its state
    }
    const int current = static_cast<int>((pool.nextRoundRobin() + 1) % static_cast<size_t>(total_));
    size_t slot = 0;
    int running = 0;
    for (size_t i = 0; i < positive_.size(); ++i) {
      running += positive_[i];
      if (current < running) {
        slot = i;
        break;
      }
    }
    std::vector<size_t> eligible;  // positions in `avail`
    for (size_t i = 0; i < avail.size() && eligible.size() < positive_.size(); ++i) {
      if (avail[i] < weights_.size() && weights_[avail[i]] > 0) {
        eligible.push_back(i);
      }
    }
    if (eligible.empty()) {
      return -1;
    }
    return static_cast<int>(eligible[slot % eligible.size()]);
  }

 private:
  std::vector<int> weights_;
  std::vector<int> positive_;
  int total_ = 0;
};

}  // namespace

uint32_t fnv1a32(std::string_view a, std::string_view b) {
  uint32_t h = 2166136261U;
  for (std::string_view part : {a, b}) {
    for (const char c : part) {
      h = (h ^ static_cast<uint8_t>(c)) * 16777619U;
    }
  }
  return h;
}

int pickByHash(const std::vector<size_t>& avail, const std::vector<std::string>& dials,
               std::string_view key) {
  // As caddy 2.6.2: the highest fnv1a32(key + dial) wins, the first of equals; a hash of 0
  // never wins (its running maximum starts at 0), so a pool of such hashes has no pick.
  int best = -1;
  uint32_t highest = 0;
  for (size_t i = 0; i < avail.size(); ++i) {
    const std::string_view dial =
        avail[i] < dials.size() ? std::string_view(dials[avail[i]]) : std::string_view();
    const uint32_t h = fnv1a32(key, dial);
    if (h > highest) {
      highest = h;
      best = static_cast<int>(i);
    }
  }
  return best;
}

std::unique_ptr<SelectionPolicy> makeSelectionPolicy(const config::Json& j, const std::string& path,
                                                     const std::vector<std::string>& dials) {
  const size_t upstreams = dials.size();
  if (j.is_null()) {
    return std::make_unique<RandomPolicy>();
  }
  const std::string policy = j.value("policy", "random");
  auto onlyFields = [&](std::initializer_list<const char*> known) {
    for (const auto& [k, _] : j.items()) {
      if (k != "policy" && std::find(known.begin(), known.end(), k) == known.end()) {
        throw ProvisionError(path + "." + k, "selection policy field '" + k + "' is not supported yet");
      }
    }
  };
  if (policy == "random") {
    onlyFields({});
    return std::make_unique<RandomPolicy>();
  }
  if (policy == "first") {
    onlyFields({});
    return std::make_unique<FirstPolicy>();
  }
  if (policy == "round_robin") {
    onlyFields({});
    return std::make_unique<RoundRobinPolicy>(upstreams);
  }
  if (policy == "least_conn") {
    onlyFields({});
    return std::make_unique<LeastConnPolicy>();
  }
  if (policy == "random_choose") {
    onlyFields({"choose"});
    const int choose = j.value("choose", 2);
    if (choose < 1) {
      throw ProvisionError(path + ".choose", "must be at least 1");
    }
    return std::make_unique<RandomChoosePolicy>(static_cast<size_t>(choose));
  }
  auto fallback = [&]() {
    return makeSelectionPolicy(j.contains("fallback") ? j["fallback"] : config::Json(), path + ".fallback",
                               dials);
  };
  if (policy == "ip_hash" || policy == "client_ip_hash") {
    // No trusted-proxy client IP resolution yet: both hash the connection's address.
    onlyFields({});
    return std::make_unique<HashPolicy>([](const Exchange& ex) { return ex.request.remoteIp; }, dials,
                                        std::make_unique<RandomPolicy>());
  }
  if (policy == "uri_hash") {
    onlyFields({});
    return std::make_unique<HashPolicy>([](const Exchange& ex) { return ex.request.uri(); }, dials,
                                        std::make_unique<RandomPolicy>());
  }
  if (policy == "weighted_round_robin") {
    onlyFields({"weights"});
    std::vector<int> weights;
    int total = 0;
    if (j.contains("weights")) {
      const auto& w = j["weights"];
      for (size_t i = 0; w.is_array() && i < w.size(); ++i) {
        if (!w[i].is_number_integer() || w[i].get<int64_t>() < 0 || w[i].get<int64_t>() > 1'000'000) {
          throw ProvisionError(path + ".weights[" + std::to_string(i) + "]",
                               "a weight is an integer from 0 to 1000000");
        }
        weights.push_back(w[i].get<int>());
        total += weights.back();
      }
    }
    if (total <= 0) {
      throw ProvisionError(path + ".weights",
                           "weighted_round_robin requires at least one upstream with a positive weight");
    }
    return std::make_unique<WeightedRoundRobinPolicy>(std::move(weights));
  }
  if (policy == "cookie") {
    onlyFields({"name", "secret", "max_age", "fallback"});
    CookiePolicy::Options o;
    o.name = j.value("name", "");
    if (o.name.empty()) {
      o.name = "lb";
    }
    o.secret = j.value("secret", "");
    if (j.contains("max_age")) {
      o.maxAge = provision::parseDuration(j["max_age"], path + ".max_age");
    }
    return std::make_unique<CookiePolicy>(std::move(o), dials, fallback());
  }
  if (policy == "header") {
    onlyFields({"field", "fallback"});
    std::string field = j.value("field", "");
    if (field.empty()) {
      throw ProvisionError(path + ".field", "the header policy needs a field");
    }
    return std::make_unique<HashPolicy>(
        [field](const Exchange& ex) {
          if (runtime::equalsIgnoreCase(field, "Host")) {
            return ex.request.host;
          }
          return std::string(ex.request.headers.get(field));
        },
        dials, fallback());
  }
  if (policy == "query") {
    onlyFields({"key", "fallback"});
    std::string key = j.value("key", "");
    if (key.empty()) {
      throw ProvisionError(path + ".key", "the query policy needs a key");
    }
    return std::make_unique<HashPolicy>(
        [key](const Exchange& ex) { return queryValues(ex.request.query, key); }, dials, fallback());
  }
  throw ProvisionError(path + ".policy", "selection policy '" + policy + "' is not supported yet");
}

}  // namespace gatehouse::proxy
