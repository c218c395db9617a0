// Active health checks keep their connection alive between checks, as caddy 2.6.2's Go
// client does over its transport: one connection for every check while the upstream keeps
// it; dropped (and a new one dialed for the next check) after a timeout; a gzip answer to
// the check's own Accept-Encoding decoded before health_body.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "provision/runtime.h"
#include "proxy/connection_pool.h"
#include "proxy/proxy_locals.h"

using gatehouse::config::Json;
using namespace gatehouse;

namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  ~Fd() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  void reset(int f) {
    if (fd >= 0) {
      ::close(fd);
    }
    fd = f;
  }
};

// A non-blocking listener on 127.0.0.1, port 0.
struct Upstream {
  Fd listener{::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)};
  uint16_t port = 0;
  Upstream() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(listener.fd, 8) == 0);
    socklen_t len = sizeof a;
    ::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  int accept() const { return ::accept4(listener.fd, nullptr, nullptr, SOCK_NONBLOCK); }
};

// One worker loop running the checker of a handler proxying to `port` (checks every 50 ms,
// a 200 ms timeout, `extra` active fields).
class CheckedWorker {
 public:
  CheckedWorker(uint16_t port, const std::string& extra) {
    const std::string json =
        R"({"admin":{"disabled":true},"apps":{"http":{"servers":{"s":{"listen":["127.0.0.1:0"],)"
        R"("automatic_https":{"disable":true},"routes":[{"handle":[{"handler":"reverse_proxy",)"
        R"("upstreams":[{"dial":"127.0.0.1:)" +
        std::to_string(port) +
        R"("}],"health_checks":{"active":{"uri":"/h","interval":"50ms","timeout":"200ms")" + extra +
        "}}}]}]}}}}}";
    rt_ = provision::provisionRuntime(config::configFromJson(Json::parse(json)));
    REQUIRE(rt_->workerStarts.size() == 1);
    locals_ = dynamic_cast<const proxy::ProxyLocals*>(rt_->workerStarts[0].lock().get());
    REQUIRE(locals_ != nullptr);
    uv_loop_init(&loop_);
    uv_timer_init(&loop_, &keeper_);  // the checker's timer keeps no loop alive
    uv_timer_start(
        &keeper_, [](uv_timer_t*) {}, 10, 10);
    state_ = std::make_unique<runtime::WorkerState>(&loop_);
    locals_->start(*state_);
  }
  ~CheckedWorker() {
    rt_.reset();
    uv_run(&loop_, UV_RUN_NOWAIT);
    state_.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&keeper_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }
  CheckedWorker(const CheckedWorker&) = delete;
  CheckedWorker& operator=(const CheckedWorker&) = delete;

  // Runs the loop until `done` (true) or 3 s.
  bool runUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (std::chrono::steady_clock::now() < deadline) {
      uv_run(&loop_, UV_RUN_NOWAIT);
      if (done()) {
        return true;
      }
      usleep(1000);
    }
    return false;
  }
  bool healthy() const { return locals_->pool(*state_).activeHealthy(0); }
  // A reload freed the handler (the worker keeps its pool and checker for now).
  void freeHandler() { rt_.reset(); }

 private:
  std::unique_ptr<provision::Runtime> rt_;
  const proxy::ProxyLocals* locals_ = nullptr;
  uv_loop_t loop_{};
  uv_timer_t keeper_{};
  std::unique_ptr<runtime::WorkerState> state_;
};

// Reads what arrived on `fd` into `in`; false once the peer closed it.
bool drain(int fd, std::string& in) {
  char buf[4096];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  if (n > 0) {
    in.append(buf, static_cast<size_t>(n));
  }
  return n != 0;
}

// Takes one whole request head off `in`.
bool takeRequest(std::string& in) {
  const size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) {
    return false;
  }
  in.erase(0, end + 4);
  return true;
}

void answer(int fd, const std::string& response) {
  REQUIRE(::write(fd, response.data(), response.size()) == static_cast<ssize_t>(response.size()));
}

const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

}  // namespace

TEST_CASE("health checks: one kept-alive connection for every check", "[health_keepalive]") {
  Upstream up;
  CheckedWorker w(up.port, "");
  Fd conn;
  std::string in;
  int served = 0;
  REQUIRE(w.runUntil([&] {
    if (conn.fd < 0) {
      conn.reset(up.accept());
    }
    if (conn.fd >= 0 && drain(conn.fd, in) && takeRequest(in)) {
      answer(conn.fd, kOk);
      ++served;
    }
    return served == 4;
  }));
  CHECK(up.accept() < 0);  // four checks, one connection
  CHECK(w.healthy());
}

TEST_CASE("health checks: a timed-out check drops its connection; the next one dials anew",
          "[health_keepalive]") {
  Upstream up;
  CheckedWorker w(up.port, "");
  Fd first;
  std::string in;
  bool closed = false;
  REQUIRE(w.runUntil([&] {
    if (first.fd < 0) {
      first.reset(up.accept());
    }
    if (first.fd >= 0 && !drain(first.fd, in)) {
      closed = true;  // never answered: the checker hung up after health_timeout
    }
    return closed;
  }));
  CHECK(in.rfind("GET /h HTTP/1.1\r\n", 0) == 0);
  CHECK_FALSE(w.healthy());
  Fd second;
  std::string in2;
  REQUIRE(w.runUntil([&] {
    if (second.fd < 0) {
      second.reset(up.accept());
    }
    if (second.fd >= 0 && drain(second.fd, in2) && takeRequest(in2)) {
      answer(second.fd, kOk);
      return true;
    }
    return false;
  }));
  CHECK(w.runUntil([&] { return w.healthy(); }));
}

TEST_CASE("health checks: a gzip answer is decoded before health_body, on the kept connection",
          "[health_keepalive]") {
  Upstream up;
  CheckedWorker w(up.port, R"(,"expect_body":"^healthy ok$")");
  Fd conn;
  std::string in;
  // "healthy ok", gzip-compressed
  const std::string gz(
      "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xcb\x48\x4d\xcc\x29\xc9\xa8\x54\xc8\xcf\x06\x00\xb8"
      "\x7b\x97\x48\x0a\x00\x00\x00",
      30);
  std::string firstRequest;
  const auto serveOne = [&](const std::string& response) {
    return w.runUntil([&] {
      if (conn.fd < 0) {
        conn.reset(up.accept());
      }
      if (conn.fd < 0 || !drain(conn.fd, in)) {
        return false;
      }
      if (firstRequest.empty()) {
        firstRequest = in.substr(0, in.find("\r\n\r\n") + 4);
      }
      if (!takeRequest(in)) {
        return false;
      }
      answer(conn.fd, response);
      return true;
    });
  };
  REQUIRE(serveOne(kOk));  // a plain answer the regexp refuses: out
  CHECK(w.runUntil([&] { return !w.healthy(); }));
  CHECK(firstRequest.find("\r\nAccept-Encoding: gzip\r\n\r\n") != std::string::npos);
  CHECK(firstRequest.find("Connection") == std::string::npos);
  REQUIRE(
      serveOne("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 30\r\n\r\n" + gz));  // back in
  CHECK(w.runUntil([&] { return w.healthy(); }));
  CHECK(up.accept() < 0);
}

TEST_CASE("health checks: the kept connection closes once the handler is gone", "[health_keepalive]") {
  Upstream up;
  CheckedWorker w(up.port, "");
  Fd conn;
  std::string in;
  REQUIRE(w.runUntil([&] {
    if (conn.fd < 0) {
      conn.reset(up.accept());
    }
    if (conn.fd >= 0 && drain(conn.fd, in) && takeRequest(in)) {
      answer(conn.fd, kOk);
      return true;
    }
    return false;
  }));
  w.freeHandler();
  bool closed = false;
  CHECK(w.runUntil([&] {
    closed = !drain(conn.fd, in);  // the next tick starts no check and hangs up
    return closed;
  }));
  CHECK(in.empty());
}
