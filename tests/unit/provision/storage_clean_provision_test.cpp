// Which configs clean their storage and how often (apps.tls.automation.storage_clean_interval,
// apps.tls.disable_storage_clean), as caddy 2.6.2 reads them.

#include "provision/storage_clean_provision.h"

#include <catch2/catch.hpp>

#include "manager/storage_clean_schedule.h"
#include "provision/provision_error.h"

using gatehouse::config::Json;
using namespace gatehouse;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<acme::StorageCleanSchedule> schedule(const std::string& tls) {
  const std::string json = R"({"storage":{"module":"file_system","root":"/tmp/gh-clean-unit"},"apps":{)" +
                           std::string(R"("http":{"servers":{"a":{"listen":[":8080"]}}})") +
                           (tls.empty() ? "" : R"(,"tls":)" + tls) + "}}";
  return provision::provisionStorageCleaning(config::configFromJson(Json::parse(json)), nullptr);
}

std::chrono::nanoseconds interval(const std::string& value) {
  auto s = schedule(R"({"automation":{"storage_clean_interval":)" + value + "}}");
  REQUIRE(s);
  return s->interval();
}

}  // namespace

TEST_CASE("storage cleaning runs with every http or tls app, a day apart unless told") {
  REQUIRE(schedule(""));
  CHECK(schedule("")->interval() == 24h);
  CHECK(interval(R"("2s")") == 2s);
  CHECK(interval("3000000000") == 3s);
  CHECK(interval("0") == 24h);  // zero or less is certmagic's default
  CHECK(interval(R"("-5m")") == 24h);
  CHECK(interval(R"("250us")") == 1ms);  // timers tick in milliseconds
  CHECK(interval(R"("1h30m")") == 90min);
  CHECK_FALSE(schedule(R"({"disable_storage_clean":true})"));
  CHECK_FALSE(provision::provisionStorageCleaning(config::configFromJson(Json::parse("{}")), nullptr));
  CHECK_THROWS_AS(interval(R"("soon")"), provision::ProvisionError);
  // A schedule built but never started (a config that fails to load) starts no thread.
  auto unused = schedule("");
  unused.reset();
  // A reload hands the history on.
  auto first = schedule("");
  auto next = provision::provisionStorageCleaning(
      config::configFromJson(Json::parse(R"({"apps":{"http":{"servers":{}}}})")), first->history());
  REQUIRE(next);
  CHECK(next->history() == first->history());
}
