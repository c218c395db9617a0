// Storage cleaning as Caddy 2.6.2 does it: which staples and certificates are selected, and
// what one pass over a file storage removes, keeps and logs (compared with the real caddy in
// tests/e2e/storage_clean_vs_caddy_test.py).
#include "storage/storage_cleaner.h"

#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "crypto/ossl_handles.h"
#include "crypto/private_key.h"
#include "manager/storage_clean_schedule.h"
#include "storage/file_storage.h"
#include "storage/storage_clean_rules.h"

using namespace gatehouse::acme;
namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;
using namespace std::chrono_literals;

namespace {

constexpr auto kDay = std::chrono::hours(24);

struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "gh-clean-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

using OcspBasicPtr = std::unique_ptr<OCSP_BASICRESP, OsslDeleter<OCSP_BASICRESP_free>>;
using OcspResponsePtr = std::unique_ptr<OCSP_RESPONSE, OsslDeleter<OCSP_RESPONSE_free>>;

// A self-signed certificate that expires `validFor` from now (negative: in the past).
struct TestCert {
  PkeyPtr key;
  X509Ptr cert;
  explicit TestCert(std::chrono::seconds validFor) {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr));
    EVP_PKEY_keygen_init(ctx.get());
    EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), NID_X9_62_prime256v1);
    EVP_PKEY* k = nullptr;
    EVP_PKEY_keygen(ctx.get(), &k);
    key.reset(k);
    cert.reset(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 7);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -90L * 86400);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(validFor.count()));
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("t.test"), -1,
                               -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509_set_pubkey(cert.get(), key.get());
    X509_sign(cert.get(), key.get(), EVP_sha256());
  }
  std::string pem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(bio.get(), cert.get());
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(n));
  }
  // A good OCSP response for this certificate; no nextUpdate when `next` is empty.
  std::string staple(std::optional<std::chrono::seconds> next) const {
    OcspBasicPtr basic(OCSP_BASICRESP_new());
    OCSP_CERTID* id = OCSP_cert_to_id(nullptr, cert.get(), cert.get());
    std::unique_ptr<ASN1_TIME, OsslDeleter<ASN1_TIME_free>> thisUpdate(X509_gmtime_adj(nullptr, -86400));
    std::unique_ptr<ASN1_TIME, OsslDeleter<ASN1_TIME_free>> nextUpdate(
        next ? X509_gmtime_adj(nullptr, static_cast<long>(next->count())) : nullptr);
    OCSP_basic_add1_status(basic.get(), id, V_OCSP_CERTSTATUS_GOOD, 0, nullptr, thisUpdate.get(),
                           nextUpdate.get());
    OCSP_CERTID_free(id);
    OCSP_basic_sign(basic.get(), cert.get(), key.get(), EVP_sha256(), nullptr, 0);
    OcspResponsePtr resp(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
    unsigned char* der = nullptr;
    const int n = i2d_OCSP_RESPONSE(resp.get(), &der);
    std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
    OPENSSL_free(der);
    return out;
  }
};

void put(const std::string& path, const std::string& body) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << body;
}

// A site folder with the three files certmagic keeps for a certificate.
void site(const std::string& root, const std::string& issuer, const std::string& name,
          std::chrono::seconds validFor) {
  const std::string dir = root + "/certificates/" + issuer + "/" + name + "/" + name;
  put(dir + ".crt", TestCert(validFor).pem());
  put(dir + ".key", "key");
  put(dir + ".json", "{}");
}

std::vector<std::string> linesOf(const std::vector<std::string>& log, const std::string& needle) {
  std::vector<std::string> out;
  for (const auto& l : log) {
    if (l.find(needle) != std::string::npos) {
      out.push_back(l);
    }
  }
  return out;
}

struct Pass {
  std::vector<std::string> log;
  void run(const std::string& root) {
    FileStorage storage(root);
    AcmeLog sink(std::cerr,
                 [this](const char* level, const std::string& logger, const std::string& msg,
                        nlohmann::json) { log.push_back(std::string(level) + "|" + logger + "|" + msg); });
    StorageCleaner(storage, sink).clean(Clock::now());
  }
};

}  // namespace

TEST_CASE("storage cleaning: a staple goes when its next update is past or it cannot be read", "[acme]") {
  const TestCert cert(30 * kDay);
  const auto now = Clock::now();
  CHECK(stapleState(cert.staple(3 * kDay), now) == StapleState::Current);
  CHECK(stapleState(cert.staple(-2 * kDay), now) == StapleState::Expired);
  CHECK(stapleState(cert.staple(std::nullopt), now) == StapleState::Expired);  // Go's zero time
  CHECK(stapleState("not an ocsp response", now) == StapleState::Unreadable);
  CHECK(stapleState(cert.staple(3 * kDay) + "x", now) == StapleState::Unreadable);  // trailing data
  OcspResponsePtr later(OCSP_response_create(OCSP_RESPONSE_STATUS_TRYLATER, nullptr));
  unsigned char* der = nullptr;
  const int n = i2d_OCSP_RESPONSE(later.get(), &der);
  const std::string tryLater(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  CHECK(stapleState(tryLater, now) == StapleState::Unreadable);
}

TEST_CASE("storage cleaning: a certificate goes 14 days after it expired, never before", "[acme]") {
  const auto now = Clock::now();
  CHECK(expiredBeyondGrace(now - 20 * kDay, now));
  CHECK(expiredBeyondGrace(now - 14 * kDay, now));  // certmagic: expired >= grace
  CHECK_FALSE(expiredBeyondGrace(now - 14 * kDay + 1s, now));
  CHECK_FALSE(expiredBeyondGrace(now - 5 * kDay, now));
  CHECK_FALSE(expiredBeyondGrace(now + 60 * kDay, now));
  CHECK_FALSE(expiredBeyondGrace(now + 20 * kDay, now, std::chrono::nanoseconds::zero()));
  CHECK(expiredBeyondGrace(now - 1s, now, std::chrono::nanoseconds::zero()));

  const TestCert old(-20 * kDay);
  const auto read = storedCertExpiry("junk before\n" + old.pem(), "k.crt");
  REQUIRE(read.notAfter);
  CHECK(std::chrono::abs(*read.notAfter - (now - 20 * kDay)) < 5s);
  CHECK(storedCertExpiry("garbage", "a/b.crt").error ==
        "certificate file a/b.crt does not contain PEM-encoded certificate");
  CHECK(storedCertExpiry("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "a/b.crt").error ==
        "certificate file a/b.crt does not contain PEM-encoded certificate");
  const auto bad =
      storedCertExpiry("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "a/b.crt");
  CHECK_FALSE(bad.notAfter);
  CHECK(bad.error.starts_with("certificate file a/b.crt is malformed; error parsing PEM: "));
}

TEST_CASE("storage cleaning: one pass removes what caddy 2.6.2 removes and logs it as caddy", "[acme]") {
  TempDir dir;
  const std::string root = dir.path + "/caddy";
  const std::string iss = "acme-v02.api.letsencrypt.org-directory";
  const std::string certs = root + "/certificates/" + iss;
  site(root, iss, "expired20.example", -20 * kDay);
  site(root, iss, "expired5.example", -5 * kDay);
  site(root, iss, "valid.example", 60 * kDay);
  site(root, iss, "extra.example", -40 * kDay);
  put(certs + "/extra.example/notes.txt", "kept");
  fs::create_directories(certs + "/empty.example");
  put(certs + "/stray.txt", "a stray entry where a site belongs");
  put(root + "/certificates/stray-top.txt", "kept");
  put(dir.path + "/outside/outside.crt", TestCert(-30 * kDay).pem());
  fs::create_directory_symlink(dir.path + "/outside", certs + "/link.example");
  site(root, "other-issuer", "old.example", -30 * kDay);
  fs::remove(root + "/certificates/other-issuer/old.example/old.example.json");
  const TestCert staple(30 * kDay);
  put(root + "/ocsp/current", staple.staple(3 * kDay));
  put(root + "/ocsp/expired", staple.staple(-1 * kDay));
  put(root + "/ocsp/garbage", "x");
  put(root + "/locks/stale.lock", "{}");

  Pass pass;
  pass.run(root);

  CHECK(fs::exists(certs + "/expired5.example/expired5.example.key"));
  CHECK(fs::exists(certs + "/valid.example/valid.example.crt"));
  CHECK_FALSE(fs::exists(certs + "/expired20.example"));
  CHECK_FALSE(fs::exists(certs + "/empty.example"));
  CHECK_FALSE(fs::exists(certs + "/stray.txt"));
  CHECK_FALSE(fs::exists(certs + "/extra.example/extra.example.crt"));
  CHECK(fs::exists(certs + "/extra.example/notes.txt"));  // a folder is removed only when empty
  CHECK_FALSE(fs::exists(root + "/certificates/other-issuer/old.example"));
  CHECK(fs::exists(root + "/certificates/other-issuer"));  // issuer folders stay
  CHECK(fs::exists(root + "/certificates/stray-top.txt"));
  // The link is an entry of the storage: it goes, what it points at stays.
  CHECK_FALSE(fs::exists(fs::symlink_status(certs + "/link.example")));
  CHECK(fs::exists(dir.path + "/outside/outside.crt"));
  CHECK(fs::exists(root + "/ocsp/current"));
  CHECK_FALSE(fs::exists(root + "/ocsp/expired"));
  CHECK_FALSE(fs::exists(root + "/ocsp/garbage"));
  CHECK(fs::exists(root + "/locks/stale.lock"));  // locks are not cleaned (caddy 2.6.2 neither)
  CHECK_FALSE(fs::exists(root + "/locks/issue_cert_expired20.example.lock"));  // released

  const auto expired = linesOf(pass.log, "expired20.example");
  REQUIRE(expired.size() == 5);
  CHECK(expired[0].starts_with("info||[INFO] Certificate certificates/" + iss +
                               "/expired20.example/expired20.example.crt expired 480h0m"));
  CHECK(expired[0].ends_with("s ago; cleaning up"));
  CHECK(expired[1] == "info||[INFO] Deleting certificates/" + iss +
                          "/expired20.example/expired20.example.crt because resource expired");
  CHECK(expired[3] == "info||[INFO] Deleting certificates/" + iss +
                          "/expired20.example/expired20.example.json because resource expired");
  CHECK(expired[4] ==
        "info||[INFO] Deleting certificates/" + iss + "/expired20.example because key is empty");
  const auto missing = linesOf(pass.log, "[ERROR]");
  REQUIRE(missing.size() == 1);
  CHECK(missing[0] ==
        "info||[ERROR] Cleaning up asset related to expired certificate for certificates/other-issuer/"
        "old.example/old.example: certificates/other-issuer/old.example/old.example.json: remove " +
            root + "/certificates/other-issuer/old.example/old.example.json: no such file or directory");
  CHECK(linesOf(pass.log, "valid.example").empty());
  CHECK(linesOf(pass.log, "expired5.example").empty());
}

TEST_CASE("storage cleaning: an unreadable certificate ends the certificate part of the pass", "[acme]") {
  TempDir dir;
  const std::string iss = "ca";
  site(dir.path, iss, "a.example", -20 * kDay);
  put(dir.path + "/certificates/ca/b.example/b.example.crt", "garbage");
  site(dir.path, iss, "c.example", -20 * kDay);
  Pass pass;
  pass.run(dir.path);
  CHECK_FALSE(fs::exists(dir.path + "/certificates/ca/a.example"));
  CHECK(fs::exists(dir.path + "/certificates/ca/b.example/b.example.crt"));
  CHECK(fs::exists(dir.path + "/certificates/ca/c.example/c.example.crt"));  // never reached
  CHECK(linesOf(pass.log, "[ERROR]") ==
        std::vector<std::string>{
            "info||[ERROR] Deleting expired certificates: certificate file "
            "certificates/ca/b.example/b.example.crt does not contain PEM-encoded certificate"});
}

TEST_CASE("storage cleaning: a certificate being renewed (its issue lock held) is left alone", "[acme]") {
  TempDir dir;
  site(dir.path, "ca", "busy.example", -20 * kDay);
  site(dir.path, "ca", "idle.example", -20 * kDay);
  FileStorage holder(dir.path);
  REQUIRE(holder.tryLock("issue_cert_busy.example"));
  Pass pass;
  pass.run(dir.path);
  CHECK(fs::exists(dir.path + "/certificates/ca/busy.example/busy.example.crt"));
  CHECK_FALSE(fs::exists(dir.path + "/certificates/ca/idle.example"));
  CHECK(fs::exists(holder.lockPath("issue_cert_busy.example")));  // still the holder's
  holder.unlock("issue_cert_busy.example");
  Pass again;
  again.run(dir.path);
  CHECK_FALSE(fs::exists(dir.path + "/certificates/ca/busy.example"));
}

TEST_CASE("storage cleaning: a reload does not clean again within half an interval", "[acme]") {
  StorageCleanHistory history;
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(history.beginPass(t0, 10s));
  CHECK_FALSE(history.beginPass(t0 + 6s, 10s));  // one still running
  history.endPass();
  CHECK_FALSE(history.beginPass(t0 + 4s, 10s));
  CHECK(history.beginPass(t0 + 5s, 10s));
  history.endPass();
  const auto first = history.newestSchedule();
  CHECK(history.isNewest(first));
  CHECK_FALSE(history.isNewest(first - 1));
  history.newestSchedule();
  CHECK_FALSE(history.isNewest(first));
}
