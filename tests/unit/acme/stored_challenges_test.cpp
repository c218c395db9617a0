// certmagic's distributed challenge solving: what we store while presenting
// (SharedChallengeSolver) and what we read back for a challenge another server presented
// (StoredChallenges, ChallengeCertificates' stored lookup).
#include "gatehouse/acme/stored_challenges.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "manager/challenge_certificates.h"
#include "solvers/http01_solver.h"
#include "solvers/shared_challenge_solver.h"
#include "storage/file_storage.h"

using namespace gatehouse::acme;
namespace fs = std::filesystem;

namespace {
struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "gh-stored-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

void writeFile(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

// What certmagic 0.17 stores: acmez's acme.Challenge marshalled as JSON.
const char* kCaddyHttp01 =
    R"({"type":"http-01","url":"https://127.0.0.1:14000/chalZ/abc","status":"pending",)"
    R"("token":"tok-1","keyAuthorization":"tok-1.thumb","identifier":{"type":"dns","value":"c1.test"}})";
}  // namespace

TEST_CASE("a challenge we present is stored under certmagic's key, 0600, and removed after", "[acme]") {
  TempDir dir;
  FileStorage storage(dir.path);
  ChallengeResponder responder;
  Http01Solver http(responder);
  SharedChallengeSolver shared(http, storage, "127.0.0.1-14000-dir");
  const ChallengeInfo c{"G.test", "tok-2", "tok-2.thumb"};
  bool presented = false;
  shared.present(c, [&](std::optional<std::string> err) { presented = !err; });
  REQUIRE(presented);
  const std::string file = dir.path + "/acme/127.0.0.1-14000-dir/challenge_tokens/g.test.json";
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const auto j = nlohmann::json::parse(std::ifstream(file));
  CHECK(j["type"] == "http-01");
  CHECK(j["token"] == "tok-2");
  CHECK(j["keyAuthorization"] == "tok-2.thumb");
  CHECK(j["identifier"]["value"] == "G.test");
  // The reading half of another node finds it (case-insensitively, as storage keys are).
  StoredChallenges stored(dir.path, {"127.0.0.1-14000-dir"});
  auto back = stored.load("g.test");
  REQUIRE(back);
  CHECK(back->token == "tok-2");
  CHECK(back->keyAuthorization == "tok-2.thumb");
  bool cleaned = false;
  shared.cleanUp(c, [&] { cleaned = true; });
  CHECK(cleaned);
  CHECK_FALSE(fs::exists(file));
  CHECK_FALSE(stored.load("g.test"));
}

TEST_CASE("a challenge caddy stored is read under each issuer in turn", "[acme]") {
  TempDir dir;
  writeFile(dir.path + "/acme/second-dir/challenge_tokens/c1.test.json", kCaddyHttp01);
  StoredChallenges stored(dir.path, {"first-dir", "second-dir"});
  auto c = stored.load("c1.test");
  REQUIRE(c);
  CHECK(c->type == "http-01");
  CHECK(c->token == "tok-1");
  CHECK(c->keyAuthorization == "tok-1.thumb");
  CHECK(c->identifier == "c1.test");
  CHECK_FALSE(stored.load("other.test"));
  CHECK_FALSE(stored.load(""));
  // certmagic stops at the first issuer with a file, even a broken one.
  writeFile(dir.path + "/acme/first-dir/challenge_tokens/c1.test.json", "{not json");
  CHECK_FALSE(stored.load("c1.test"));
}

TEST_CASE("stored challenges: malformed, incomplete, oversized and hostile names", "[acme]") {
  CHECK_FALSE(StoredChallenges::parse("[]"));
  CHECK_FALSE(StoredChallenges::parse(R"({"token":"t","keyAuthorization":"t.k"})"));  // no identifier
  CHECK_FALSE(StoredChallenges::parse(R"({"token":"t","identifier":{"value":"a.test"}})"));
  CHECK(StoredChallenges::parse(R"({"token":"t","keyAuthorization":"t.k","identifier":{"value":"a.test"}})"));
  TempDir dir;
  writeFile(dir.path + "/acme/i/challenge_tokens/big.test.json",
            std::string(StoredChallenges::kMaxBytes + 1, ' '));
  StoredChallenges stored(dir.path, {"i"});
  CHECK_FALSE(stored.load("big.test"));
  // Names come from Host and SNI: certmagic's Safe() leaves no way out of the directory.
  CHECK(StoredChallenges::key("i", "../../etc/passwd") == "acme/i/challenge_tokens/etcpasswd.json");
  CHECK(StoredChallenges::key("i", "*.A.test") == "acme/i/challenge_tokens/wildcard_.a.test.json");
}

TEST_CASE("the acme-tls/1 hook builds a certificate from a stored challenge", "[acme]") {
  TempDir dir;
  writeFile(
      dir.path + "/acme/i/challenge_tokens/c2.test.json",
      R"({"type":"tls-alpn-01","token":"t2","keyAuthorization":"t2.k","identifier":{"type":"dns","value":"c2.test"}})");
  auto withStorage = std::make_shared<ChallengeResponder>(
      std::make_shared<const StoredChallenges>(dir.path, std::vector<std::string>{"i"}));
  ChallengeCertificates certs(withStorage);
  CHECK(certs.looksUpStored());
  CHECK(certs.challengeCertificate("c2.test") == nullptr);  // nothing in memory
  CHECK(certs.storedChallengeCertificate("c2.test") != nullptr);
  CHECK(certs.storedChallengeCertificate("other.test") == nullptr);
  ChallengeCertificates memoryOnly(std::make_shared<ChallengeResponder>());
  CHECK_FALSE(memoryOnly.looksUpStored());
}
