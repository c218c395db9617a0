#include "proxy/lb_policy.h"

#include <algorithm>
#include <random>

#include "provision/provision_error.h"
#include "proxy/connection_pool.h"

namespace gatehouse::proxy {

using provision::ProvisionError;
using runtime::Exchange;

namespace {

size_t randomBelow(size_t n) {
  std::random_device rd;
  return static_cast<size_t>(rd()) % n;
}

class RandomPolicy final : public SelectionPolicy {
 public:
  int select(const std::vector<size_t>& avail, const Exchange&, ConnectionPool&) const override {
    return avail.empty() ? -1 : static_cast<int>(randomBelow(avail.size()));
  }
};

class FirstPolicy final : public SelectionPolicy {
 public:
  int select(const std::vector<size_t>& avail, const Exchange&, ConnectionPool&) const override {
    return avail.empty() ? -1 : 0;
  }
};

class RoundRobinPolicy final : public SelectionPolicy {
 public:
  explicit RoundRobinPolicy(size_t total) : total_(total) {}
  int select(const std::vector<size_t>& avail, const Exchange&, ConnectionPool& pool) const override {
    if (avail.empty()) {
      return -1;
    }
    // Walk the full list from the cursor, skipping unavailable upstreams, as Caddy does.
    for (size_t tries = 0; tries < total_; ++tries) {
      const size_t want = pool.nextRoundRobin() % total_;
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
  int select(const std::vector<size_t>& avail, const Exchange&, ConnectionPool& pool) const override {
    int best = -1;
    uint32_t fewest = UINT32_MAX;
    size_t ties = 0;
    for (size_t i = 0; i < avail.size(); ++i) {
      const uint32_t n = pool.state(avail[i]).active;
      if (n < fewest) {
        fewest = n;
        best = static_cast<int>(i);
        ties = 1;
      } else if (n == fewest && randomBelow(++ties) == 0) {
        best = static_cast<int>(i);  // reservoir sampling among equals
      }
    }
    return best;
  }
};

class RandomChoosePolicy final : public SelectionPolicy {
 public:
  explicit RandomChoosePolicy(size_t choose) : choose_(choose) {}
  int select(const std::vector<size_t>& avail, const Exchange&, ConnectionPool& pool) const override {
    if (avail.empty()) {
      return -1;
    }
    int best = -1;
    for (size_t k = 0; k < choose_; ++k) {
      const int i = static_cast<int>(randomBelow(avail.size()));
      if (best < 0 || pool.state(avail[static_cast<size_t>(i)]).active <
                          pool.state(avail[static_cast<size_t>(best)]).active) {
        best = i;
      }
    }
    return best;
  }

 private:
  size_t choose_;
};

// Rendezvous hashing over the key; an empty key falls back to random.
class HashPolicy final : public SelectionPolicy {
 public:
  using KeyOf = std::function<std::string(const Exchange&)>;
  explicit HashPolicy(KeyOf key) : key_(std::move(key)) {}
  int select(const std::vector<size_t>& avail, const Exchange& ex, ConnectionPool&) const override {
    if (avail.empty()) {
      return -1;
    }
    const std::string key = key_(ex);
    if (key.empty()) {
      return static_cast<int>(randomBelow(avail.size()));
    }
    int best = 0;
    size_t bestWeight = 0;
    for (size_t i = 0; i < avail.size(); ++i) {
      const size_t w = std::hash<std::string>{}(std::to_string(avail[i]) + "\x1f" + key);
      if (i == 0 || w > bestWeight) {
        bestWeight = w;
        best = static_cast<int>(i);
      }
    }
    return best;
  }

 private:
  KeyOf key_;
};

}  // namespace

std::unique_ptr<SelectionPolicy> makeSelectionPolicy(const config::Json& j, const std::string& path,
                                                     size_t upstreams) {
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
  if (policy == "ip_hash" || policy == "client_ip_hash") {
    // No trusted-proxy client IP resolution yet: both hash the connection's address.
    onlyFields({});
    return std::make_unique<HashPolicy>([](const Exchange& ex) { return ex.request.remoteIp; });
  }
  if (policy == "uri_hash") {
    onlyFields({});
    return std::make_unique<HashPolicy>([](const Exchange& ex) { return ex.request.uri(); });
  }
  if (policy == "header") {
    onlyFields({"field"});
    std::string field = j.value("field", "");
    if (field.empty()) {
      throw ProvisionError(path + ".field", "the header policy needs a field");
    }
    return std::make_unique<HashPolicy>([field](const Exchange& ex) {
      if (runtime::equalsIgnoreCase(field, "Host")) {
        return ex.request.host;
      }
      return std::string(ex.request.headers.get(field));
    });
  }
  if (policy == "query") {
    onlyFields({"key"});
    std::string key = j.value("key", "");
    return std::make_unique<HashPolicy>([key](const Exchange& ex) {
      std::string_view q = ex.request.query;
      while (!q.empty()) {
        const size_t amp = q.find('&');
        std::string_view pair = q.substr(0, amp);
        q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
        const size_t eq = pair.find('=');
        if (pair.substr(0, eq) == key) {
          return std::string(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
        }
      }
      return std::string();
    });
  }
  throw ProvisionError(path + ".policy", "selection policy '" + policy + "' is not supported yet");
}

}  // namespace gatehouse::proxy
