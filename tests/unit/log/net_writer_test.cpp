// `output net`: address forms, dialling, one datagram per line over UDP, soft_start.
#include "log/net_writer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

#include "handlers/file_body.h"

namespace lg = gatehouse::log;
using gatehouse::handlers::UniqueFd;

namespace {

// A loopback socket of `type` bound to a free port; returns its port.
int bindLoopback(UniqueFd& fd, int type) {
  fd = UniqueFd(::socket(AF_INET, type, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) == 0);
  socklen_t len = sizeof(sin);
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sin), &len);
  timeval tv{5, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return ntohs(sin.sin_port);
}

std::string recvSome(int fd) {
  char buf[4096];
  ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace

TEST_CASE("net writer addresses: network prefixes, default tcp, one port", "[log]") {
  auto a = lg::parseNetAddress("localhost:9000");
  CHECK(a.network == "tcp");
  CHECK(a.address == "localhost:9000");
  a = lg::parseNetAddress("udp/[::1]:514");
  CHECK(a.network == "udp");
  CHECK(a.address == "[::1]:514");
  a = lg::parseNetAddress("unix//run/log.sock");
  CHECK(a.network == "unix");
  CHECK(a.address == "/run/log.sock");
  CHECK_THROWS_AS(lg::parseNetAddress("sctp/host:1"), std::invalid_argument);
  CHECK_THROWS_AS(lg::parseNetAddress("tcp/host"), std::invalid_argument);
  CHECK_THROWS_WITH(lg::parseNetAddress("tcp/host:1-5"), Catch::Contains("multiple ports"));
}

TEST_CASE("net writer sends lines over tcp and one datagram per line over udp", "[log]") {
  UniqueFd listener;
  const int tcpPort = bindLoopback(listener, SOCK_STREAM);
  REQUIRE(::listen(listener.get(), 4) == 0);
  lg::NetWriter tcp(lg::parseNetAddress("tcp/127.0.0.1:" + std::to_string(tcpPort)), std::chrono::seconds(2),
                    false);
  UniqueFd conn(::accept(listener.get(), nullptr, nullptr));
  REQUIRE(conn.get() >= 0);
  CHECK(tcp.write("a\nb\n"));
  std::string got;
  while (got.size() < 4) {
    std::string more = recvSome(conn.get());
    if (more.empty()) {
      break;
    }
    got += more;
  }
  CHECK(got == "a\nb\n");

  UniqueFd udpSock;
  const int udpPort = bindLoopback(udpSock, SOCK_DGRAM);
  lg::NetWriter udp(lg::parseNetAddress("udp/127.0.0.1:" + std::to_string(udpPort)), std::chrono::seconds(2),
                    false);
  CHECK(udp.write("first\nsecond\n"));
  CHECK(recvSome(udpSock.get()) == "first\n");
  CHECK(recvSome(udpSock.get()) == "second\n");
}

TEST_CASE("net writer: nothing listening stops start-up unless soft_start", "[log]") {
  UniqueFd probe;
  const int port = bindLoopback(probe, SOCK_STREAM);  // bound, not listening: connections are refused
  const auto addr = lg::parseNetAddress("127.0.0.1:" + std::to_string(port));
  CHECK_THROWS_WITH(lg::NetWriter(addr, std::chrono::seconds(2), false),
                    Catch::Contains("dialing tcp/127.0.0.1:"));
  CHECK_NOTHROW(lg::NetWriter(addr, std::chrono::seconds(2), true));
}
