#include <catch2/catch.hpp>

#include "manager/on_demand_ask.h"
#include "manager/on_demand_gate.h"
#include "manager/on_demand_rate_limiter.h"

using gatehouse::acme::askUrl;
using gatehouse::acme::qualifiesOnDemand;
using gatehouse::acme::SlidingWindowLimiter;
using namespace std::chrono_literals;

TEST_CASE("on-demand rate limit: burst events per sliding interval, as certmagic's ring buffer") {
  const auto t0 = SlidingWindowLimiter::Clock::time_point{} + 1h;
  SlidingWindowLimiter lim(2, 60s);
  CHECK(lim.allow(t0));
  CHECK(lim.allow(t0 + 1s));
  CHECK_FALSE(lim.allow(t0 + 30s));  // two in the last minute
  CHECK(lim.allow(t0 + 60s));        // the first left the window
  CHECK_FALSE(lim.allow(t0 + 60s + 500ms));
  CHECK(lim.allow(t0 + 61s));

  SlidingWindowLimiter none(0, 0s);  // no rate_limit: everything allowed
  CHECK(none.allow(t0));
  CHECK(none.allow(t0));
  SlidingWindowLimiter closed(0, 60s);  // burst 0 with an interval: nothing allowed
  CHECK_FALSE(closed.allow(t0));
}

TEST_CASE("on-demand ask URL: domain set in the query, other parameters kept") {
  CHECK(askUrl("http://127.0.0.1:9/check", "a.test") == "http://127.0.0.1:9/check?domain=a.test");
  CHECK(askUrl("http://h/ask?token=x&domain=old", "a.test") == "http://h/ask?token=x&domain=a.test");
  CHECK(askUrl("http://h/ask?", "a_b.test") == "http://h/ask?domain=a_b.test");
  CHECK(askUrl("http://h/ask#frag", "a.test") == "http://h/ask?domain=a.test");
}

TEST_CASE("on-demand names: what SNI may ask a certificate for") {
  CHECK(qualifiesOnDemand("a.test"));
  CHECK(qualifiesOnDemand("localhost"));
  CHECK_FALSE(qualifiesOnDemand(""));
  CHECK_FALSE(qualifiesOnDemand("*.a.test"));
  CHECK_FALSE(qualifiesOnDemand(".a.test"));
  CHECK_FALSE(qualifiesOnDemand("a..test"));
  CHECK_FALSE(qualifiesOnDemand("a.test."));
  CHECK_FALSE(qualifiesOnDemand("a b.test"));
  CHECK_FALSE(qualifiesOnDemand(std::string(300, 'a')));
}
