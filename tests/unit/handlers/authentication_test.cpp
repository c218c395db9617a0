#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>

#include "handlers/base64.h"
#include "handlers/bcrypt.h"
#include "handlers/handlers.h"
#include "handlers/hash_cache.h"
#include "provision/provision_error.h"
#include "router/placeholders.h"

using gatehouse::config::Handler;
using gatehouse::config::Json;
using gatehouse::provision::ProvisionError;
using gatehouse::runtime::Exchange;
using gatehouse::runtime::Outcome;
namespace h = gatehouse::handlers;

namespace {

// Cost 4 keeps the suite fast; "$2a$04$..." of "hunter2", made once with libcrypt.
// CPU time consumed by the calling thread so far.
std::chrono::nanoseconds threadCpuTime() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

const std::string& testHash() {
  static const std::string hash = h::bcryptHash("hunter2", 4);
  return hash;
}

Handler authConfig(Json accounts, Json extra = Json::object()) {
  Json basic = {{"accounts", accounts}, {"hash", {{"algorithm", "bcrypt"}}}};
  for (auto& [k, v] : extra.items()) {
    basic[k] = v;
  }
  return Handler{"authentication", Json{{"providers", {{"http_basic", basic}}}}, {}, {}};
}

Exchange withAuth(const std::string& header) {
  Exchange ex;
  ex.request.method = "GET";
  ex.request.path = "/";
  if (!header.empty()) {
    ex.request.headers.add("Authorization", header);
  }
  return ex;
}

std::string basic(const std::string& user, const std::string& pass) {
  return "Basic " + h::base64Encode(user + ":" + pass);
}

}  // namespace

TEST_CASE("base64 decodes strictly and round-trips", "[handlers][auth]") {
  CHECK(h::base64Encode("bob:hunter2") == "Ym9iOmh1bnRlcjI=");
  CHECK(h::base64Decode("Ym9iOmh1bnRlcjI=") == std::optional<std::string>("bob:hunter2"));
  CHECK(h::base64Decode("YQ==") == std::optional<std::string>("a"));
  CHECK(h::base64Decode("YWI=") == std::optional<std::string>("ab"));
  CHECK(h::base64Decode("") == std::optional<std::string>(""));
  CHECK_FALSE(h::base64Decode("YQ"));        // unpadded
  CHECK_FALSE(h::base64Decode("Y==="));      // too much padding
  CHECK_FALSE(h::base64Decode("YQ==YQ=="));  // padding in the middle
  CHECK_FALSE(h::base64Decode("Y!Q="));
  for (std::string s : {"", "x", "xy", "xyz", "\x01\xff\x80 binary"}) {
    CHECK(h::base64Decode(h::base64Encode(s)) == std::optional<std::string>(s));
  }
}

TEST_CASE("bcrypt verifies $2a$, $2b$ and $2y$ hashes", "[handlers][auth]") {
  const std::string& hash = testHash();
  REQUIRE(hash.starts_with("$2a$04$"));
  REQUIRE(h::isBcryptHash(hash));
  CHECK(h::bcryptMatches(hash, "hunter2") == std::optional<bool>(true));
  CHECK(h::bcryptMatches(hash, "hunter3") == std::optional<bool>(false));
  CHECK(h::bcryptMatches(hash, std::string("hunter2\0x", 9)) == std::optional<bool>(false));
  for (char variant : {'b', 'y'}) {
    std::string other = h::bcryptHash("pw", 4);
    other[2] = variant;  // the same digest under the other prefixes (libcrypt treats them alike)
    auto redone = h::bcryptMatches(other, "pw");
    REQUIRE(redone.has_value());
  }
  CHECK_FALSE(h::isBcryptHash("$2a$14$short"));
  CHECK_FALSE(h::isBcryptHash("$1$abcdefgh$" + std::string(49, 'a')));
  CHECK(h::bcryptCost("$2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG") == 14);
}

TEST_CASE("authentication: 401 with WWW-Authenticate unless the credentials match", "[handlers][auth]") {
  auto auth =
      h::makeAuthentication(authConfig(Json::array({{{"username", "bob"}, {"password", testHash()}}})), "p");
  SECTION("no credentials") {
    Exchange ex = withAuth("");
    CHECK(auth->handle(ex) == Outcome::Handled);
    CHECK(ex.response.status == 401);
    CHECK(ex.error.status == 401);
    CHECK(ex.response.headers.get("WWW-Authenticate") == "Basic realm=\"restricted\"");
  }
  SECTION("right password") {
    Exchange ex = withAuth(basic("bob", "hunter2"));
    CHECK(auth->handle(ex) == Outcome::Continue);
    std::string user;
    CHECK(gatehouse::router::lookupPlaceholder("http.auth.user.id", ex, user));
    CHECK(user == "bob");
    CHECK_FALSE(ex.response.headers.has("WWW-Authenticate"));
  }
  SECTION("lower-case scheme is accepted, as Go does") {
    Exchange ex = withAuth("basic " + h::base64Encode("bob:hunter2"));
    CHECK(auth->handle(ex) == Outcome::Continue);
  }
  SECTION("wrong password, unknown user, malformed header") {
    for (const std::string& hdr : {basic("bob", "nope"), basic("alice", "hunter2"), std::string("Basic !!!"),
                                   "Basic " + h::base64Encode("no-colon"), std::string("Bearer abc")}) {
      Exchange ex = withAuth(hdr);
      CHECK(auth->handle(ex) == Outcome::Handled);
      CHECK(ex.response.status == 401);
      CHECK(ex.response.headers.get("WWW-Authenticate") == "Basic realm=\"restricted\"");
    }
  }
}

TEST_CASE("authentication: realm, legacy base64 hashes, hash cache", "[handlers][auth]") {
  Json accounts = Json::array({{{"username", "bob"}, {"password", h::base64Encode(testHash())}}});
  auto auth =
      h::makeAuthentication(authConfig(accounts, {{"realm", "staff"}, {"hash_cache", Json::object()}}), "p");
  Exchange bad = withAuth("");
  auth->handle(bad);
  CHECK(bad.response.headers.get("WWW-Authenticate") == "Basic realm=\"staff\"");
  // Later checks of the same credentials come from the cache: fifty of them cost less CPU
  // than the one bcrypt check that filled it (cost 10, tens of milliseconds). This thread's CPU
  // time, not the wall clock, so a loaded machine cannot stretch one side only.
  Json slow = Json::array({{{"username", "bob"}, {"password", h::bcryptHash("hunter2", 10)}}});
  auto cached = h::makeAuthentication(authConfig(slow, {{"hash_cache", Json::object()}}), "p");
  const auto t0 = threadCpuTime();
  Exchange first = withAuth(basic("bob", "hunter2"));
  CHECK(cached->handle(first) == Outcome::Continue);
  const auto bcryptCost = threadCpuTime() - t0;
  const auto t1 = threadCpuTime();
  for (int i = 0; i < 50; ++i) {
    Exchange again = withAuth(basic("bob", "hunter2"));
    REQUIRE(cached->handle(again) == Outcome::Continue);
  }
  CHECK(threadCpuTime() - t1 < bcryptCost);
}

TEST_CASE("hash cache keeps at most its capacity, evicting the oldest tenth", "[handlers][auth]") {
  h::HashCache cache;
  for (size_t i = 0; i < h::HashCache::kCapacity + 5; ++i) {
    cache.insert(h::HashCache::keyFor("hash", "", std::to_string(i)), i % 2 == 0);
  }
  CHECK(cache.size() <= h::HashCache::kCapacity);
  CHECK_FALSE(cache.find(h::HashCache::keyFor("hash", "", "0")));
  CHECK(cache.find(h::HashCache::keyFor("hash", "", std::to_string(h::HashCache::kCapacity + 4))) ==
        std::optional<bool>(true));
  CHECK(h::HashCache::keyFor("ab", "", "c") != h::HashCache::keyFor("a", "", "bc"));
}

TEST_CASE("authentication provisioning names the offending JSON path", "[handlers][auth]") {
  auto err = [](const Handler& cfg) {
    try {
      h::makeAuthentication(cfg, "r.handle[0]");
    } catch (const ProvisionError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(
      err(authConfig(Json::array({{{"username", "bob"}, {"password", "plain"}}}))) ==
      "r.handle[0].providers.http_basic.accounts[0].password: base64-decoding password: illegal base64 data");
  CHECK(
      err(authConfig(Json::array({{{"username", "bob"}, {"password", "$1$x"}}}))).find("not a bcrypt hash") !=
      std::string::npos);
  CHECK(err(authConfig(Json::array({{{"username", "bob"}, {"password", testHash()}},
                                    {{"username", "bob"}, {"password", testHash()}}}))) ==
        "r.handle[0].providers.http_basic.accounts[1]: username is not unique: bob");
  CHECK(err(authConfig(Json::array(), {{"hash", {{"algorithm", "argon2id"}}}})) ==
        "r.handle[0].providers.http_basic.hash.algorithm: hash algorithm 'argon2id' is not supported yet");
  CHECK(err(authConfig(Json::array(), {{"hash", {{"algorithm", "scrypt"}, {"N", 1000}}}}))
            .find("invalid scrypt parameters") != std::string::npos);
  CHECK(err(authConfig(Json::array({{{"username", "bob"}, {"password", testHash()}, {"salt", "!!"}}}))) ==
        "r.handle[0].providers.http_basic.accounts[0].salt: base64-decoding salt: illegal base64 data");
  CHECK(err(Handler{"authentication", Json{{"providers", {{"jwt", Json::object()}}}}, {}, {}}) ==
        "r.handle[0].providers.jwt: authentication provider 'jwt' is not supported yet");
}

TEST_CASE("an unknown user costs as much bcrypt work as a wrong password", "[handlers][auth]") {
  // Cost 8 (~20 ms) makes the work measurable; no cache, so every check hashes.
  const std::string hash = h::bcryptHash("right", 8);
  auto auth =
      h::makeAuthentication(authConfig(Json::array({{{"username", "bob"}, {"password", hash}}})), "p");
  // CPU time of this thread (the check runs on it): other processes cannot inflate one side.
  auto timeOf = [&](const std::string& user) {
    const auto t0 = threadCpuTime();
    for (int i = 0; i < 3; ++i) {
      Exchange ex = withAuth(basic(user, "wrong"));
      REQUIRE(auth->handle(ex) == Outcome::Handled);
    }
    return std::chrono::duration<double>(threadCpuTime() - t0).count();
  };
  const double known = timeOf("bob");
  const double unknown = timeOf("nobody");
  CHECK(unknown > known / 3);
  CHECK(unknown < known * 3);
}

TEST_CASE("scrypt accounts (Caddy 2.6's deprecated algorithm) check salted hashes", "[handlers][auth]") {
  SECTION("caddy hash-password --algorithm scrypt --salt somesalt, default parameters") {
    Json accounts = Json::array({{{"username", "bob"},
                                  {"password", "YdzL6KkJMRpymbgLC/it8D/cobo1e2M/DR1yYZOZZQ4="},
                                  {"salt", "c29tZXNhbHQ="}}});
    Handler cfg = authConfig(accounts);
    cfg.fields["providers"]["http_basic"]["hash"] = {{"algorithm", "scrypt"}};
    auto auth = h::makeAuthentication(cfg, "p");
    Exchange ok = withAuth(basic("bob", "hunter2"));
    CHECK(auth->handle(ok) == Outcome::Continue);
    Exchange wrong = withAuth(basic("bob", "hunter3"));
    CHECK(auth->handle(wrong) == Outcome::Handled);
    CHECK(wrong.response.status == 401);
    Exchange unknown = withAuth(basic("eve", "hunter2"));
    CHECK(auth->handle(unknown) == Outcome::Handled);
  }
  SECTION("explicit parameters: N 1024, r 8, p 1, key_length 16") {
    Json accounts = Json::array(
        {{{"username", "bob"}, {"password", "IeNk/6jPNCdYBXMi6e/UIA=="}, {"salt", "c29tZXNhbHQ="}}});
    Handler cfg = authConfig(accounts);
    cfg.fields["providers"]["http_basic"]["hash"] = {
        {"algorithm", "scrypt"}, {"N", 1024}, {"r", 8}, {"p", 1}, {"key_length", 16}};
    auto auth = h::makeAuthentication(cfg, "p");
    Exchange ok = withAuth(basic("bob", "hunter2"));
    CHECK(auth->handle(ok) == Outcome::Continue);
    // The same key under another salt does not match.
    accounts[0]["salt"] = h::base64Encode("othersalt");
    cfg.fields["providers"]["http_basic"]["accounts"] = accounts;
    auto other = h::makeAuthentication(cfg, "p");
    Exchange no = withAuth(basic("bob", "hunter2"));
    CHECK(other->handle(no) == Outcome::Handled);
  }
}
