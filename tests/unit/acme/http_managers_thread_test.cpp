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
#include "thread_exit_mark.h"

using gatehouse::acme::HttpCertificateManagers;
using gatehouse::acme::ManagerPolicy;

using gatehouse::testing::Event;
using gatehouse::testing::ExitMark;

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
