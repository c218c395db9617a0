#include "cli/pingback.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

namespace {

using gatehouse::cli::PingbackListener;
using gatehouse::cli::sendPingback;

// Runs sendPingback with `input` as standard input (restored after).
bool pingWithStdin(const std::string& input, const std::string& address, std::string& error) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  REQUIRE(::write(fds[1], input.data(), input.size()) == static_cast<ssize_t>(input.size()));
  ::close(fds[1]);
  const int saved = ::dup(STDIN_FILENO);
  ::dup2(fds[0], STDIN_FILENO);
  ::close(fds[0]);
  const bool ok = sendPingback(address, error);
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
  return ok;
}

}  // namespace

TEST_CASE("pingback: the child's stdin bytes confirm the start; other bytes do not", "[cli]") {
  PingbackListener listener;
  std::string error;
  REQUIRE(listener.open(error));
  CHECK(listener.address().rfind("127.0.0.1:", 0) == 0);
  const std::string expect(32, 'k');
  CHECK_FALSE(listener.confirmed(expect, 50));  // nobody connected yet

  REQUIRE(pingWithStdin(expect, listener.address(), error));
  CHECK(listener.confirmed(expect, 2000));

  REQUIRE(pingWithStdin(std::string(32, 'x'), listener.address(), error));
  CHECK_FALSE(listener.confirmed(expect, 2000));
}

TEST_CASE("pingback: an address nobody listens on fails with caddy's wording", "[cli]") {
  PingbackListener listener;
  std::string error;
  REQUIRE(listener.open(error));
  const std::string address = listener.address();
  listener = PingbackListener();  // closes it: the port now refuses
  CHECK_FALSE(pingWithStdin("abc", address, error));
  CHECK(error == "dialing confirmation address: dial tcp " + address + ": connect: connection refused");
}
