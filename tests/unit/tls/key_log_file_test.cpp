#include "tls/key_log_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

using gatehouse::tls::KeyLogFile;

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST_CASE("key log: Go's labels are kept, OpenSSL's extra ones dropped") {
  CHECK(KeyLogFile::wanted("CLIENT_RANDOM aa bb"));
  CHECK(KeyLogFile::wanted("CLIENT_HANDSHAKE_TRAFFIC_SECRET aa bb"));
  CHECK(KeyLogFile::wanted("SERVER_HANDSHAKE_TRAFFIC_SECRET aa bb"));
  CHECK(KeyLogFile::wanted("CLIENT_TRAFFIC_SECRET_0 aa bb"));
  CHECK(KeyLogFile::wanted("SERVER_TRAFFIC_SECRET_0 aa bb"));
  CHECK_FALSE(KeyLogFile::wanted("EXPORTER_SECRET aa bb"));
  CHECK_FALSE(KeyLogFile::wanted("EARLY_EXPORTER_SECRET aa bb"));
  CHECK_FALSE(KeyLogFile::wanted("CLIENT_EARLY_TRAFFIC_SECRET aa bb"));
  CHECK_FALSE(KeyLogFile::wanted("CLIENT_RANDOMX aa bb"));
}

TEST_CASE("key log: created 0600, appended to, one line per write") {
  const auto dir = std::filesystem::temp_directory_path() / ("gh-keylog-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "keys.log").string();
  {
    std::ofstream(path) << "EARLIER line\n";
    std::filesystem::permissions(path,
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  {
    auto log = KeyLogFile::open(path);
    log->write("CLIENT_RANDOM 01 02");
    log->write("EXPORTER_SECRET 01 03");
    log->write("SERVER_TRAFFIC_SECRET_0 01 04");
  }
  CHECK(slurp(path) == "EARLIER line\nCLIENT_RANDOM 01 02\nSERVER_TRAFFIC_SECRET_0 01 04\n");
  const std::string fresh = (dir / "new.log").string();
  const mode_t old = ::umask(0);
  auto created = KeyLogFile::open(fresh);
  ::umask(old);
  struct stat st {};
  REQUIRE(::stat(fresh.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK_THROWS_AS(KeyLogFile::open((dir / "missing" / "x.log").string()), std::system_error);
  std::filesystem::remove_all(dir);
}
