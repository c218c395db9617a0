// Active health checks start when a worker takes the runtime, not with its first request:
// provisioning lists every reverse_proxy handler (nested ones too) among the runtime's
// worker starts, and starting them on a worker loop sends the first check at once. One
// worker runs a handler's checker; every worker reads its verdicts.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "provision/runtime.h"
#include "proxy/connection_pool.h"
#include "proxy/proxy_locals.h"

using gatehouse::config::Json;
using namespace gatehouse;

namespace {

// A non-blocking listener on 127.0.0.1, port 0.
struct Listener {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  uint16_t port = 0;
  Listener() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 8) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
};

std::string proxyTo(uint16_t port, bool active) {
  std::string h =
      R"({"handler":"reverse_proxy","upstreams":[{"dial":"127.0.0.1:)" + std::to_string(port) + R"("}])";
  if (active) {
    h += R"(,"health_checks":{"active":{"uri":"/health","interval":"30s"}})";
  }
  return h + "}";
}

std::unique_ptr<provision::Runtime> provisionWith(const std::string& handlers) {
  const std::string json =
      R"({"admin":{"disabled":true},"apps":{"http":{"servers":{"s":{"listen":["127.0.0.1:0"],)"
      R"("automatic_https":{"disable":true},"routes":[{"handle":[)" +
      handlers + "]}]}}}}}";
  return provision::provisionRuntime(config::configFromJson(Json::parse(json)));
}

}  // namespace

TEST_CASE("every reverse_proxy handler, nested ones too, is a worker start", "[health_start]") {
  const auto rt = provisionWith(proxyTo(1, true) + R"(,{"handler":"subroute","routes":[{"handle":[)" +
                                proxyTo(2, false) + "]}]}");
  CHECK(rt->workerStarts.size() == 2);
  for (const auto& s : rt->workerStarts) {
    CHECK_FALSE(s.expired());  // the handlers own them; the runtime holds them
  }
}

TEST_CASE("a worker taking the runtime sends the first health check before any request", "[health_start]") {
  Listener upstream;
  auto rt = provisionWith(proxyTo(upstream.port, true));
  REQUIRE(rt->workerStarts.size() == 1);

  uv_loop_t loop;
  uv_loop_init(&loop);
  // The checker's timer does not keep a loop alive (a worker's listeners do): this stands in.
  uv_timer_t keeper;
  uv_timer_init(&loop, &keeper);
  uv_timer_start(
      &keeper, [](uv_timer_t*) {}, 10, 10);
  {
    runtime::WorkerState state(&loop);
    rt->workerStarts[0].lock()->start(state);
    rt->workerStarts[0].lock()->start(state);  // a second start on the same worker: no second checker
    std::string request;
    int accepted = -1;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (request.find("\r\n\r\n") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      uv_run(&loop, UV_RUN_NOWAIT);
      if (accepted < 0) {
        accepted = ::accept4(upstream.fd, nullptr, nullptr, SOCK_NONBLOCK);
      }
      char buf[1024];
      const ssize_t n = accepted >= 0 ? ::read(accepted, buf, sizeof buf) : -1;
      if (n > 0) {
        request.append(buf, static_cast<size_t>(n));
      }
      usleep(1000);
    }
    CHECK(request.rfind("GET /health HTTP/1.1\r\n", 0) == 0);
    // Go's http.Client names itself (caddy 2.6.2's checks do): upstreams that refuse an
    // agent-less request still answer the check.
    CHECK(request.find("\r\nUser-Agent: Go-http-client/1.1\r\n") != std::string::npos);
    CHECK(::accept4(upstream.fd, nullptr, nullptr, SOCK_NONBLOCK) < 0);  // one checker, one check
    if (accepted >= 0) {
      ::close(accepted);
    }
    rt.reset();  // a reload freed the handler: its checker stays on the loop, harmless
    uv_run(&loop, UV_RUN_NOWAIT);
  }  // the worker's state goes: the checker's handles close
  uv_close(reinterpret_cast<uv_handle_t*>(&keeper), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("two workers taking the runtime: one checker, whose verdict both read", "[health_start]") {
  Listener upstream;
  auto rt = provisionWith(proxyTo(upstream.port, true));
  REQUIRE(rt->workerStarts.size() == 1);
  const auto* locals = dynamic_cast<const proxy::ProxyLocals*>(rt->workerStarts[0].lock().get());
  REQUIRE(locals != nullptr);

  std::array<uv_loop_t, 2> loops{};
  std::array<uv_timer_t, 2> keepers{};
  for (size_t i = 0; i < 2; ++i) {
    uv_loop_init(&loops[i]);
    uv_timer_init(&loops[i], &keepers[i]);
    uv_timer_start(
        &keepers[i], [](uv_timer_t*) {}, 10, 10);
  }
  {
    runtime::WorkerState first(&loops[0]);
    runtime::WorkerState second(&loops[1]);
    locals->start(first);
    locals->start(second);
    const auto both = [&] {
      uv_run(&loops[0], UV_RUN_NOWAIT);
      uv_run(&loops[1], UV_RUN_NOWAIT);
    };
    int accepted = -1;
    std::string request;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (request.find("\r\n\r\n") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      both();
      if (accepted < 0) {
        accepted = ::accept4(upstream.fd, nullptr, nullptr, SOCK_NONBLOCK);
      }
      char buf[1024];
      const ssize_t n = accepted >= 0 ? ::read(accepted, buf, sizeof buf) : -1;
      if (n > 0) {
        request.append(buf, static_cast<size_t>(n));
      }
      usleep(1000);
    }
    REQUIRE(request.rfind("GET /health HTTP/1.1\r\n", 0) == 0);
    for (int i = 0; i < 50; ++i) {  // 50 ms more of both loops: still no second check
      both();
      usleep(1000);
    }
    CHECK(::accept4(upstream.fd, nullptr, nullptr, SOCK_NONBLOCK) < 0);  // one checker for both workers
    CHECK(locals->pool(first).activeHealthy(0));                         // healthy until the check ends
    CHECK(locals->pool(second).activeHealthy(0));
    const std::string fail = "HTTP/1.1 500 X\r\nContent-Length: 0\r\n\r\n";
    REQUIRE(::write(accepted, fail.data(), fail.size()) == static_cast<ssize_t>(fail.size()));
    deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (locals->pool(second).activeHealthy(0) && std::chrono::steady_clock::now() < deadline) {
      both();
      usleep(1000);
    }
    CHECK_FALSE(locals->pool(first).activeHealthy(0));  // the failed check is both workers' verdict
    CHECK_FALSE(locals->pool(second).activeHealthy(0));
    ::close(accepted);
    rt.reset();
    both();
  }
  for (size_t i = 0; i < 2; ++i) {
    uv_close(reinterpret_cast<uv_handle_t*>(&keepers[i]), nullptr);
    uv_run(&loops[i], UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loops[i]) == 0);
  }
}
