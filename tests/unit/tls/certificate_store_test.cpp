#include "gatehouse/tls/certificate_store.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "test_certs.h"
#include "tls/connection_policy.h"

using namespace gatehouse::tls;

TEST_CASE("certificate names come from the SAN, lower-cased") {
  auto c = testing::selfSigned({"Example.COM", "www.example.com"});
  CHECK(c->names() == std::vector<std::string>{"example.com", "www.example.com"});
  CHECK(c->fingerprint().size() == 64);
}

TEST_CASE("the common name is a name too, first, even beside SANs (certmagic)") {
  auto c = testing::selfSigned({"a.test", "b.test"}, {}, "Other.TEST");
  CHECK(c->names() == std::vector<std::string>{"other.test", "a.test", "b.test"});
  CertificateStore store;
  store.install(c);
  CHECK(store.snapshot()->lookup("other.test").front() == c);
}

TEST_CASE("lookup: exact name first, then one wildcard label") {
  CertificateStore store;
  auto exact = testing::selfSigned({"a.example.com"});
  auto wild = testing::selfSigned({"*.example.com"});
  store.install(exact);
  store.install(wild);
  auto idx = store.snapshot();
  CHECK(idx->lookup("a.example.com").front() == exact);
  CHECK(idx->lookup("b.example.com").front() == wild);
  CHECK(idx->lookup("x.b.example.com").empty());  // a wildcard covers one label only
  CHECK(idx->lookup("example.com").empty());
  CHECK(idx->lookup("").empty());
}

TEST_CASE("a snapshot stays valid while the store changes") {
  CertificateStore store;
  auto first = testing::selfSigned({"a.test"});
  store.replaceFor("a.test", first);
  auto before = store.snapshot();
  auto renewed = testing::selfSigned({"a.test"});
  store.replaceFor("a.test", renewed);
  CHECK(before->lookup("a.test").front() == first);
  CHECK(store.snapshot()->lookup("a.test").size() == 1);
  CHECK(store.snapshot()->lookup("a.test").front() == renewed);
  store.remove(renewed->fingerprint());
  CHECK(store.snapshot()->lookup("a.test").empty());
}

TEST_CASE("a managed certificate never replaces a loaded one (ignore_loaded_certs)") {
  CertificateStore store;
  auto loaded = testing::selfSigned({"a.test", "b.test"});
  store.replaceAll({loaded});
  auto managed = testing::selfSigned({"a.test"});
  store.replaceFor("a.test", managed);
  CHECK(store.snapshot()->lookup("a.test").size() == 2);
  CHECK(store.snapshot()->lookup("b.test") == std::vector<CertificatePtr>{loaded});
  auto renewed = testing::selfSigned({"a.test"});
  store.replaceFor("a.test", renewed);
  const auto now = store.snapshot()->lookup("a.test");
  CHECK(now.size() == 2);
  CHECK(std::find(now.begin(), now.end(), loaded) != now.end());
  CHECK(std::find(now.begin(), now.end(), renewed) != now.end());
  // The same leaf again (a new OCSP staple) replaces its own copy.
  store.replaceFor("a.test", renewed);
  CHECK(store.snapshot()->lookup("a.test").size() == 2);
}

TEST_CASE("installing the same certificate twice keeps one copy") {
  CertificateStore store;
  auto c = testing::selfSigned({"a.test"});
  store.install(c);
  store.install(c);
  CHECK(store.snapshot()->all().size() == 1);
}

TEST_CASE("PEM that holds no certificate is refused with a message") {
  CHECK_THROWS_AS(loadCertificatePem("not a pem", "not a key"), std::invalid_argument);
}

TEST_CASE("SNI patterns: exact and one-label wildcards") {
  CHECK(matchesServerName("a.test", "a.test"));
  CHECK(matchesServerName("*.test", "a.test"));
  CHECK_FALSE(matchesServerName("*.test", "test"));
  CHECK_FALSE(matchesServerName("*.test", "a.b.test"));
  CHECK_FALSE(matchesServerName("a.test", "b.test"));
  ConnectionPolicy any;
  CHECK(any.matches(""));
  ConnectionPolicy sni;
  sni.matchSni = {"*.wild.test", "a.test"};
  CHECK(sni.matches("x.wild.test"));
  CHECK_FALSE(sni.matches(""));
}

TEST_CASE("certificate_selection tags") {
  ConnectionPolicy p;
  p.anyTag = {"cert0", "cert1"};
  CHECK(p.selects(*testing::selfSigned({"a.test"}, {"cert1"})));
  CHECK_FALSE(p.selects(*testing::selfSigned({"a.test"}, {"cert2"})));
  ConnectionPolicy all;
  all.allTags = {"x", "y"};
  CHECK(all.selects(*testing::selfSigned({"a.test"}, {"y", "x"})));
  CHECK_FALSE(all.selects(*testing::selfSigned({"a.test"}, {"x"})));
}

TEST_CASE("swapStaple replaces a loaded certificate in place, only while it is there") {
  CertificateStore store;
  auto first = testing::selfSigned({"a.test"});
  auto second = testing::selfSigned({"a.test"});
  store.replaceAll({first, second});
  auto stapled = first->withOcspStaple("der");
  CHECK(store.swapStaple(first, stapled));
  auto all = store.snapshot()->lookup("a.test");
  REQUIRE(all.size() == 2);
  CHECK(all[0] == stapled);  // same position: certificate selection order is kept
  CHECK(all[1] == second);
  CHECK_FALSE(store.swapStaple(first, first));  // `first` was replaced: a stale refresh changes nothing
  CHECK(store.snapshot()->lookup("a.test")[0] == stapled);
}
