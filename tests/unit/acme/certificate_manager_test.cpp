// The certificate manager of `gatehouse run`: what storage holds is served at provision,
// without contacting the CA; the acme-tls/1 hook answers only names with a pending challenge;
// the issuer choice follows the automation policies.
#include "manager/certificate_manager.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "crypto/tls_alpn_cert.h"
#include "manager/challenge_certificates.h"
#include "provision/managed_certificates.h"
#include "storage/file_storage.h"
#include "storage/storage_keys.h"

using namespace gatehouse;
namespace fs = std::filesystem;

namespace {
struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "gh-manager-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
};
// Nothing listens on the discard port: any contact with the "CA" would fail the test's
// expectations (and is never started here anyway).
constexpr const char* kCa = "https://127.0.0.1:9/dir";
}  // namespace

TEST_CASE("certificate manager: a stored certificate is served at once, a missing one is not", "[acme]") {
  TempDir dir;
  acme::FileStorage storage(dir.path);
  const std::string issuer = acme::storage_keys::issuerKey(kCa);
  auto stored = acme::buildTlsAlpnCertificate("x.test", "unused");
  storage.store(acme::storage_keys::sitePrivateKey(issuer, "x.test"), stored.keyPem);
  storage.store(acme::storage_keys::siteCert(issuer, "x.test"), stored.certPem);

  acme::ManagerConfig config;
  config.storageRoot = dir.path;
  acme::AcmeIssuerSettings settings;
  settings.ca = kCa;
  config.issuers.push_back(settings);
  config.certificates.push_back({"x.test", 0, acme::KeyType::P256});
  config.certificates.push_back({"y.test", 0, acme::KeyType::P256});
  auto store = std::make_shared<tls::CertificateStore>();
  acme::CertificateManager manager(config, store);
  auto index = store->snapshot();
  REQUIRE(index->lookup("x.test").size() == 1);
  CHECK(index->lookup("x.test").front()->names() == std::vector<std::string>{"x.test"});
  CHECK(index->lookup("y.test").empty());
  CHECK(manager.challengeProvider()->challengeCertificate("x.test") == nullptr);
}

TEST_CASE("the acme-tls/1 hook serves the pending challenge certificate only", "[acme]") {
  auto responder = std::make_shared<acme::ChallengeResponder>();
  acme::ChallengeCertificates hook(responder);
  CHECK(hook.challengeCertificate("a.test") == nullptr);
  auto c = acme::buildTlsAlpnCertificate("a.test", "token.thumbprint");
  responder->setTlsAlpn01("a.test", {c.certPem, c.keyPem});
  auto cert = hook.challengeCertificate("A.TEST");
  REQUIRE(cert != nullptr);
  CHECK(cert->names() == std::vector<std::string>{"a.test"});
  responder->clearTlsAlpn01("a.test");
  CHECK(hook.challengeCertificate("a.test") == nullptr);
}

TEST_CASE("issuer choice: first covering policy's first issuer, else ACME for public names", "[acme]") {
  config::AutomationPolicy internal;
  internal.subjects = {"*.corp.test"};
  internal.issuers = {config::Json{{"module", "internal"}}};
  config::AutomationPolicy acmeAll;
  acmeAll.issuers = {config::Json{{"module", "acme"}, {"ca", kCa}}};
  provision::TlsAppRuntime tls;
  tls.policies = {&internal};
  CHECK(provision::chooseIssuer("a.corp.test", tls).kind == provision::IssuerKind::Internal);
  CHECK(provision::chooseIssuer("a.test", tls).kind == provision::IssuerKind::Acme);
  CHECK(provision::chooseIssuer("a.test", tls).issuer == nullptr);
  CHECK(provision::chooseIssuer("localhost", tls).kind == provision::IssuerKind::Internal);
  CHECK(provision::chooseIssuer("10.0.0.1", tls).kind == provision::IssuerKind::Internal);
  tls.policies = {&internal, &acmeAll};
  auto choice = provision::chooseIssuer("a.test", tls);
  CHECK(choice.kind == provision::IssuerKind::Acme);
  REQUIRE(choice.issuer != nullptr);
  CHECK(choice.issuer->value("ca", "") == kCa);
  CHECK(choice.path == "apps.tls.automation.policies[1].issuers[0]");
}
