// The local CA and the internal issuer: certificate properties (as smallstep's templates
// that Caddy uses), the storage layout Caddy reads, and chain verification with OpenSSL.
#include "internal/local_ca.h"

#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "crypto/certificate_info.h"
#include "internal/internal_issuer.h"
#include "internal/x509_builder.h"
#include "storage/file_storage.h"

using namespace gatehouse::acme;
using namespace gatehouse::acme::internal;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "gh-localca-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

using StorePtr = std::unique_ptr<X509_STORE, OsslDeleter<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OsslDeleter<X509_STORE_CTX_free>>;
struct StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};
using StackPtr = std::unique_ptr<STACK_OF(X509), StackFree>;

bool verifies(const X509* root, const X509* inter, const X509* leaf) {
  StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), const_cast<X509*>(root));
  StackPtr untrusted(sk_X509_new_null());
  sk_X509_push(untrusted.get(), const_cast<X509*>(inter));
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), const_cast<X509*>(leaf), untrusted.get());
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  return X509_verify_cert(ctx.get()) == 1;
}

std::string cn(const X509* cert) {
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
  return buf;
}

long pathLen(const X509* cert) {
  return X509_get_pathlen(const_cast<X509*>(cert));
}

}  // namespace

TEST_CASE("local CA: root and intermediate as Caddy makes them", "[localca]") {
  TempDir dir;
  FileStorage storage(dir.path);
  const auto now = std::chrono::system_clock::now();
  const LocalCa ca = LocalCa::loadOrCreate(storage, LocalCaOptions{}, now);

  for (const char* f : {"root.crt", "root.key", "intermediate.crt", "intermediate.key"}) {
    const auto p = fs::path(dir.path) / "pki/authorities/local" / f;
    REQUIRE(fs::exists(p));
    struct stat st {};
    REQUIRE(stat(p.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }
  const X509* root = ca.root();
  const X509* inter = ca.intermediate();
  CHECK(X509_check_ca(const_cast<X509*>(root)) == 1);
  CHECK(X509_check_ca(const_cast<X509*>(inter)) == 1);
  CHECK(pathLen(root) == 1);
  CHECK(pathLen(inter) == 0);
  CHECK((X509_get_key_usage(const_cast<X509*>(root)) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) ==
        (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  CHECK(X509_check_issued(const_cast<X509*>(root), const_cast<X509*>(inter)) == X509_V_OK);
  EVP_PKEY* rootKey = X509_get0_pubkey(root);
  CHECK(EVP_PKEY_get_base_id(rootKey) == EVP_PKEY_EC);
  CHECK(EVP_PKEY_get_bits(rootKey) == 256);
  CHECK(cn(root).starts_with("Caddy Local Authority - "));
  CHECK(cn(root).ends_with(" ECC Root"));
  CHECK(cn(inter) == "Caddy Local Authority - ECC Intermediate");
  CHECK(notAfterOf(root) - notBeforeOf(root) == kRootLifetime);
  CHECK(notAfterOf(inter) - notBeforeOf(inter) == std::chrono::hours(24 * 7));
  // No name constraints: Caddy sets none.
  CHECK(X509_get_ext_by_NID(root, NID_name_constraints, -1) < 0);
}

TEST_CASE("local CA: loaded again, not regenerated; intermediate renewed in its last fifth", "[localca]") {
  TempDir dir;
  FileStorage storage(dir.path);
  const auto now = std::chrono::system_clock::now();
  const LocalCa first = LocalCa::loadOrCreate(storage, LocalCaOptions{}, now);
  const LocalCa again = LocalCa::loadOrCreate(storage, LocalCaOptions{}, now + std::chrono::hours(1));
  CHECK(X509_cmp(first.root(), again.root()) == 0);
  CHECK(X509_cmp(first.intermediate(), again.intermediate()) == 0);
  // 6 days into a 7-day intermediate: renewed, same root.
  const LocalCa later = LocalCa::loadOrCreate(storage, LocalCaOptions{}, now + std::chrono::hours(24 * 6));
  CHECK(X509_cmp(first.root(), later.root()) == 0);
  CHECK(X509_cmp(first.intermediate(), later.intermediate()) != 0);
  CHECK(X509_check_issued(const_cast<X509*>(later.root()), const_cast<X509*>(later.intermediate())) ==
        X509_V_OK);
}

TEST_CASE("local CA: pki options name the certificates", "[localca]") {
  TempDir dir;
  FileStorage storage(dir.path);
  LocalCaOptions opts;
  opts.name = "Test CA";
  opts.intermediateLifetime = std::chrono::hours(48);
  const LocalCa ca = LocalCa::loadOrCreate(storage, opts, std::chrono::system_clock::now());
  CHECK(cn(ca.intermediate()) == "Test CA - ECC Intermediate");
  CHECK(cn(ca.root()).starts_with("Test CA - "));
  CHECK(notAfterOf(ca.intermediate()) - notBeforeOf(ca.intermediate()) == std::chrono::hours(48));
  opts.intermediateLifetime = kRootLifetime;
  CHECK_THROWS(LocalCa::loadOrCreate(storage, opts, std::chrono::system_clock::now()));
}

TEST_CASE("internal issuer: leaf for DNS and IP names, chained to the root", "[localca]") {
  TempDir dir;
  FileStorage storage(dir.path);
  auto ca = std::make_shared<const LocalCa>(
      LocalCa::loadOrCreate(storage, LocalCaOptions{}, std::chrono::system_clock::now()));
  InternalIssuer issuer(ca, kDefaultLeafLifetime);
  CHECK(issuer.issuerKey() == "local");
  const PrivateKey key = PrivateKey::generate(KeyType::P256);
  const std::string chain = issuer.issue({"localhost", "127.0.0.1", "::1"}, key);
  const auto blocks = splitPemCertificates(chain);
  REQUIRE(blocks.size() == 2);
  const X509Ptr leaf = certificateFromPem(blocks[0]);
  const X509Ptr inter = certificateFromPem(blocks[1]);
  CHECK(X509_cmp(inter.get(), ca->intermediate()) == 0);
  CHECK(verifies(ca->root(), inter.get(), leaf.get()));
  CHECK(X509_check_ca(leaf.get()) == 0);
  CHECK(X509_check_host(leaf.get(), "localhost", 0, 0, nullptr) == 1);
  CHECK(X509_check_ip_asc(leaf.get(), "127.0.0.1", 0) == 1);
  CHECK(X509_check_ip_asc(leaf.get(), "::1", 0) == 1);
  CHECK(X509_check_host(leaf.get(), "other.test", 0, 0, nullptr) != 1);
  CHECK((X509_get_extended_key_usage(leaf.get()) & XKU_SSL_SERVER) != 0);
  CHECK(certificateMatchesKey(chain, key.toPem()));
  const auto info = readCertificateInfo(chain);
  CHECK(info.notAfter - info.notBefore == std::chrono::hours(12));
}

TEST_CASE("internal issuer: a leaf never outlives the intermediate", "[localca]") {
  TempDir dir;
  FileStorage storage(dir.path);
  LocalCaOptions opts;
  opts.intermediateLifetime = std::chrono::hours(1);
  auto ca =
      std::make_shared<const LocalCa>(LocalCa::loadOrCreate(storage, opts, std::chrono::system_clock::now()));
  InternalIssuer issuer(ca, std::chrono::hours(12));
  const auto info = readCertificateInfo(issuer.issue({"a.test"}, PrivateKey::generate(KeyType::P256)));
  CHECK(info.notAfter <= notAfterOf(ca->intermediate()));
}
