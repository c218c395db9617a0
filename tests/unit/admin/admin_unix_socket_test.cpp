// The admin endpoint on a unix socket: the address form caddy 2.6.2 takes, its Host rule,
// and the stale-socket handling (only a socket nobody answers on is removed).
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "admin/admin_guard.h"
#include "admin/unix_listen_path.h"

namespace ad = gatehouse::admin;

namespace {

std::string tempPath(const char* name) {
  return "/tmp/gh-unix-test-" + std::to_string(::getpid()) + "-" + name;
}

// Binds a unix socket at `path`; listening or not.
int bindSocket(const std::string& path, bool listening) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
  if (listening) {
    REQUIRE(::listen(fd, 1) == 0);
  }
  return fd;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("unix admin addresses: unix//path names /path; other networks are not unix", "[admin]") {
  std::string error;
  CHECK(ad::unixSocketPath("unix//run/a.sock", error) == std::optional<std::string>("/run/a.sock"));
  CHECK(ad::unixSocketPath("unix/rel.sock", error) == std::optional<std::string>("rel.sock"));
  // caddy 2.6.2 has no "|mode" suffix: it is part of the file name.
  CHECK(ad::unixSocketPath("unix//run/a.sock|0600", error) == std::optional<std::string>("/run/a.sock|0600"));
  CHECK_FALSE(ad::unixSocketPath("localhost:2019", error));
  CHECK_FALSE(ad::unixSocketPath("tcp/localhost:2019", error));
  CHECK(error.empty());
  CHECK_FALSE(ad::unixSocketPath("unixgram//run/a.sock", error));
  CHECK(error.find("not supported yet") != std::string::npos);
}

TEST_CASE("on a unix socket only an empty Host passes by default", "[admin]") {
  auto g = ad::AdminGuard::forUnixSocket({});
  CHECK(g.allowed() == std::vector<std::string>{""});
  CHECK_FALSE(g.checkHost(""));
  CHECK(g.checkHost("localhost") == std::optional<std::string>("host not allowed: localhost"));
  ad::AdminAccess access;
  access.origins = std::vector<std::string>{"admin.test"};
  auto named = ad::AdminGuard::forUnixSocket(access);
  CHECK_FALSE(named.checkHost("admin.test"));
  CHECK(named.checkHost(""));
}

TEST_CASE("stale sockets are removed; live sockets and other files are not", "[admin]") {
  const std::string path = tempPath("a.sock");
  ::unlink(path.c_str());
  CHECK(ad::clearStaleSocket(path).empty());  // nothing there

  int stale = bindSocket(path, false);
  ::close(stale);
  CHECK(ad::clearStaleSocket(path).empty());
  CHECK_FALSE(exists(path));

  int live = bindSocket(path, true);
  CHECK(ad::clearStaleSocket(path).find("already in use") != std::string::npos);
  CHECK(exists(path));
  ::close(live);
  ::unlink(path.c_str());

  std::ofstream(path) << "data";
  CHECK(ad::clearStaleSocket(path).find("not a socket") != std::string::npos);
  CHECK(exists(path));
  ::unlink(path.c_str());
}

TEST_CASE("the socket file is removed at stop only while it is still ours", "[admin]") {
  const std::string path = tempPath("b.sock");
  ::unlink(path.c_str());
  int first = bindSocket(path, true);
  ad::OwnedSocketFile owned;
  REQUIRE(owned.adopt(path));
  // Another server took the path meanwhile (the old file kept aside so its inode stays
  // taken and the new one differs).
  const std::string aside = path + ".old";
  REQUIRE(::rename(path.c_str(), aside.c_str()) == 0);
  int second = bindSocket(path, true);
  owned.remove();
  CHECK(exists(path));
  ::close(first);
  ::close(second);
  ::unlink(aside.c_str());
  ::unlink(path.c_str());

  int third = bindSocket(path, true);
  ad::OwnedSocketFile mine;
  REQUIRE(mine.adopt(path));
  mine.remove();
  CHECK_FALSE(exists(path));
  ::close(third);
}
