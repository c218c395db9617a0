// Active health checks: where a redirect leads (Go's http.Client rules, always the same
// upstream) and the JSON fields around it.
#include "proxy/health_checker_redirect.h"

#include <catch2/catch.hpp>

#include "gatehouse/config/site_graph.h"
#include "provision/provision_error.h"
#include "proxy/health_checker.h"

using gatehouse::config::Json;
using gatehouse::proxy::ActiveHealth;
using gatehouse::proxy::followRedirect;
using gatehouse::proxy::HealthRequest;
using gatehouse::proxy::isFollowedRedirect;

namespace {
HealthRequest base() {
  return HealthRequest{"POST", "/a/b?x=1", "127.0.0.1:8080", false, true};
}
}  // namespace

TEST_CASE("health check redirects keep the upstream, change path, Host and method as Go", "[proxy][health]") {
  std::string why;
  CHECK(isFollowedRedirect(301));
  CHECK(isFollowedRedirect(308));
  CHECK_FALSE(isFollowedRedirect(300));
  CHECK_FALSE(isFollowedRedirect(304));

  auto n = followRedirect(base(), 302, "/ok?y=2", false, why);
  REQUIRE(n);
  CHECK(n->target == "/ok?y=2");
  CHECK(n->host == "127.0.0.1:8080");
  CHECK(n->method == "GET");  // 301-303 turn POST into GET and drop the body
  CHECK_FALSE(n->withBody);

  n = followRedirect(base(), 307, "c", false, why);
  REQUIRE(n);
  CHECK(n->target == "/a/c");  // relative to the directory
  CHECK(n->method == "POST");
  CHECK(n->withBody);

  n = followRedirect(base(), 308, "?z", false, why);
  REQUIRE(n);
  CHECK(n->target == "/a/b?z");

  n = followRedirect(base(), 301, "http://Other.test:81", false, why);
  REQUIRE(n);
  CHECK(n->host == "Other.test:81");
  CHECK(n->target == "/");

  HealthRequest head = base();
  head.method = "HEAD";
  head.customHost = true;
  n = followRedirect(head, 303, "//x.test/p#frag", false, why);
  REQUIRE(n);
  CHECK(n->method == "HEAD");
  CHECK(n->host == "x.test");
  CHECK_FALSE(n->customHost);  // an absolute Location names the host
  CHECK(n->target == "/p");

  n = followRedirect(head, 302, "/rel", false, why);
  REQUIRE(n);
  CHECK(n->customHost);  // a relative one keeps the configured Host

  CHECK_FALSE(followRedirect(base(), 302, "https://secure.test/", false, why));
  CHECK(why.find("another scheme") != std::string::npos);
  CHECK_FALSE(followRedirect(base(), 302, "http://plain.test/", true, why));
  CHECK(followRedirect(base(), 302, "https://secure.test/", true, why));
  CHECK_FALSE(followRedirect(base(), 302, "/bad path", false, why));
  CHECK_FALSE(followRedirect(base(), 302, "http:///x", false, why));
}

TEST_CASE("active health checks: body, follow_redirects, max_size, enabled", "[proxy][health]") {
  auto h = ActiveHealth::parse(
      Json::parse(R"({"uri":"/h","body":"ping","follow_redirects":false,"max_size":20})"), "a");
  CHECK(h.enabled);
  CHECK(h.body == "ping");
  CHECK_FALSE(h.followRedirects);
  CHECK(h.maxSize == 20);
  auto d = ActiveHealth::parse(Json::parse(R"({"uri":"/h"})"), "a");
  CHECK(d.followRedirects);  // Caddy 2.6.2's http.Client follows redirects
  CHECK(d.maxSize == 1 << 20);
  CHECK(ActiveHealth::parse(Json::parse(R"({"port":8081})"), "a").enabled);
  CHECK_FALSE(ActiveHealth::parse(Json::parse(R"({"expect_status":200})"), "a").enabled);
  CHECK_FALSE(ActiveHealth::parse(Json::parse(R"({"uri":""})"), "a").enabled);
  CHECK_THROWS_AS(ActiveHealth::parse(Json::parse(R"({"uri":"/h","follow_redirects":"yes"})"), "a"),
                  gatehouse::provision::ProvisionError);
  CHECK_THROWS_AS(ActiveHealth::parse(Json::parse(R"({"uri":"/h","upstream":"x:1"})"), "a"),
                  gatehouse::provision::ProvisionError);
}

TEST_CASE("active health checks: zero, sub-millisecond and negative interval and timeout",
          "[proxy][health]") {
  using std::chrono::milliseconds;
  // Zero is Caddy's default (30 s, 5 s), a positive duration below a millisecond waits one
  // (it rounded to zero and was refused), a negative one is refused only when checks run.
  auto zero = ActiveHealth::parse(Json::parse(R"({"uri":"/h","interval":0,"timeout":"0s"})"), "a");
  CHECK(zero.interval == milliseconds(30'000));
  CHECK(zero.timeout == milliseconds(5'000));
  auto tiny = ActiveHealth::parse(Json::parse(R"({"uri":"/h","interval":"250us","timeout":250000})"), "a");
  CHECK(tiny.interval == milliseconds(1));
  CHECK(tiny.timeout == milliseconds(1));
  CHECK(ActiveHealth::parse(Json::parse(R"({"uri":"/h","timeout":"1.5s"})"), "a").timeout ==
        milliseconds(1'500));
  CHECK_THROWS_WITH(ActiveHealth::parse(Json::parse(R"({"uri":"/h","interval":-1000000000})"), "a"),
                    Catch::Contains("must not be negative"));
  CHECK_THROWS_AS(ActiveHealth::parse(Json::parse(R"({"port":81,"timeout":-5})"), "a"),
                  gatehouse::provision::ProvisionError);
  CHECK_FALSE(ActiveHealth::parse(Json::parse(R"({"timeout":-1000000000})"), "a").enabled);
}
