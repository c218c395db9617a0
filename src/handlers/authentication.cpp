// authentication: Caddy's http.handlers.authentication with its http_basic provider
// (Caddyfile `basic_auth` / `basicauth`). A request without valid credentials ends with a
// 401 handler error and `WWW-Authenticate: Basic realm="..."`; a valid one publishes
// {http.auth.user.id} and the chain goes on.
//
// bcrypt (or scrypt) runs on the loop thread: the handler contract cannot yet resume a chain after a
// paused middleware, only after a final response. `hash_cache` (on by default in the
// Caddyfile) makes repeated checks of the same credentials free.

#include <algorithm>
#include <map>
#include <memory>

#include "gatehouse/runtime/error_traces.h"
#include "handlers/base64.h"
#include "handlers/bcrypt.h"
#include "handlers/handlers.h"
#include "handlers/hash_cache.h"
#include "handlers/scrypt.h"
#include "provision/provision_error.h"
#include "router/placeholders.h"

namespace gatehouse::handlers {

using config::Json;
using provision::ProvisionError;
using runtime::Exchange;
using runtime::Outcome;

namespace {

struct Account {
  std::string hash;  // a bcrypt hash, or scrypt's raw derived key
  std::string salt;  // raw bytes; scrypt only (bcrypt hashes carry their own)
};

// The provider's hash algorithm: bcrypt, or Caddy 2.6's deprecated scrypt.
struct Algorithm {
  bool scrypt = false;
  ScryptParams params;
};

struct Credentials {
  std::string user;
  std::string password;
};

// Go's Request.BasicAuth: the first Authorization field, "Basic " in any case, then padded
// base64 of "user:password".
std::optional<Credentials> basicCredentials(const runtime::HeaderList& headers) {
  const std::string* auth = headers.find("Authorization");
  constexpr std::string_view kPrefix = "Basic ";
  if (auth == nullptr || auth->size() < kPrefix.size() ||
      !runtime::equalsIgnoreCase(std::string_view(*auth).substr(0, kPrefix.size()), kPrefix)) {
    return std::nullopt;
  }
  auto decoded = base64Decode(std::string_view(*auth).substr(kPrefix.size()));
  if (!decoded) {
    return std::nullopt;
  }
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) {
    return std::nullopt;
  }
  return Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

// A hash that matches no password, with a given cost, so an unknown user costs as much CPU
// as a known one and response times do not tell which names exist.
std::string fakeHash(int cost) {
  std::string h = "$2a$00$Y6Tpv1lmN0H8kRw3gH0mQuTKXbqW2jz1cZPp7W7x8tJQw8d2sX7pK";
  h[4] = static_cast<char>('0' + cost / 10);
  h[5] = static_cast<char>('0' + cost % 10);
  return h;
}

class BasicAuth final : public runtime::Handler {
 public:
  BasicAuth(std::map<std::string, Account, std::less<>> accounts, std::string realm, bool cache,
            Algorithm algo)
      : accounts_(std::move(accounts)), realm_(std::move(realm)), algo_(algo) {
    int cost = 4;
    for (const auto& [_, acct] : accounts_) {
      cost = algo_.scrypt ? cost : std::max(cost, bcryptCost(acct.hash));
    }
    // scrypt's cost is in its parameters: any key of the right length costs the same.
    fakeHash_ = algo_.scrypt ? std::string(algo_.params.keyLength, '\0')
                             : fakeHash(accounts_.empty() ? kBcryptDefaultCost : cost);
    if (cache) {
      cache_ = std::make_unique<HashCache>();
    }
  }

  Outcome handle(Exchange& ex) const override {
    auto creds = basicCredentials(ex.request.headers);
    if (!creds) {
      return deny(ex);
    }
    auto it = accounts_.find(creds->user);
    const bool known = it != accounts_.end();
    const Account fake{fakeHash_, {}};
    const Account& acct = known ? it->second : fake;
    const bool correct = correctPassword(acct, creds->password);
    refreshLoopClock(ex);
    if (!correct || !known) {
      return deny(ex);
    }
    router::setPlaceholder(ex, "http.auth.user.id", creds->user);
    return Outcome::Continue;
  }

 private:
  std::optional<bool> matches(const Account& acct, const std::string& plaintext) const {
    if (algo_.scrypt) {
      return scryptMatches(acct.hash, acct.salt, plaintext, algo_.params);
    }
    return bcryptMatches(acct.hash, plaintext);
  }

  // The hash just blocked this loop (bcrypt cost 14, what `hash-password` makes, takes about a
  // second, several on a small or busy machine) while libuv's clock stayed at the start of
  // the iteration. Every timer the rest of the chain starts (the proxy's 3 s dial timeout,
  // its header timeout) would count that time as spent: the first request after a start
  // answered 504 "dial timeout" where Caddy (Go timers read the real clock) proxies it.
  static void refreshLoopClock(const Exchange& ex) {
    if (ex.host != nullptr) {
      uv_update_time(ex.host->loop());
    }
  }

  bool correctPassword(const Account& acct, const std::string& plaintext) const {
    if (!cache_) {
      return matches(acct, plaintext).value_or(false);
    }
    std::string key = HashCache::keyFor(acct.hash, acct.salt, plaintext);
    if (auto hit = cache_->find(key)) {
      return *hit;
    }
    auto same = matches(acct, plaintext);
    if (!same) {
      return false;  // a technical error is not cached: it is not a property of the input
    }
    cache_->insert(std::move(key), *same);
    return *same;
  }

  Outcome deny(Exchange& ex) const {
    ex.response.headers.set("WWW-Authenticate", "Basic realm=\"" + realm_ + "\"");
    return ex.fail(401, "not authenticated", runtime::traces::kBasicAuth);
  }

  std::map<std::string, Account, std::less<>> accounts_;
  std::string realm_;
  Algorithm algo_;
  std::string fakeHash_;
  std::unique_ptr<HashCache> cache_;
};
static_assert(std::derived_from<BasicAuth, runtime::Handler>);

void requireKnownKeys(const Json& obj, const std::string& path,
                      std::initializer_list<std::string_view> known) {
  for (const auto& [key, _] : obj.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      throw ProvisionError(path + "." + key, "field '" + key + "' is not supported yet");
    }
  }
}

// Caddy replaces global placeholders ({env.*}) in account fields when it provisions them.
std::string renderGlobal(const std::string& s) {
  return router::Template(s).render(Exchange{});
}

Account parseAccount(const Json& a, const std::string& path, const Algorithm& algo) {
  if (!a.is_object()) {
    throw ProvisionError(path, "expected an object with username and password");
  }
  requireKnownKeys(a, path, {"username", "password", "salt"});
  Account acct;
  std::string pw = renderGlobal(a.value("password", ""));
  if (pw.empty()) {
    throw ProvisionError(path, "username and password are required");
  }
  // Modular-crypt hashes start with '$'; anything else is the older base64-wrapped form.
  if (pw.front() == '$') {
    acct.hash = pw;
  } else {
    auto decoded = base64Decode(pw);
    if (!decoded) {
      throw ProvisionError(path + ".password", "base64-decoding password: illegal base64 data");
    }
    acct.hash = *decoded;
  }
  if (!algo.scrypt && !isBcryptHash(acct.hash)) {
    throw ProvisionError(path + ".password",
                         "not a bcrypt hash ($2a$, $2b$ or $2y$; see 'gatehouse hash-password')");
  }
  if (std::string salt = renderGlobal(a.value("salt", "")); !salt.empty()) {
    auto decoded = base64Decode(salt);
    if (!decoded) {
      throw ProvisionError(path + ".salt", "base64-decoding salt: illegal base64 data");
    }
    acct.salt = *decoded;  // bcrypt ignores it, as Caddy does
  }
  return acct;
}

// {"algorithm": "bcrypt"} or {"algorithm": "scrypt", "N", "r", "p", "key_length"}; zero or
// absent parameters take Caddy's defaults.
Algorithm parseAlgorithm(const Json& hash, const std::string& path) {
  const std::string name = hash.value("algorithm", "");
  Algorithm algo;
  if (name == "bcrypt") {
    requireKnownKeys(hash, path, {"algorithm"});
    return algo;
  }
  if (name != "scrypt") {
    throw ProvisionError(path + ".algorithm", "hash algorithm '" + name + "' is not supported yet");
  }
  requireKnownKeys(hash, path, {"algorithm", "N", "r", "p", "key_length"});
  algo.scrypt = true;
  auto param = [&](const char* key, uint64_t& out) {
    if (!hash.contains(key)) {
      return;
    }
    if (!hash[key].is_number_integer() || hash[key].get<int64_t>() < 0) {
      throw ProvisionError(path + "." + key, "expected a non-negative integer");
    }
    if (hash[key].get<int64_t>() > 0) {
      out = hash[key].get<uint64_t>();
    }
  };
  uint64_t keyLength = algo.params.keyLength;
  param("N", algo.params.n);
  param("r", algo.params.r);
  param("p", algo.params.p);
  param("key_length", keyLength);
  algo.params.keyLength = static_cast<size_t>(keyLength);
  if (!scryptParamsValid(algo.params)) {
    throw ProvisionError(path,
                         "invalid scrypt parameters (N must be a power of two; at most 1 GiB of memory)");
  }
  return algo;
}

std::unique_ptr<runtime::Handler> makeHttpBasic(const Json& cfg, const std::string& path) {
  if (!cfg.is_object()) {
    throw ProvisionError(path, "expected an object");
  }
  requireKnownKeys(cfg, path, {"hash", "accounts", "realm", "hash_cache"});
  const Algorithm algo = cfg.contains("hash") ? parseAlgorithm(cfg["hash"], path + ".hash") : Algorithm{};
  std::map<std::string, Account, std::less<>> accounts;
  if (cfg.contains("accounts")) {
    const auto& list = cfg["accounts"];
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string ap = path + ".accounts[" + std::to_string(i) + "]";
      Account acct = parseAccount(list[i], ap, algo);
      std::string user = renderGlobal(list[i].value("username", ""));
      if (user.empty()) {
        throw ProvisionError(ap, "username and password are required");
      }
      if (!accounts.emplace(user, std::move(acct)).second) {
        throw ProvisionError(ap, "username is not unique: " + user);
      }
    }
  }
  if (cfg.contains("hash_cache")) {
    requireKnownKeys(cfg["hash_cache"], path + ".hash_cache", {});
  }
  std::string realm = cfg.value("realm", "");
  return std::make_unique<BasicAuth>(std::move(accounts), realm.empty() ? "restricted" : realm,
                                     cfg.contains("hash_cache"), algo);
}

}  // namespace

std::unique_ptr<runtime::Handler> makeAuthentication(const config::Handler& h, const std::string& path) {
  requireKnownFields(h, path, {"providers"});
  const auto& f = h.fields;
  if (!f.contains("providers") || !f["providers"].is_object() || f["providers"].empty()) {
    throw ProvisionError(path + ".providers", "at least one authentication provider is required");
  }
  const auto& providers = f["providers"];
  for (const auto& [name, _] : providers.items()) {
    if (name != "http_basic") {
      throw ProvisionError(path + ".providers." + name,
                           "authentication provider '" + name + "' is not supported yet");
    }
  }
  return makeHttpBasic(providers["http_basic"], path + ".providers.http_basic");
}

}  // namespace gatehouse::handlers
