#include "proxy/lb_policy.h"

#include <uv.h>

#include <catch2/catch.hpp>

#include "provision/provision_error.h"
#include "proxy/connection_pool.h"
#include "proxy/lb_cookie.h"

using gatehouse::config::Json;
using gatehouse::proxy::ConnectionPool;
using gatehouse::proxy::cookieHash;
using gatehouse::proxy::fnv1a32;
using gatehouse::proxy::makeSelectionPolicy;
using gatehouse::proxy::pickByHash;
using gatehouse::proxy::requestCookie;
using gatehouse::runtime::Exchange;

namespace {

struct Loop {
  uv_loop_t loop{};
  Loop() { uv_loop_init(&loop); }
  ~Loop() { uv_loop_close(&loop); }
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;
};

const std::vector<std::string> kDials = {"127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003"};

}  // namespace

TEST_CASE("fnv1a32 matches the reference vectors") {
  CHECK(fnv1a32("", "") == 0x811c9dc5U);
  CHECK(fnv1a32("a", "") == 0xe40c292cU);
  CHECK(fnv1a32("foo", "bar") == 0xbf9cf968U);  // "foobar": the two parts hash as one string
}

TEST_CASE("hash policies rank upstreams by fnv1a32(key + dial), as caddy 2.6.2") {
  const std::vector<size_t> all = {0, 1, 2};
  CHECK(pickByHash(all, kDials, "alice") == 1);
  CHECK(pickByHash(all, kDials, "bob") == 2);
  CHECK(pickByHash(all, kDials, "/a") == 0);
  // Without upstream 2, "bob" moves; "alice" keeps its upstream (rendezvous hashing).
  const std::vector<size_t> two = {0, 1};
  CHECK(pickByHash(two, kDials, "bob") == 1);
  CHECK(pickByHash(two, kDials, "alice") == 1);
  CHECK(pickByHash({}, kDials, "bob") == -1);
}

TEST_CASE("weighted_round_robin walks the weights as Caddy's") {
  Loop l;
  ConnectionPool pool(&l.loop, 3, {});
  auto p =
      makeSelectionPolicy(Json{{"policy", "weighted_round_robin"}, {"weights", {3, 1, 0}}}, "lb", kDials);
  Exchange ex;
  const std::vector<size_t> all = {0, 1, 2};
  std::string seq;
  for (int i = 0; i < 8; ++i) {
    seq += std::to_string(p->select(all, ex, pool));
  }
  // Caddy's counter starts at 1: slots 1,2 -> upstream 0; 3 -> upstream 1; 0 -> upstream 0.
  CHECK(seq == "00100010");
  // Zero-weight upstreams never take a request.
  CHECK_THROWS_AS(
      makeSelectionPolicy(Json{{"policy", "weighted_round_robin"}, {"weights", {0, 0}}}, "lb", kDials),
      gatehouse::provision::ProvisionError);
  CHECK_THROWS_AS(
      makeSelectionPolicy(Json{{"policy", "weighted_round_robin"}, {"weights", {-1, 2}}}, "lb", kDials),
      gatehouse::provision::ProvisionError);
}

TEST_CASE("cookie policy: HMAC-SHA256 of the dial, sticky when the cookie matches") {
  CHECK(cookieHash("s3cr3t", "127.0.0.1:9001") ==
        "a2eb991387540dd2bd6d78eb708055d750ec5c4a1895fb9978926600439a0de7");
  CHECK(cookieHash("", "127.0.0.1:9002") ==
        "dc2b9bf9458227fe471d66e38e97057503d863928bd958db2547983f97807418");
  Loop l;
  ConnectionPool pool(&l.loop, 3, {});
  auto p = makeSelectionPolicy(
      Json{{"policy", "cookie"}, {"name", "lb"}, {"secret", "s3cr3t"}, {"fallback", {{"policy", "first"}}}},
      "lb", kDials);
  const std::vector<size_t> all = {0, 1, 2};
  Exchange ex;
  // No cookie: the fallback picks, and the response sets the cookie.
  CHECK(p->select(all, ex, pool) == 0);
  CHECK(p->responseCookie(0, ex) ==
        "lb=" + cookieHash("s3cr3t", kDials[0]) + "; Path=/; HttpOnly; SameSite=Lax");
  // A matching cookie sticks and sets nothing.
  ex.request.headers.add("Cookie", "other=1; lb=" + cookieHash("s3cr3t", kDials[2]));
  CHECK(p->select(all, ex, pool) == 2);
  CHECK(p->responseCookie(2, ex).empty());
  // Its upstream unavailable: the fallback picks among the rest, and the cookie moves.
  const std::vector<size_t> notTwo = {1};
  CHECK(p->select(notTwo, ex, pool) == 0);
  CHECK(p->responseCookie(1, ex).rfind("lb=" + cookieHash("s3cr3t", kDials[1]), 0) == 0);
  // Over TLS the cookie is Secure with SameSite=None; max_age gives Max-Age.
  auto q = makeSelectionPolicy(Json{{"policy", "cookie"}, {"max_age", 3'600'000'000'000LL}}, "lb", kDials);
  Exchange tls;
  tls.request.tls = true;
  CHECK(q->responseCookie(1, tls) ==
        "lb=" + cookieHash("", kDials[1]) + "; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=None");
  std::string v;
  Exchange quoted;
  quoted.request.headers.add("Cookie", " a=1 ;lb=\"xyz\"");
  CHECK(requestCookie(quoted, "lb", v));
  CHECK(v == "xyz");
  CHECK_FALSE(requestCookie(quoted, "b", v));
}
