// Finalize's CSR checks and the leaf the ACME server signs: the order's names exactly,
// signed by the pki CA's intermediate for the policy's lifetime (Caddy's 12 h).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "crypto/certificate_info.h"
#include "crypto/csr.h"
#include "internal/internal_issuer.h"
#include "internal/local_ca.h"
#include "internal/x509_builder.h"
#include "server/acme_problem.h"
#include "server/certificate_signer.h"
#include "storage/file_storage.h"

using namespace gatehouse::acme;
using namespace gatehouse::acme::server;
namespace fs = std::filesystem;

namespace {

struct TempStore {
  std::string path;
  TempStore() {
    std::string tmpl = (fs::temp_directory_path() / "gh-acmesrv-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempStore() { fs::remove_all(path); }
  TempStore(const TempStore&) = delete;
  TempStore& operator=(const TempStore&) = delete;
};

Order orderFor(std::vector<std::string> names) {
  Order o;
  for (auto& n : names) {
    o.identifiers.push_back(Identifier{isIpAddress(n) ? "ip" : "dns", n});
  }
  return o;
}

}  // namespace

TEST_CASE("acme server: finalize signs the order's names with the CA's intermediate", "[acmeserver]") {
  TempStore dir;
  FileStorage storage(dir.path);
  internal::LocalCaOptions opts;
  opts.id = "test";
  opts.name = "Unit CA";
  const auto ca = internal::LocalCa::loadOrCreate(storage, opts, std::chrono::system_clock::now());
  const PrivateKey key = PrivateKey::generate(KeyType::P256);
  const Order order = orderFor({"a.test", "127.0.0.1"});

  const std::string chain =
      signOrderCsr(buildCsrDer(key, {"a.test", "127.0.0.1"}), order, ca, SigningPolicy{});
  const auto blocks = splitPemCertificates(chain);
  REQUIRE(blocks.size() == 2);
  CHECK(blocks[1] == internal::certificateToPem(ca.intermediate()));
  const CertificateInfo info = readCertificateInfo(chain);
  CHECK(info.names == std::vector<std::string>{"a.test", "127.0.0.1"});
  CHECK(info.notAfter - info.notBefore == std::chrono::hours(12));
  CHECK(certificateMatchesKey(chain, key.toPem()));

  SigningPolicy rootPolicy;
  rootPolicy.signWithRoot = true;
  rootPolicy.lifetime = std::chrono::hours(1);
  const std::string rootSigned =
      signOrderCsr(buildCsrDer(key, {"a.test", "127.0.0.1"}), order, ca, rootPolicy);
  CHECK(splitPemCertificates(rootSigned)[1] == internal::certificateToPem(ca.root()));
}

TEST_CASE("acme server: a CSR that does not match the order is badCSR", "[acmeserver]") {
  TempStore dir;
  FileStorage storage(dir.path);
  const auto ca =
      internal::LocalCa::loadOrCreate(storage, internal::LocalCaOptions{}, std::chrono::system_clock::now());
  const PrivateKey key = PrivateKey::generate(KeyType::P256);
  auto typeOf = [&](const std::string& der, const Order& o) {
    try {
      signOrderCsr(der, o, ca, SigningPolicy{});
    } catch (const AcmeProblem& p) {
      return p.type();
    }
    return std::string("none");
  };
  CHECK(typeOf(buildCsrDer(key, {"a.test", "b.test"}), orderFor({"a.test"})) == "badCSR");
  CHECK(typeOf(buildCsrDer(key, {"a.test"}), orderFor({"a.test", "b.test"})) == "badCSR");
  CHECK(typeOf("garbage", orderFor({"a.test"})) == "badCSR");
  std::string der = buildCsrDer(key, {"a.test"});
  der[der.size() - 5] ^= 1;  // inside the signature
  CHECK(typeOf(der, orderFor({"a.test"})) == "badCSR");
  CHECK(typeOf(buildCsrDer(key, {"A.test"}), orderFor({"a.test"})) == "none");  // names are case-insensitive
}

TEST_CASE("local CA: a root supplied as PEM files signs the generated intermediate", "[localca]") {
  TempStore dir;
  FileStorage storage(dir.path);
  // A root made by another CA run, written out as the user's files.
  internal::LocalCaOptions gen;
  gen.id = "maker";
  const auto maker = internal::LocalCa::loadOrCreate(storage, gen, std::chrono::system_clock::now());
  const std::string certFile = dir.path + "/my-root.crt";
  const std::string keyFile = dir.path + "/my-root.key";
  {
    std::ofstream(certFile) << internal::certificateToPem(maker.root());
    std::ofstream(keyFile) << *storage.load(internal::ca_keys::rootKey("maker"));
  }
  internal::LocalCaOptions opts;
  opts.id = "custom";
  opts.root = internal::KeyPairFiles{certFile, keyFile};
  const auto ca = internal::LocalCa::loadOrCreate(storage, opts, std::chrono::system_clock::now());
  CHECK(internal::certificateToPem(ca.root()) == internal::certificateToPem(maker.root()));
  CHECK(X509_check_issued(const_cast<X509*>(ca.root()), const_cast<X509*>(ca.intermediate())) == X509_V_OK);
  CHECK(storage.load(internal::ca_keys::intermediateCert("custom")).has_value());
  CHECK_FALSE(storage.load(internal::ca_keys::rootCert("custom")).has_value());  // never copied to storage

  opts.root->privateKey = dir.path + "/missing.key";
  CHECK_THROWS_WITH(internal::LocalCa::loadOrCreate(storage, opts, std::chrono::system_clock::now()),
                    Catch::Contains("missing.key"));
  // A key that is not the certificate's is refused.
  const PrivateKey other = PrivateKey::generate(KeyType::P256);
  std::ofstream(dir.path + "/other.key") << other.toPem();
  opts.root->privateKey = dir.path + "/other.key";
  CHECK_THROWS_WITH(internal::LocalCa::loadOrCreate(storage, opts, std::chrono::system_clock::now()),
                    Catch::Contains("does not match"));
}

TEST_CASE("internal issuer: sign_with_root signs leaves with the root and serves it", "[localca]") {
  TempStore dir;
  FileStorage storage(dir.path);
  auto ca = std::make_shared<const internal::LocalCa>(
      internal::LocalCa::loadOrCreate(storage, internal::LocalCaOptions{}, std::chrono::system_clock::now()));
  internal::InternalIssuer issuer(ca, std::chrono::hours(1), true);
  const std::string chain = issuer.issue({"a.test"}, PrivateKey::generate(KeyType::P256));
  const auto blocks = splitPemCertificates(chain);
  REQUIRE(blocks.size() == 2);
  CHECK(blocks[1] == internal::certificateToPem(ca->root()));
  const X509Ptr leaf = internal::certificateFromPem(blocks[0]);
  CHECK(X509_check_issued(const_cast<X509*>(ca->root()), leaf.get()) == X509_V_OK);
}
