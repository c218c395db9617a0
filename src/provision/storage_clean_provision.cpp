#include "provision/storage_clean_provision.h"

#include <chrono>

#include "log/process_log.h"
#include "manager/storage_clean_schedule.h"
#include "provision/internal_settings.h"
#include "provision/runtime.h"

namespace gatehouse::provision {

namespace {

// apps.tls.automation.storage_clean_interval: zero or less (or absent) is Caddy's default
// of a day; a positive one below a millisecond is a millisecond.
std::chrono::nanoseconds cleanInterval(const config::Config& config) {
  if (!config.tls || !config.tls->automationExtra.contains("storage_clean_interval")) {
    return acme::kDefaultStorageCleanInterval;
  }
  const config::Json& value = config.tls->automationExtra["storage_clean_interval"];
  const std::string path = "apps.tls.automation.storage_clean_interval";
  const std::string text = value.is_string() ? value.get<std::string>() : "";
  if (text.size() > 1 && text[0] == '-') {
    parseDuration(config::Json(text.substr(1)), path);  // Go takes a negative one: the default
    return acme::kDefaultStorageCleanInterval;
  }
  const auto ms = parseDuration(value, path);
  const bool positive = value.is_number_integer() ? value.get<int64_t>() > 0 : ms.count() > 0;
  if (!positive) {
    const bool tinyPositive = text.find_first_of("123456789") != std::string::npos;
    return tinyPositive ? std::chrono::milliseconds(1) : acme::kDefaultStorageCleanInterval;
  }
  return std::max<std::chrono::nanoseconds>(ms, std::chrono::milliseconds(1));
}

}  // namespace

std::shared_ptr<acme::StorageCleanSchedule> provisionStorageCleaning(
    const config::Config& config, std::shared_ptr<acme::StorageCleanHistory> history) {
  if (!config.http && !config.tls) {
    return nullptr;
  }
  if (config.tls && config.tls->extra.value("disable_storage_clean", false)) {
    return nullptr;
  }
  // Cleaning lines belong to the default log, as Caddy's tls logger and certmagic's lines do.
  auto sink = [](const char* level, const std::string& logger, const std::string& msg,
                 nlohmann::json fields) {
    log::logOwn(log::parseLevel(level).value_or(log::Level::Info), logger, msg,
                fields.is_object() ? config::Json(fields) : config::Json::object());
  };
  return std::make_shared<acme::StorageCleanSchedule>(storageRoot(config), cleanInterval(config), sink,
                                                      std::move(history));
}

}  // namespace gatehouse::provision
