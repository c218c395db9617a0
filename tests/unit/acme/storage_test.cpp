// certmagic-compatible storage keys and the file-system storage: atomic writes, modes, locks.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "storage/atomic_file.h"
#include "storage/file_storage.h"
#include "storage/storage_keys.h"

using namespace gatehouse::acme;
namespace fs = std::filesystem;

namespace {
struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "gh-acme-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

mode_t modeOf(const std::string& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 07777;
}
}  // namespace

TEST_CASE("storage keys match certmagic's", "[acme]") {
  using namespace storage_keys;
  CHECK(issuerKey("https://acme-v02.api.letsencrypt.org/directory") ==
        "acme-v02.api.letsencrypt.org-directory");
  CHECK(issuerKey("https://127.0.0.1:14000/dir") == "127.0.0.1:14000-dir");
  CHECK(issuerKey("https://acme.zerossl.com/v2/DV90") == "acme.zerossl.com-v2-DV90");
  CHECK(safe("127.0.0.1:14000-dir") == "127.0.0.1-14000-dir");
  CHECK(safe("*.Example.COM") == "wildcard_.example.com");
  CHECK(safe("a+b c..d") == "a_plus_b_cd");
  CHECK(safe("../etc") == "etc");
  CHECK(siteCert("acme-v02.api.letsencrypt.org-directory", "example.com") ==
        "certificates/acme-v02.api.letsencrypt.org-directory/example.com/example.com.crt");
  CHECK(siteMeta("127.0.0.1:14000-dir", "*.a.test") ==
        "certificates/127.0.0.1-14000-dir/wildcard_.a.test/wildcard_.a.test.json");
  CHECK(accountPrivateKey("acme-v02.api.letsencrypt.org-directory", "admin@example.com") ==
        "acme/acme-v02.api.letsencrypt.org-directory/users/admin@example.com/admin.key");
  CHECK(accountRegistration("x", "") == "acme/x/users/default/default.json");
  CHECK(namesKey({"www.a.test", "a.test"}) == "a.test,www.a.test");
  CHECK(safe(namesKey({"www.a.test", "a.test"})) == "a.testwww.a.test");
  CHECK(issueLockName("a.test") == "issue_cert_a.test");
}

TEST_CASE("file storage stores atomically with 0600 files and 0700 directories", "[acme]") {
  TempDir dir;
  FileStorage s(dir.path);
  CHECK_FALSE(s.load("certificates/x/a/a.key").has_value());
  s.store("certificates/x/a/a.key", "secret");
  CHECK(*s.load("certificates/x/a/a.key") == "secret");
  CHECK(modeOf(dir.path + "/certificates/x/a/a.key") == 0600);
  CHECK(modeOf(dir.path + "/certificates/x/a") == 0700);
  s.store("certificates/x/a/a.key", "new");
  CHECK(*s.load("certificates/x/a/a.key") == "new");
  // No temporary files are left behind.
  CHECK(s.list("certificates/x/a", false) == std::vector<std::string>{"certificates/x/a/a.key"});
  CHECK(s.exists("certificates/x"));
  auto info = s.stat("certificates/x/a/a.key");
  REQUIRE(info);
  CHECK(info->size == 3);
  CHECK(info->isTerminal);
  CHECK_FALSE(s.stat("certificates/x")->isTerminal);
  s.store("certificates/x/b/b.crt", "c");
  CHECK(s.list("certificates", true).size() == 2);
  CHECK(s.remove("certificates/x/a"));
  CHECK_FALSE(s.exists("certificates/x/a/a.key"));
  CHECK_FALSE(s.remove("certificates/x/a"));
  CHECK_THROWS_AS(s.load("../escape"), StorageError);
}

TEST_CASE("writeFileAtomic sets the mode before renaming and replaces the target", "[acme]") {
  TempDir dir;
  const std::string p = dir.path + "/privkey.pem";
  { std::ofstream(p) << "old"; }
  writeFileAtomic(p, "new-key", 0640);
  std::ifstream in(p);
  std::string body((std::istreambuf_iterator<char>(in)), {});
  CHECK(body == "new-key");
  CHECK(modeOf(p) == 0640);
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
  CHECK_THROWS(writeFileAtomic(dir.path + "/missing/dir/f", "x", 0600));
}

TEST_CASE("a failed multi-file store replaces none of the files", "[acme]") {
  TempDir dir;
  FileStorage s(dir.path);
  s.storeAll({{"certificates/x/a/a.key", "old-key"}, {"certificates/x/a/a.crt", "old-crt"}});
  CHECK(*s.load("certificates/x/a/a.key") == "old-key");
  CHECK(*s.load("certificates/x/a/a.crt") == "old-crt");
  CHECK(modeOf(dir.path + "/certificates/x/a/a.crt") == 0600);
  // The second file cannot be written (its directory is a file): the first keeps its old
  // content, where storing one after the other left a new key beside the old certificate.
  { std::ofstream(dir.path + "/blocker") << "x"; }
  CHECK_THROWS_AS(
      writeFilesAtomic(
          {{dir.path + "/certificates/x/a/a.key", "new-key"}, {dir.path + "/blocker/a.crt", "c"}}, 0600),
      std::runtime_error);
  CHECK(*s.load("certificates/x/a/a.key") == "old-key");
  // No temporary file is left behind.
  CHECK(s.list("certificates/x/a", false).size() == 2);
}

TEST_CASE("storing a certificate removes a killed writer's old temporary files only", "[acme]") {
  TempDir dir;
  FileStorage s(dir.path);
  s.store("certificates/x/a/a.key", "k");
  const std::string site = dir.path + "/certificates/x/a/";
  auto make = [&](const std::string& name, time_t age) {
    { std::ofstream(site + name) << "orphan"; }
    const time_t t = ::time(nullptr) - age;
    struct timeval times[2] = {{t, 0}, {t, 0}};
    ::utimes((site + name).c_str(), times);
  };
  make("a.key.tmp-abcdefgh", 3600);  // left by a kill an hour ago: removed
  make("a.key.tmp-young123", 5);     // may be another process's write in flight: kept
  make("a.key.tmp-short", 3600);     // not a name createTemp makes: kept
  make("b.key.tmp-abcdefgh", 3600);  // another file's: kept
  s.storeAll({{"certificates/x/a/a.key", "new"}});
  CHECK_FALSE(fs::exists(site + "a.key.tmp-abcdefgh"));
  CHECK(fs::exists(site + "a.key.tmp-young123"));
  CHECK(fs::exists(site + "a.key.tmp-short"));
  CHECK(fs::exists(site + "b.key.tmp-abcdefgh"));
  CHECK(*s.load("certificates/x/a/a.key") == "new");
}

TEST_CASE("a FIFO or a folder in place of a file or a lock is an error, never a wait", "[acme]") {
  TempDir dir;
  FileStorage s(dir.path);
  s.store("certificates/x/a/a.key", "k");
  REQUIRE(::mkfifo((dir.path + "/certificates/x/a/a.crt").c_str(), 0600) == 0);
  CHECK_THROWS_WITH(s.load("certificates/x/a/a.crt"), Catch::Contains("a.crt: not a regular file"));
  fs::create_directory(dir.path + "/certificates/x/a/a.json");
  CHECK_THROWS_WITH(s.load("certificates/x/a/a.json"), Catch::Contains("a.json: not a regular file"));
  CHECK_THROWS_WITH(s.load("certificates/x/a/a.key/inside"), Catch::Contains("Not a directory"));
  CHECK(*s.load("certificates/x/a/a.key") == "k");
  CHECK_FALSE(s.load("certificates/x/a/none"));
  // A FIFO as a lock file: held while fresh (no wait on its open), taken once stale.
  fs::create_directory(dir.path + "/locks");
  const std::string lock = s.lockPath("issue_cert_a.test");
  REQUIRE(::mkfifo(lock.c_str(), 0600) == 0);
  CHECK_FALSE(s.tryLock("issue_cert_a.test"));
  const time_t old = ::time(nullptr) - 3600;
  struct timeval times[2] = {{old, 0}, {old, 0}};
  ::utimes(lock.c_str(), times);
  CHECK(s.tryLock("issue_cert_a.test"));
  s.unlock("issue_cert_a.test");
}

TEST_CASE("locks exclude, refresh, release and expire when stale", "[acme]") {
  TempDir dir;
  FileStorage a(dir.path, std::chrono::seconds(2));
  FileStorage b(dir.path, std::chrono::seconds(2));
  CHECK(a.tryLock("issue_cert_a.test"));
  CHECK_FALSE(b.tryLock("issue_cert_a.test"));
  CHECK(modeOf(a.lockPath("issue_cert_a.test")) == 0600);
  std::ifstream in(a.lockPath("issue_cert_a.test"));
  const auto meta = nlohmann::json::parse(in);
  CHECK(meta.contains("created"));
  CHECK(meta.contains("updated"));
  a.refreshLock("issue_cert_a.test");
  CHECK_FALSE(b.tryLock("issue_cert_a.test"));
  a.unlock("issue_cert_a.test");
  CHECK(b.tryLock("issue_cert_a.test"));
  // A holder that stops refreshing loses the lock once it is stale.
  {
    std::ofstream out(b.lockPath("issue_cert_a.test"), std::ios::trunc);
    out << R"({"created":"2001-01-01T00:00:00Z","updated":"2001-01-01T00:00:00.5+01:00"})";
  }
  struct timespec old[2] = {{978307200, 0}, {978307200, 0}};
  utimensat(AT_FDCWD, b.lockPath("issue_cert_a.test").c_str(), old, 0);
  CHECK(a.tryLock("issue_cert_a.test"));
}

TEST_CASE("RFC 3339 timestamps round-trip", "[acme]") {
  std::chrono::system_clock::time_point t;
  REQUIRE(parseRfc3339("2026-11-26T12:00:00.123456789Z", t));
  CHECK(rfc3339(t) == "2026-11-26T12:00:00.123456789Z");
  REQUIRE(parseRfc3339("2026-11-26T13:00:00+01:00", t));
  CHECK(rfc3339(t) == "2026-11-26T12:00:00.000000000Z");
  CHECK_FALSE(parseRfc3339("yesterday", t));
  CHECK_FALSE(parseRfc3339("2026-11-26T12:00:00", t));
}
