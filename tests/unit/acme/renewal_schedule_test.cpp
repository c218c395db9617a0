// When certificates are renewed (acme/manager/renewal_schedule.*) and which stored
// certificate an issuer list serves (acme/manager/issuer_chain.*). Pebble 2.4 offers no
// renewalInfo, so the ARI window choice is tested here, without a CA.
#include "manager/renewal_schedule.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "internal/x509_builder.h"
#include "manager/certificate_manager.h"
#include "manager/issuer_chain.h"
#include "storage/storage_keys.h"

using namespace gatehouse;
using namespace gatehouse::acme;
namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::seconds;

namespace {
struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "gh-renewal-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

struct Pem {
  std::string cert;
  std::string key;
};

// A self-signed leaf for `name` valid from notBefore for `lifetime`.
Pem leaf(const std::string& name, Clock::time_point notBefore, Clock::duration lifetime) {
  const PrivateKey key = PrivateKey::generate(KeyType::P256);
  internal::CertRequest req;
  req.kind = internal::CertKind::Leaf;
  req.names = {name};
  req.notBefore = notBefore;
  req.notAfter = notBefore + lifetime;
  auto x = internal::signCertificate(req, key.get(), nullptr, key.get());
  return {internal::certificateToPem(x.get()), key.toPem()};
}

void put(FileStorage& s, const std::string& issuer, const std::string& name, const Pem& p) {
  s.store(storage_keys::sitePrivateKey(issuer, name), p.key);
  s.store(storage_keys::siteCert(issuer, name), p.cert);
}

CertificateInfo lifetimeOf(Clock::time_point notBefore, Clock::duration lifetime) {
  CertificateInfo info;
  info.notBefore = notBefore;
  info.notAfter = notBefore + lifetime;
  return info;
}
}  // namespace

TEST_CASE("renewal window: renewal_window_ratio of the lifetime left", "[acme][renewal]") {
  const auto start = Clock::now();
  const auto info = lifetimeOf(start, hours(90 * 24));
  CHECK(renewalTime(info, kDefaultRenewalWindowRatio) == defaultRenewalTime(info));
  CHECK(info.notAfter - renewalTime(info, 1.0 / 3) == hours(30 * 24));
  CHECK(renewalTime(info, 0.5) - start == hours(45 * 24));
  // A six-day (shortlived) certificate and a 30-second pebble one scale the same way.
  CHECK(renewalTime(lifetimeOf(start, hours(6 * 24)), 1.0 / 3) - start == hours(4 * 24));
  CHECK(renewalTime(lifetimeOf(start, seconds(30)), 0.5) - start == seconds(15));
}

TEST_CASE("retry backoff takes certmagic's steps, repeats 6 h, honours Retry-After", "[acme][renewal]") {
  // caddy 2.6.2 logs "will retry" with retrying_in 60, 120, 120, 300, ... (certmagic's list).
  const int minutes[] = {1, 2, 2, 5, 10, 20, 20, 30, 30, 60, 180, 360, 360};
  for (int i = 0; i < 13; ++i) {
    CHECK(retryDelay(i + 1, seconds(0)) == std::chrono::minutes(minutes[i]));
  }
  CHECK(retryDelay(30, seconds(0)) == hours(6));
  CHECK(retryDelay(1, seconds(3600)) == seconds(3600));  // the CA asked for later
  CHECK(retryDelay(4, seconds(10)) == seconds(300));     // never sooner than the backoff
  CHECK(retryDelay(0, seconds(0)) == seconds(60));
}

TEST_CASE("retry backoff of a short-lived certificate stays within a twelfth of its lifetime",
          "[acme][renewal]") {
  const seconds sixDays = hours(6 * 24);
  CHECK(retryDelay(1, seconds(0), sixDays) == seconds(60));
  CHECK(retryDelay(5, seconds(0), sixDays) == seconds(600));
  CHECK(retryDelay(30, seconds(0), sixDays) == hours(6));         // certmagic's last step
  CHECK(retryDelay(30, seconds(0), hours(24)) == hours(2));       // a 1-day certificate: 2 h
  CHECK(retryDelay(30, seconds(0), hours(90 * 24)) == hours(6));  // 90 days: 6 h, as certmagic
  CHECK(retryDelay(30, seconds(0), seconds(24)) == seconds(60));  // never under the first step
  CHECK(retryDelay(30, hours(20), sixDays) == hours(20));         // Retry-After still wins
  // With the default ratio a 6-day certificate is due with 2 days left: at the longest
  // backoff that still leaves 4 attempts before it expires.
  const auto start = Clock::now();
  const auto info = lifetimeOf(start, sixDays);
  CHECK(info.notAfter - renewalTime(info, kDefaultRenewalWindowRatio) >
        3 * retryDelay(30, seconds(0), sixDays));
}

TEST_CASE("ARI: a moment in the suggested window, kept while the window stays", "[acme][renewal]") {
  const auto t0 = Clock::now();
  const RenewalWindow w{t0 + hours(10), t0 + hours(12)};
  const AriPick first = pickRenewalTime(w, std::nullopt, 0.25);
  CHECK(first.at == t0 + hours(10) + std::chrono::minutes(30));
  // Checking again every renew_interval with a new random draw does not move it ...
  CHECK(pickRenewalTime(w, first, 0.9).at == first.at);
  // ... a new window does (e.g. the CA moved it earlier for a revocation).
  const RenewalWindow sooner{t0 - hours(1), t0};
  const AriPick moved = pickRenewalTime(sooner, first, 0.5);
  CHECK(moved.at == t0 - std::chrono::minutes(30));
  CHECK(moved.at < Clock::now());  // in the past: the manager renews at once
  // Draws outside [0,1] stay inside the window.
  CHECK(pickRenewalTime(w, std::nullopt, 7.0).at == w.end);
  CHECK(pickRenewalTime(w, std::nullopt, -1.0).at == w.start);
  for (int i = 0; i < 100; ++i) {
    const double u = randomUnit();
    CHECK((u >= 0.0 && u < 1.0));
  }
}

TEST_CASE("issuer list: the newest valid stored certificate of any issuer is served", "[acme][renewal]") {
  TempDir dir;
  FileStorage storage(dir.path);
  const auto now = Clock::now();
  put(storage, "first-ca", "a.test", leaf("a.test", now - hours(48), hours(90 * 24)));
  put(storage, "second-ca", "a.test", leaf("a.test", now - hours(1), hours(90 * 24)));
  put(storage, "first-ca", "old.test", leaf("old.test", now - hours(48), hours(24)));  // expired
  put(storage, "second-ca", "other.test", leaf("not-other.test", now, hours(24)));     // wrong name
  auto a = loadNewestStored(storage, {"first-ca", "second-ca"}, "a.test");
  REQUIRE(a);
  CHECK(a->position == 1);
  CHECK(a->info.names == std::vector<std::string>{"a.test"});
  CHECK(loadNewestStored(storage, {"first-ca"}, "a.test")->position == 0);
  CHECK_FALSE(loadNewestStored(storage, {"first-ca", "second-ca"}, "old.test"));
  CHECK_FALSE(loadNewestStored(storage, {"first-ca", "second-ca"}, "other.test"));
  CHECK_FALSE(loadNewestStored(storage, {"third-ca"}, "a.test"));
}

TEST_CASE("issuer list: a damaged file is named and never hides another issuer's certificate",
          "[acme][renewal]") {
  TempDir dir;
  FileStorage storage(dir.path);
  const auto now = Clock::now();
  const Pem good = leaf("a.test", now - hours(48), hours(90 * 24));
  put(storage, "first-ca", "a.test", good);
  put(storage, "second-ca", "a.test", leaf("a.test", now - hours(1), hours(90 * 24)));
  storage.store(storage_keys::siteCert("second-ca", "a.test"), "garbage, not a PEM\n");
  std::vector<std::string> problems;
  auto a = loadNewestStored(storage, {"first-ca", "second-ca"}, "a.test", &problems);
  REQUIRE(a);
  CHECK(a->position == 0);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("certificates/second-ca/a.test/a.test.crt") != std::string::npos);
  CHECK_THROWS(loadNewestStored(storage, {"second-ca"}, "a.test"));
  // A key from another issuance (a crash between two writes, or a hand copy) is refused.
  put(storage, "third-ca", "b.test", leaf("b.test", now - hours(1), hours(90 * 24)));
  storage.store(storage_keys::sitePrivateKey("third-ca", "b.test"), good.key);
  problems.clear();
  CHECK_FALSE(loadNewestStored(storage, {"third-ca"}, "b.test", &problems));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("certificates/third-ca/b.test/b.test.key: not the private key of") == 0);
  // An empty key file is the same.
  storage.store(storage_keys::sitePrivateKey("third-ca", "b.test"), "");
  problems.clear();
  CHECK_FALSE(loadNewestStored(storage, {"third-ca"}, "b.test", &problems));
  CHECK(problems.size() == 1);
}

TEST_CASE("issuer list: a save cut between its renames is completed from the staged file",
          "[acme][renewal]") {
  TempDir dir;
  FileStorage storage(dir.path);
  const auto now = Clock::now();
  const std::string site = dir.path + "/certificates/ca/a.test/";
  put(storage, "ca", "a.test", leaf("a.test", now - hours(2), hours(90 * 24)));
  // Key renamed, chain still staged (storeIssued's order), plus an unrelated staged chain.
  const Pem next = leaf("a.test", now - hours(1), hours(90 * 24));
  storage.store(storage_keys::sitePrivateKey("ca", "a.test"), next.key);
  { std::ofstream(site + "a.test.crt.tmp-aaaaaaaa") << leaf("a.test", now, hours(24)).cert; }
  { std::ofstream(site + "a.test.crt.tmp-bbbbbbbb") << next.cert; }
  std::vector<std::string> problems;
  // Without the issuance lock (a live writer may be between its renames): only reported.
  CHECK_FALSE(loadNewestStored(storage, {"ca"}, "a.test", &problems));
  CHECK(problems.size() == 1);
  CHECK(fs::exists(site + "a.test.crt.tmp-bbbbbbbb"));
  problems.clear();
  const StoredLookup locked{.completeInterrupted = true};
  auto a = loadNewestStored(storage, {"ca"}, "a.test", &problems, locked);
  REQUIRE(a);
  CHECK(problems.empty());
  CHECK(a->recovered == "certificates/ca/a.test/a.test.crt");
  CHECK(a->chainPem == next.cert);
  CHECK(*storage.load(storage_keys::siteCert("ca", "a.test")) == next.cert);
  CHECK_FALSE(fs::exists(site + "a.test.crt.tmp-bbbbbbbb"));
  CHECK(fs::exists(site + "a.test.crt.tmp-aaaaaaaa"));  // not its key's: left for the sweep
  // The other order: chain renamed, key staged.
  const Pem third = leaf("a.test", now, hours(90 * 24));
  storage.store(storage_keys::siteCert("ca", "a.test"), third.cert);
  { std::ofstream(site + "a.test.key.tmp-cccccccc") << third.key; }
  a = loadNewestStored(storage, {"ca"}, "a.test", &problems, locked);
  REQUIRE(a);
  CHECK(a->recovered == "certificates/ca/a.test/a.test.key");
  CHECK(a->keyPem == third.key);
  // Nothing staged that fits: still refused.
  storage.store(storage_keys::sitePrivateKey("ca", "a.test"), next.key);
  CHECK_FALSE(loadNewestStored(storage, {"ca"}, "a.test", &problems, locked));
  CHECK(problems.size() == 1);
}

TEST_CASE("issuer list: an expired certificate only when asked and when no valid one exists",
          "[acme][renewal]") {
  TempDir dir;
  FileStorage storage(dir.path);
  const auto now = Clock::now();
  put(storage, "first-ca", "a.test", leaf("a.test", now - hours(48), hours(24)));   // expired
  put(storage, "second-ca", "a.test", leaf("a.test", now - hours(72), hours(24)));  // expired, older
  CHECK_FALSE(loadNewestStored(storage, {"first-ca", "second-ca"}, "a.test"));
  auto expired =
      loadNewestStored(storage, {"first-ca", "second-ca"}, "a.test", nullptr, {.acceptExpired = true});
  REQUIRE(expired);
  CHECK(expired->position == 0);
  // A valid one wins over a newer expired one.
  put(storage, "third-ca", "a.test", leaf("a.test", now - hours(96), hours(200)));
  auto valid =
      loadNewestStored(storage, {"first-ca", "third-ca"}, "a.test", nullptr, {.acceptExpired = true});
  REQUIRE(valid);
  CHECK(valid->position == 1);
}

TEST_CASE("certificate manager: a certificate stored by a fallback issuer is served at once",
          "[acme][renewal]") {
  TempDir dir;
  FileStorage storage(dir.path);
  const std::string first = "https://127.0.0.1:9/first";  // discard port: never contacted here
  const std::string second = "https://127.0.0.1:9/second";
  const Pem p = leaf("x.test", Clock::now() - hours(1), hours(90 * 24));
  put(storage, storage_keys::issuerKey(second), "x.test", p);
  ManagerConfig config;
  config.storageRoot = dir.path;
  AcmeIssuerSettings s1;
  s1.ca = first;
  AcmeIssuerSettings s2;
  s2.ca = second;
  config.issuers = {s1, s2};
  ManagedCertificate c;
  c.name = "x.test";
  c.issuer = 0;
  c.fallbackIssuers = {1};
  config.certificates.push_back(c);
  auto store = std::make_shared<tls::CertificateStore>();
  CertificateManager manager(config, store);
  REQUIRE(store->snapshot()->lookup("x.test").size() == 1);
}
