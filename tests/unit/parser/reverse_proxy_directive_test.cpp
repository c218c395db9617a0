#include <catch2/catch.hpp>

#include "directives/reverse_proxy.h"
#include "gatehouse/parser/directive_table.h"
#include "gatehouse/parser/lexer.h"

using gatehouse::config::Json;
using namespace gatehouse::parser;

namespace {

// Runs one proxy-family directive on a snippet, as the adapter would, and returns its
// handler's JSON (fields only) from the single route it produces.
struct Run {
  AdaptState state;
  ServerBlock block;
  std::vector<ConfigValue> values;

  explicit Run(const std::string& text) {
    auto tokens = tokenize(text, "Caddyfile");
    const DirectiveSpec* spec = findDirective(tokens.front().text);
    REQUIRE(spec != nullptr);
    Helper h(Dispenser(tokens), state, block, std::make_shared<MatcherDefs>());
    values = runDirective(*spec, h);
  }
  Json handler(size_t route = 0) const {
    REQUIRE(values.size() > route);
    const auto& r = values[route].route();
    REQUIRE(r.handle.size() == 1);
    return r.handle.front().fields;
  }
};

std::string errorOf(const std::string& text) {
  try {
    Run run(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("reverse_proxy upstream addresses follow Caddy's parsing") {
  struct Case {
    std::string upstream;
    std::vector<std::string> dials;
  };
  const Case cases[] = {
      {"localhost", {"localhost:80"}},
      {"localhost:8080", {"localhost:8080"}},
      {"http://localhost", {"localhost:80"}},
      {"https://example.com", {"example.com:443"}},
      {"localhost:8001-8003", {"localhost:8001", "localhost:8002", "localhost:8003"}},
      {"https://localhost:8001-8002", {"localhost:8001", "localhost:8002"}},
      {"{upstream}", {"{upstream}"}},
      {"{upstream}:80", {"{upstream}:80"}},
      {"localhost:{port}", {"localhost:{port}"}},
      {"unix//run/app.sock", {"unix//run/app.sock"}},
      {"[::1]:9000", {"[::1]:9000"}},
  };
  for (const auto& c : cases) {
    INFO(c.upstream);
    Json h = Run("reverse_proxy " + c.upstream).handler();
    std::vector<std::string> dials;
    for (const auto& u : h["upstreams"]) {
      dials.push_back(u["dial"].get<std::string>());
    }
    CHECK(dials == c.dials);
  }
}

TEST_CASE("reverse_proxy schemes choose the transport") {
  CHECK(Run("reverse_proxy https://a:1").handler()["transport"] ==
        Json::parse(R"({"protocol":"http","tls":{}})"));
  CHECK(Run("reverse_proxy h2c://a:1").handler()["transport"] ==
        Json::parse(R"({"protocol":"http","versions":["h2c","2"]})"));
  CHECK(Run("reverse_proxy unix+h2c//run/app.sock").handler()["upstreams"][0]["dial"] ==
        "unix//run/app.sock");
  CHECK_FALSE(Run("reverse_proxy http://a:1").handler().contains("transport"));
  // caddy 2.6.2: ws:// and wss:// infer no port and no TLS
  CHECK(Run("reverse_proxy ws://a").handler()["upstreams"][0]["dial"] == "a:");
  CHECK(Run("reverse_proxy wss://[::1]:9").handler() == Json::parse(R"({"upstreams":[{"dial":"[::1]:9"}]})"));
  CHECK(Run("reverse_proxy a:1 {\n transport fastcgi\n}").handler()["transport"] ==
        Json::parse(R"({"protocol":"fastcgi"})"));
}

TEST_CASE("reverse_proxy upstream errors carry Caddy's wording") {
  CHECK_THAT(errorOf("reverse_proxy ws://a http://b"),
             Catch::Contains("expecting 'ws://' but got 'http://'"));
  CHECK_THAT(errorOf("reverse_proxy ftp://a"), Catch::Contains("unsupported URL scheme ftp://"));
  CHECK_THAT(errorOf("reverse_proxy http://a https://b"),
             Catch::Contains("for now, all proxy upstreams must use the same scheme (transport protocol); "
                             "expecting 'http://' but got 'https://'"));
  CHECK_THAT(
      errorOf("reverse_proxy http://a/path"),
      Catch::Contains("for now, URLs for proxy upstreams only support scheme, host, and port components"));
  CHECK_THAT(errorOf("reverse_proxy https://a:80"),
             Catch::Contains("conflicting scheme (https://) and port (:80"));
  CHECK_THAT(errorOf("reverse_proxy http://{x}:80"), Catch::Contains("placeholders are not allowed"));
  CHECK_THAT(errorOf("reverse_proxy a:9-1"), Catch::Contains("end port must not be less than start port"));
  CHECK_THAT(
      errorOf("reverse_proxy http://a {\n transport http {\n  tls\n }\n}"),
      Catch::Contains("upstream address scheme is HTTP but transport is configured for HTTP+TLS (HTTPS)"));
  CHECK_THAT(errorOf("reverse_proxy a {\n bogus\n}"),
             Catch::Contains("Caddyfile:2:2: unrecognized subdirective bogus"));
}

TEST_CASE("reverse_proxy subdirectives build the handler JSON") {
  Json h = Run(R"(reverse_proxy 127.0.0.1:65535 127.0.0.1:35535 {
	lb_policy weighted_round_robin 10 1
	lb_retries 5
	lb_try_duration 10s
	lb_try_interval 500ms
	health_uri /health
	health_status 2xx
	health_headers {
		Same-Key 1
		Same-Key 2
		X-Empty
	}
	max_fails 3
	unhealthy_status 5xx 404
	flush_interval -1
	request_buffers 4KB
	response_buffers unlimited
	trusted_proxies private_ranges
	header_up Host {upstream_hostport}
	header_up +x-add a
	header_up -Remove
	header_down Location ^/ /x/
	method GET
	rewrite /r
	verbose_logs
})")
               .handler();
  CHECK(h["load_balancing"] ==
        Json::parse(R"({"retries":5,"selection_policy":{"policy":"weighted_round_robin",
        "weights":[10,1]},"try_duration":10000000000,"try_interval":500000000})"));
  CHECK(h["health_checks"] == Json::parse(R"({"active":{"expect_status":2,"headers":{"Same-Key":["1","2"],
        "X-Empty":[""]},"uri":"/health"},"passive":{"max_fails":3,"unhealthy_status":[5,404]}})"));
  CHECK(h["flush_interval"] == -1);
  CHECK(h["request_buffers"] == 4000);
  CHECK(h["response_buffers"] == -1);
  CHECK(h["trusted_proxies"].size() == 6);
  CHECK(h["headers"] == Json::parse(R"({"request":{"add":{"X-Add":["a"]},"delete":["Remove"],
        "set":{"Host":["{upstream_hostport}"]}},"response":{"replace":{"Location":[{"replace":"/x/","search_regexp":"^/"}]}}})"));
  CHECK(h["rewrite"] == Json::parse(R"({"method":"GET","uri":"/r"})"));
  CHECK(h["verbose_logs"] == true);
}

TEST_CASE("reverse_proxy transport http options") {
  Json h = Run(R"(reverse_proxy https://localhost:54321 {
	transport http {
		read_buffer 10MB
		dial_timeout 3s
		resolvers 8.8.8.8
		versions h2c 2
		compression off
		keepalive off
		keepalive_idle_conns_per_host 2
		tls_renegotiation freely
		tls_except_ports 8181
		network_proxy url http://localhost:8080
		tls_trust_pool file {
			pem_file ../ca.cer
		}
	}
})")
               .handler();
  CHECK(h["transport"] == Json::parse(R"({"compression":false,"dial_timeout":3000000000,
        "keep_alive":{"enabled":false,"max_idle_conns_per_host":2},
        "network_proxy":{"from":"url","url":"http://localhost:8080"},"protocol":"http",
        "read_buffer_size":10000000,"resolver":{"addresses":["8.8.8.8"]},
        "tls":{"ca":{"pem_files":["../ca.cer"],"provider":"file"},"except_ports":["8181"],"renegotiation":"freely"},
        "versions":["h2c","2"]})"));
}

TEST_CASE("reverse_proxy dynamic upstreams") {
  CHECK(Run("reverse_proxy {\n dynamic a foo 9000\n}").handler()["dynamic_upstreams"] ==
        Json::parse(R"({"name":"foo","port":"9000","source":"a"})"));
  CHECK(Run("reverse_proxy {\n dynamic srv {\n  name foo\n  refresh 5m\n  grace_period 5s\n }\n}")
            .handler()["dynamic_upstreams"] ==
        Json::parse(R"({"grace_period":5000000000,"name":"foo","refresh":300000000000,"source":"srv"})"));
  CHECK_THAT(errorOf("reverse_proxy {\n dynamic nope\n}"),
             Catch::Contains("module not registered: http.reverse_proxy.upstreams.nope"));
}

TEST_CASE("copy_response and copy_response_headers") {
  CHECK(Run("copy_response 404").handler() == Json::parse(R"({"status_code":404})"));
  CHECK(Run("copy_response_headers {\n include Foo Bar\n}").handler() ==
        Json::parse(R"({"include":["Foo","Bar"]})"));
}

TEST_CASE("replace_status and response matchers without subroutes") {
  Json h = Run("reverse_proxy a {\n replace_status 400\n}").handler();
  CHECK(h["handle_response"] == Json::parse(R"([{"status_code":400}])"));
  CHECK_THAT(errorOf("reverse_proxy a {\n replace_status @nope 400\n}"),
             Catch::Contains("no named response matcher defined with name 'nope'"));
}

TEST_CASE("forward_auth requires one uri") {
  CHECK_THAT(errorOf("forward_auth :9091 {\n uri /a\n uri /b\n}"),
             Catch::Contains("cannot re-declare uri: /b"));
  CHECK_THAT(errorOf("forward_auth :9091"), Catch::Contains("the 'uri' subdirective is required"));
}

TEST_CASE("php_fastcgi expands into redirect, rewrite and proxy routes") {
  Run run("php_fastcgi localhost:9000 {\n root /var/www\n split .php .php5\n lb_policy random\n}");
  // One value (Caddy's literal subroute) carrying the three routes, spliced in by the site.
  REQUIRE(run.values.size() == 1);
  const auto& routes = run.values[0].route().handle.at(0).routes;
  REQUIRE(routes.size() == 3);
  Json proxy = gatehouse::config::toJson(routes[2].handle.at(0));
  CHECK(proxy["transport"] ==
        Json::parse(R"({"protocol":"fastcgi","root":"/var/www","split_path":[".php",".php5"]})"));
  CHECK(proxy["load_balancing"]["selection_policy"]["policy"] == "random");
  CHECK(routes[2].match.front() == Json::parse(R"({"path":["*.php","*.php5"]})"));
  Run off("php_fastcgi localhost:9000 {\n index off\n}");
  CHECK(off.values.size() == 1);
}

TEST_CASE("lb_retry_match takes a matcher set on one line, in a block, or as a bare expression") {
  Json h = Run("reverse_proxy a {\n lb_retry_match path /bar*\n lb_retry_match {\n  path /foo*\n  method "
               "POST\n }\n"
               " lb_retry_match `{rp.status_code} == 504`\n}")
               .handler();
  CHECK(
      h["load_balancing"]["retry_match"] ==
      Json::parse(
          R"([{"path":["/bar*"]},{"method":["POST"],"path":["/foo*"]},{"expression":"{rp.status_code} == 504"}])"));
}

TEST_CASE("tls_trust_pool sources for the http transport") {
  auto pool = [](const std::string& body) {
    return Run("reverse_proxy a {\n transport http {\n  tls_trust_pool " + body + "\n }\n}")
        .handler()["transport"]["tls"]["ca"];
  };
  CHECK(pool("inline {\n trust_der AAA\n }") ==
        Json::parse(R"({"provider":"inline","trusted_ca_certs":["AAA"]})"));
  CHECK(pool("file a.pem") == Json::parse(R"({"pem_files":["a.pem"],"provider":"file"})"));
  CHECK(pool("pki_root local") == Json::parse(R"({"authority":["local"],"provider":"pki_root"})"));
  CHECK_THAT(errorOf("reverse_proxy a {\n transport http {\n  tls_trust_pool file\n }\n}"),
             Catch::Contains("no certificates specified"));
}

// Expected JSON as `caddy adapt` (2.6.2) prints it for the same Caddyfile.
TEST_CASE("reverse_proxy dynamic upstreams adapt as caddy 2.6.2") {
  CHECK(Run("reverse_proxy {\n dynamic a example.com 8080 {\n  refresh 5s\n  resolvers 127.0.0.1:5353\n"
            "  dial_timeout 1s\n  dial_fallback_delay 2s\n }\n}")
            .handler()["dynamic_upstreams"] ==
        Json::parse(R"({"dial_fallback_delay":2000000000,"dial_timeout":1000000000,"name":"example.com",
                        "port":"8080","refresh":5000000000,"resolver":{"addresses":["127.0.0.1:5353"]},
                        "source":"a"})"));
  CHECK(Run("reverse_proxy {\n dynamic srv {\n  service http\n  proto tcp\n  name example.com\n  refresh 5s\n"
            "  resolvers 127.0.0.1:5353 udp/1.2.3.4\n  dial_timeout 1s\n  dial_fallback_delay -1s\n }\n}")
            .handler()["dynamic_upstreams"] ==
        Json::parse(R"({"dial_fallback_delay":-1000000000,"dial_timeout":1000000000,"name":"example.com",
                        "proto":"tcp","refresh":5000000000,
                        "resolver":{"addresses":["127.0.0.1:5353","udp/1.2.3.4"]},"service":"http",
                        "source":"srv"})"));
  CHECK(Run("reverse_proxy {\n dynamic multi {\n  a example.com 80\n  srv _http._tcp.example.com\n }\n}")
            .handler()["dynamic_upstreams"] ==
        Json::parse(R"({"source":"multi","sources":[{"name":"example.com","port":"80","source":"a"},
                        {"name":"_http._tcp.example.com","source":"srv"}]})"));
  CHECK(Run("reverse_proxy {\n dynamic multi {\n  a x 1 {\n   refresh 2s\n  }\n }\n}")
            .handler()["dynamic_upstreams"] ==
        Json::parse(
            R"({"source":"multi","sources":[{"name":"x","port":"1","refresh":2000000000,"source":"a"}]})"));
  CHECK(
      Run("reverse_proxy {\n dynamic a {\n  port {http.request.uri.query.p}\n  name "
          "{http.request.header.X}\n }\n}")
          .handler()["dynamic_upstreams"] ==
      Json::parse(R"({"name":"{http.request.header.X}","port":"{http.request.uri.query.p}","source":"a"})"));
  CHECK(Run("reverse_proxy {\n dynamic srv {\n  service http\n  proto tcp\n  name {http.request.host}\n }\n}")
            .handler()["dynamic_upstreams"] ==
        Json::parse(R"({"name":"{http.request.host}","proto":"tcp","service":"http","source":"srv"})"));
  CHECK_THAT(errorOf("reverse_proxy {\n dynamic a example.com 80 x\n}"),
             Catch::Contains("wrong argument count or unexpected line ending after 'x'"));
  CHECK_THAT(errorOf("reverse_proxy {\n dynamic a {\n  name a\n  name b\n }\n}"),
             Catch::Contains("a name has already been specified"));
  CHECK_THAT(errorOf("reverse_proxy {\n dynamic a {\n  refresh xx\n }\n}"),
             Catch::Contains("parsing refresh interval duration: time: invalid duration \"xx\""));
  CHECK_THAT(errorOf("reverse_proxy {\n dynamic a {\n  resolvers\n }\n}"),
             Catch::Contains("must specify at least one resolver address"));
}

TEST_CASE("reverse_proxy placeholder upstreams adapt as caddy 2.6.2") {
  CHECK(Run("reverse_proxy {http.request.header.X-Backend}").handler()["upstreams"] ==
        Json::parse(R"([{"dial":"{http.request.header.X-Backend}"}])"));
  CHECK(Run("reverse_proxy localhost:{http.request.uri.query.port}").handler()["upstreams"] ==
        Json::parse(R"([{"dial":"localhost:{http.request.uri.query.port}"}])"));
  // {vars.backend} becomes {http.vars.backend} later, in the adapter's shorthand pass.
  CHECK(Run("reverse_proxy {\n to {vars.backend} 127.0.0.1:9000\n}").handler()["upstreams"] ==
        Json::parse(R"([{"dial":"{vars.backend}"},{"dial":"127.0.0.1:9000"}])"));
  CHECK(Run("reverse_proxy unix//run/{http.request.header.X-S}.sock").handler()["upstreams"] ==
        Json::parse(R"([{"dial":"unix//run/{http.request.header.X-S}.sock"}])"));
  CHECK_THAT(errorOf("reverse_proxy http://{http.request.header.X-B}"),
             Catch::Contains("placeholders are not allowed when an upstream address contains a scheme"));
}

TEST_CASE("lb_policy random_choose reads its segment in pairs, as caddy 2.6.2") {
  CHECK(Run("reverse_proxy a {\n lb_policy random_choose 3\n}")
            .handler()["load_balancing"]["selection_policy"] ==
        Json::parse(R"({"choose":3,"policy":"random_choose"})"));
  // Tokens after <n> are read as further pairs: the last number wins, and anything else fails.
  CHECK(Run("reverse_proxy a {\n lb_policy random_choose 3 x 5\n}")
            .handler()["load_balancing"]["selection_policy"] ==
        Json::parse(R"({"choose":5,"policy":"random_choose"})"));
  CHECK_THAT(errorOf("reverse_proxy a {\n lb_policy random_choose 2 x /path\n}"),
             Catch::Contains("invalid choice value '/path'"));
  CHECK_THAT(errorOf("reverse_proxy a {\n lb_policy random_choose 2 extra\n}"),
             Catch::Contains("wrong argument count"));
}
