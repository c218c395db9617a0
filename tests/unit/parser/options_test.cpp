// Global options, the tls directive's helpers, and the TLS app's policy logic.
#include <catch2/catch.hpp>

#include "gatehouse/config/policy_marker.h"
#include "gatehouse/parser/adapter.h"
#include "gatehouse/parser/caddyfile.h"
#include "gatehouse/parser/lexer.h"
#include "httptype/site_block.h"
#include "options/option_util.h"
#include "options/tls_modules.h"
#include "options/tls_policy.h"
#include "options/tls_subjects.h"

namespace p = gatehouse::parser;
namespace o = gatehouse::parser::options;
using gatehouse::config::Json;

namespace {

p::AdaptState globalOptions(const std::string& body) {
  auto blocks = p::parseCaddyfile("{\n" + body + "\n}\n", "Caddyfile");
  p::AdaptState state;
  p::parseGlobalOptions(blocks.at(0), state);
  return state;
}

std::string errorOf(const std::string& body) {
  try {
    globalOptions(body);
  } catch (const p::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("durations follow caddy.ParseDuration, days included") {
  CHECK(o::parseDuration("5s") == 5'000'000'000LL);
  CHECK(o::parseDuration("1m30s") == 90'000'000'000LL);
  CHECK(o::parseDuration("7d") == 604'800'000'000'000LL);
  CHECK(o::parseDuration("1.5h") == 5'400'000'000'000LL);
  CHECK(o::parseDuration("-1s") == -1'000'000'000LL);
  CHECK(o::parseDuration("0") == 0);
  std::string err;
  CHECK_FALSE(o::parseDuration("5", &err));
  CHECK(err == "time: missing unit in duration \"5\"");
  CHECK_FALSE(o::parseDuration("5x", &err));
  CHECK(err == "time: unknown unit \"x\" in duration \"5x\"");
}

TEST_CASE("sizes follow humanize.ParseBytes") {
  CHECK(o::parseBytes("100MB") == 100'000'000ULL);
  CHECK(o::parseBytes("1gib") == 1'073'741'824ULL);
  CHECK(o::parseBytes("42") == 42ULL);
  CHECK_FALSE(o::parseBytes("12 parsecs"));
}

TEST_CASE("certificate subjects are classified as certmagic does") {
  CHECK(o::subjectQualifiesForPublicCert("example.com"));
  CHECK(o::subjectQualifiesForPublicCert("*.example.com"));
  CHECK_FALSE(o::subjectQualifiesForPublicCert("*.*.example.com"));
  CHECK_FALSE(o::subjectQualifiesForPublicCert("localhost"));
  CHECK_FALSE(o::subjectQualifiesForPublicCert("foo.local"));
  CHECK(o::subjectQualifiesForPublicCert("8.8.8.8"));  // current certmagic (0.17 said no)
  CHECK_FALSE(o::subjectQualifiesForPublicCert("10.0.0.1"));
  CHECK(o::subjectIsIp("127.0.0.1"));
  CHECK(o::subjectIsIp("::1"));
  CHECK(o::subjectIsInternal("10.1.2.3"));
  CHECK_FALSE(o::subjectIsInternal("8.8.8.8"));
  CHECK(o::subjectQualifiesForPublicCertImplicit("*.*.tld", true));
  CHECK_FALSE(o::subjectQualifiesForPublicCertImplicit("*.*.tld", false));
  CHECK(o::matchWildcard("a.example.com", "*.example.com"));
  CHECK_FALSE(o::matchWildcard("a.b.example.com", "*.example.com"));
  CHECK(o::listenersUseAnyPortOtherThan({":443"}, "80"));
  CHECK_FALSE(o::listenersUseAnyPortOtherThan({":80", "tcp4/0.0.0.0:80"}, "80"));
  CHECK(o::listenersUseAnyPortOtherThan({"unix//run/sock"}, "80"));
}

TEST_CASE("global options are stored in their documented shapes") {
  auto state = globalOptions(
      "debug\nhttp_port 8080\ngrace_period 5s\nstorage_clean_interval off\nemail a@b.c\n"
      "admin off\nauto_https disable_redirects\nacme_dns\ncert_issuer internal\n"
      "cert_issuer acme https://ca.example\nservers :443 {\n protocols h1 h2\n}\nservers {\n "
      "strict_sni_host\n}");
  auto& opts = state.options;
  CHECK(opts.at("debug") == true);
  CHECK(opts.at("http_port") == 8080);
  CHECK(opts.at("grace_period") == 5'000'000'000LL);
  CHECK(opts.at("storage_clean_interval") == false);
  CHECK(opts.at("email") == "a@b.c");
  CHECK(opts.at("admin") == Json{{"disabled", true}});
  CHECK(opts.at("auto_https") == Json::array({"disable_redirects"}));
  CHECK(opts.at("acme_dns").is_null());
  REQUIRE(opts.at("cert_issuer").size() == 2);
  CHECK(opts.at("cert_issuer")[1] == Json{{"module", "acme"}, {"ca", "https://ca.example"}});
  REQUIRE(opts.at("servers").size() == 2);
  CHECK(opts.at("servers")[0]["listener_address"] == ":443");  // most specific first
  CHECK(opts.at("servers")[1]["fields"]["strict_sni_host"] == true);
}

TEST_CASE("zerossl issuer: Caddy 2.6's ACME subdirectives and 2.10's own ones") {
  auto state = globalOptions(
      "cert_issuer zerossl KEY {\n email me@x.test\n dir https://ca.test/dir\n eab K M\n"
      " disable_http_challenge\n profile shortlived\n}");
  REQUIRE(state.options.at("cert_issuer").size() == 1);
  CHECK(state.options.at("cert_issuer")[0] == Json{{"module", "zerossl"},
                                                   {"api_key", "KEY"},
                                                   {"email", "me@x.test"},
                                                   {"ca", "https://ca.test/dir"},
                                                   {"external_account", {{"key_id", "K"}, {"mac_key", "M"}}},
                                                   {"profile", "shortlived"},
                                                   {"challenges", {{"http", {{"disabled", true}}}}}});
  auto newer = globalOptions("cert_issuer zerossl KEY {\n validity_days 30\n alt_http_port 8080\n}");
  CHECK(newer.options.at("cert_issuer")[0] ==
        Json{{"module", "zerossl"}, {"api_key", "KEY"}, {"validity_days", 30}, {"alt_http_port", 8080}});
  CHECK(errorOf("cert_issuer zerossl {\n nonsense 1\n}")
            .find("unrecognized zerossl issuer property: nonsense") != std::string::npos);
}

TEST_CASE("ACME issuers' alternate ports keep Go's 64-bit Atoi value, as caddy adapt emits it") {
  // An int cut 99999999999 to 1215752191 (caddy 2.6.2 adapts it as given; loading refuses it).
  auto acme =
      globalOptions("cert_issuer acme {\n alt_http_port 99999999999\n alt_tlsalpn_port -5000000000\n}");
  const Json& iss = acme.options.at("cert_issuer")[0];
  CHECK(iss["challenges"]["http"]["alternate_port"] == 99999999999LL);
  CHECK(iss["challenges"]["tls-alpn"]["alternate_port"] == -5000000000LL);
  auto zerossl = globalOptions("cert_issuer zerossl KEY {\n alt_http_port 4294967297\n}");
  CHECK(zerossl.options.at("cert_issuer")[0]["alt_http_port"] == 4294967297LL);
}

TEST_CASE("global option errors carry Caddy's wording and the token position") {
  CHECK(errorOf("foo bar") == "Caddyfile:2:1: unrecognized global option: foo");
  CHECK(errorOf("servers {\n srv0 {\n }\n}") ==
        "Caddyfile:3:2: parsing caddyfile tokens for 'servers': unrecognized servers option 'srv0'");
  CHECK(errorOf("on_demand_tls {\n}").find("expected at least one config parameter for on_demand_tls") !=
        std::string::npos);
  CHECK(errorOf("http_port x").find("converting port 'x' to integer value") != std::string::npos);
  CHECK(errorOf("on_demand_tls {\n burst x\n}").find("invalid syntax") != std::string::npos);
}

TEST_CASE("on_demand_tls: Caddy 2.6's ask, interval and burst; newer Caddy's permission") {
  auto state = globalOptions("on_demand_tls {\n ask http://127.0.0.1:9/check\n interval 2m\n burst 5\n}");
  const Json& ond = state.options.at("on_demand_tls");
  CHECK(ond["permission"] == Json{{"endpoint", "http://127.0.0.1:9/check"}, {"module", "http"}});
  CHECK(ond["rate_limit"]["interval"] == 120'000'000'000LL);
  CHECK(ond["rate_limit"]["burst"] == 5);
  auto perm = globalOptions("on_demand_tls {\n permission http {\n  endpoint http://h/ask\n }\n}");
  CHECK(perm.options.at("on_demand_tls")["permission"]["endpoint"] == "http://h/ask");
}

TEST_CASE("identical automation policies are consolidated, catch-alls absorb equal ones") {
  o::Policy a;
  a.subjects = {"a.com"};
  a.keyType = "p256";
  o::Policy b = a;
  b.subjects = {"b.com"};
  o::Policy all;
  all.keyType = "p256";
  auto merged = o::consolidatePolicies({a, b});
  REQUIRE(merged.size() == 1);
  CHECK(merged[0].subjects == std::vector<std::string>{"a.com", "b.com"});
  auto absorbed = o::consolidatePolicies({a, all});
  REQUIRE(absorbed.size() == 1);
  CHECK(absorbed[0].subjects.empty());
  o::Policy empty;
  empty.subjects = {"x.com"};
  CHECK(o::consolidatePolicies({empty}).empty());
}

TEST_CASE("global ACME defaults fill ACME issuers only") {
  auto state = globalOptions("email e@x\nacme_ca_root /r.pem\nhttp_port 8080");
  Json acme = {{"module", "acme"}};
  o::fillInGlobalAcmeDefaults(acme, state.options);
  CHECK(acme["email"] == "e@x");
  CHECK(acme["trusted_roots_pem_files"] == Json::array({"/r.pem"}));
  CHECK(acme["challenges"]["http"]["alternate_port"] == 8080);
  Json internal = {{"module", "internal"}};
  o::fillInGlobalAcmeDefaults(internal, state.options);
  CHECK(internal == Json{{"module", "internal"}});
}

namespace {

Json adaptTls(const std::string& caddyfile) {
  auto result = p::adaptCaddyfile(caddyfile, "Caddyfile");
  Json out = gatehouse::config::toJson(result.config);
  return out["apps"].contains("tls") ? out["apps"]["tls"] : Json();
}

std::string adaptError(const std::string& caddyfile) {
  try {
    p::adaptCaddyfile(caddyfile, "Caddyfile");
  } catch (const p::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("the tls directive shares certificate tags and builds implicit ACME issuers") {
  Json tls = adaptTls("a.com {\n tls c.pem k.pem\n}\nb.com {\n tls c.pem k.pem\n}\n");
  CHECK(tls["certificates"]["load_files"].size() == 1);
  Json issuers = adaptTls("a.com {\n tls me@a.com\n}\n")["automation"]["policies"][0]["issuers"];
  REQUIRE(issuers.size() == 2);
  CHECK(issuers[1]["ca"] == o::kZeroSslAcmeDirectory);
  CHECK(issuers[1]["email"] == "me@a.com");
}

TEST_CASE("DNS challenge options need a DNS provider") {
  CHECK(adaptError("a.com {\n tls {\n  propagation_delay 1s\n }\n}\n")
            .find("setting DNS challenge options [propagation_delay] requires a DNS provider") !=
        std::string::npos);
  CHECK(adaptError("{\n acme_dns mock\n}\na.com {\n tls {\n  propagation_delay 1s\n }\n}\n").empty());
  CHECK(adaptError("a.com {\n tls {\n  issuer acme\n  ca https://x\n }\n}\n")
            .find("cannot mix issuer subdirective") != std::string::npos);
}

TEST_CASE("a hostless site keeps its own policy beside a catch-all made for ACME defaults only") {
  // Caddy 2.6.2 makes no catch-all for ACME defaults, so `tls internal` on a block with a
  // hostless key is not a conflict with it (newer Caddy refuses this Caddyfile).
  const std::string caddyfile = "{\n acme_ca_root /r.pem\n}\n127.0.0.1, https:// {\n tls internal\n}\n";
  REQUIRE(adaptError(caddyfile).empty());
  Json policies = adaptTls(caddyfile)["automation"]["policies"];
  REQUIRE(policies.size() == 2);
  CHECK(policies[0]["subjects"] == Json::array({"127.0.0.1"}));
  CHECK(policies[0]["issuers"] == Json::array({Json{{"module", "internal"}}}));
  CHECK(policies[1]["issuers"][0]["trusted_roots_pem_files"] == Json::array({"/r.pem"}));
  // A hostless block is the catch-all for later hostless blocks, as in 2.6.2.
  CHECK(adaptError("{\n acme_ca_root /r.pem\n}\n:443 a.com {\n}\n:8443 {\n tls internal\n}\n")
            .find("automation policy from site block is also default/catch-all policy") != std::string::npos);
  // A catch-all from a global automation option is still adopted, and conflicts.
  CHECK(adaptError("{\n key_type p256\n}\n127.0.0.1, https:// {\n tls internal\n}\n")
            .find("automation policy from site block is also default/catch-all policy") != std::string::npos);
}

TEST_CASE("a name in two policies is refused as caddy 2.6.2 lays policies out") {
  // `*` beside a hostless key gets the internal issuer, and its site policy the global ACME
  // settings: 2.6.2 (no catch-all for ACME defaults alone) has `*` in both and refuses; the
  // newer layout's catch-all would absorb the site policy and hide the conflict.
  const std::string want =
      "hostname appears in more than one automation policy, making certificate "
      "management ambiguous: ";
  for (const char* global : {"acme_ca_root /r.pem", "acme_ca https://ca.test/dir", "email a@b.test"}) {
    CHECK(adaptError("{\n " + std::string(global) + "\n}\n*, https:// {\n}\n") == want + "*");
  }
  CHECK(adaptError("{\n acme_ca_root /r.pem\n}\nhttps://, *.com {\n}\n") == want + "*.com");
  // The same name with the internal issuer in both policies is no conflict (2.6.2 merges).
  REQUIRE(adaptError("{\n acme_ca_root /r.pem\n}\n*, https:// {\n tls internal\n}\n").empty());
  // Nor is a public name, or an internal one the site's policy leaves to the internal issuer.
  CHECK(adaptError("{\n acme_ca_root /r.pem\n}\na.com, https:// {\n}\n").empty());
  CHECK(adaptError("{\n acme_ca_root /r.pem\n}\nlocalhost, https:// {\n}\n").empty());
  CHECK(adaptError("{\n acme_ca_root /r.pem\n}\n*.a.com, https:// {\n}\n").empty());
}

TEST_CASE("the catch-all made for global ACME options alone is marked in memory, not in JSON") {
  auto marked = [](const std::string& caddyfile) {
    auto result = p::adaptCaddyfile(caddyfile, "Caddyfile");
    REQUIRE(result.config.tls);
    const auto& policies = result.config.tls->policies;
    REQUIRE_FALSE(policies.empty());
    CHECK(gatehouse::config::toJson(result.config).dump().find("provision_when_used") == std::string::npos);
    return policies.back().extra.contains(gatehouse::config::kProvisionWhenUsed);
  };
  CHECK(marked("{\n acme_ca_root /r.pem\n}\nlocalhost {\n}\n"));
  // 2.6.2 had a catch-all of its own for these: provisioned at start.
  CHECK_FALSE(marked("{\n acme_ca_root /r.pem\n key_type p256\n}\nlocalhost {\n}\n"));
  CHECK_FALSE(marked("{\n acme_ca_root /r.pem\n}\n:443 {\n}\n"));
}

TEST_CASE("duration options leave further tokens unread, as caddy 2.6.2's parseOptDuration") {
  for (const char* name :
       {"grace_period", "shutdown_delay", "renew_interval", "ocsp_interval", "storage_clean_interval"}) {
    auto state = globalOptions(std::string(name) + " 10s extra \"words\"");
    CHECK(state.options.at(name) == 10'000'000'000LL);
  }
  CHECK(errorOf("grace_period") ==
        "Caddyfile:2:1: parsing caddyfile tokens for 'grace_period': wrong argument "
        "count or unexpected line ending after 'grace_period'");
}

TEST_CASE("storage file_system needs a root, set once, as caddy 2.6.2's") {
  CHECK(errorOf("storage file_system") ==
        "Caddyfile:2:9: parsing caddyfile tokens for 'storage': missing root "
        "path (to use default, omit storage config entirely)");
  CHECK(errorOf("storage file_system {\n}") ==
        "Caddyfile:2:9: parsing caddyfile tokens for 'storage': missing "
        "root path (to use default, omit storage config entirely)");
  CHECK(errorOf("storage file_system /a {\n root /b\n}") ==
        "Caddyfile:3:2: parsing caddyfile tokens for 'storage': root already set");
  CHECK(globalOptions("storage file_system {\n root /b\n}").options.at("storage") ==
        Json::parse(R"({"module":"file_system","root":"/b"})"));
}

TEST_CASE("events: an empty block is an events app, handlers are refused as caddy 2.6.2 refuses them") {
  CHECK(globalOptions("events {\n}").options.at("events") == Json::object());
  CHECK(errorOf("events {\n on cert_obtained exec echo hi\n}") ==
        "Caddyfile:3:19: parsing caddyfile tokens for 'events': getting module named 'events.handlers.exec': "
        "module not registered: events.handlers.exec");
  CHECK(errorOf("events {\n bogus\n}") ==
        "Caddyfile:3:2: parsing caddyfile tokens for 'events': wrong argument count or unexpected line "
        "ending after 'bogus'");
}

TEST_CASE("listener wrappers skip their tokens as caddy 2.6.2's, but newer status_code is refused") {
  auto wrappers = [](const std::string& body) {
    return globalOptions("servers {\n listener_wrappers {\n" + body + "\n }\n}")
        .options.at("servers")[0]["fields"]["listener_wrappers"];
  };
  CHECK(wrappers("  http_redirect extra {\n   foo bar\n  }\n  tls {host") ==
        Json::parse(R"([{"wrapper":"http_redirect"},{"wrapper":"tls"}])"));
  CHECK(errorOf("servers {\n listener_wrappers {\n  http_redirect {\n   status_code 301\n  }\n }\n}") ==
        "Caddyfile:5:4: parsing caddyfile tokens for 'servers': http_redirect's status_code (newer Caddy) is "
        "not supported yet");
}
