// The tls.get_certificate.http managers' thread: once no job is asking, destroying the
// service joins it, so nothing of it runs on into process exit (LeakSanitizer reported the
// OpenSSL error queue of a bad PEM answer leaked when the detached thread was still ending
// while OpenSSL's exit handler ran: e2e_cert_managers_test).
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "getcert/http_managers.h"

using gatehouse::acme::HttpCertificateManagers;
using gatehouse::acme::ManagerPolicy;

namespace {
class Event {
 public:
  void set() {
    std::lock_guard lock(mu_);
    set_ = true;
    cv_.notify_all();
  }
  bool wait(std::chrono::milliseconds limit) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return set_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};
// Set by the managers thread's thread-local destructors, which run before a join returns;
// the pause makes a thread left to exit on its own still be exiting when it is checked.
struct ExitMark {
  std::shared_ptr<Event> exited;
  ~ExitMark() {
    if (exited) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      exited->set();
    }
  }
};
}  // namespace

TEST_CASE("http certificate managers: an idle service's thread ends with it", "[acme][getcert]") {
  auto answered = std::make_shared<Event>();
  auto exited = std::make_shared<Event>();
  size_t failures = 0;
  {
    // Port 1 on loopback refuses at once: the job fails without any server.
    HttpCertificateManagers managers({ManagerPolicy{{}, {"http://127.0.0.1:1/cert"}}});
    gatehouse::tls::ManagerQuery query;
    query.serverName = "a.test";
    managers.request(query, [&, answered, exited](gatehouse::tls::ManagerAnswer answer) {
      thread_local ExitMark mark;  // the callback runs on the managers' thread
      mark.exited = exited;
      failures = answer.failures.size();
      answered->set();
    });
    REQUIRE(answered->wait(std::chrono::seconds(15)));
  }
  CHECK(failures == 1);
  CHECK(exited->wait(std::chrono::milliseconds(0)));  // joined: the thread has exited
}
