#include "commands/quick_config.h"

namespace gatehouse::parser {

using config::Json;

Json quickServer(const std::string& listen) {
  return {{"listen", {listen}},
          {"read_header_timeout", 10'000'000'000LL},  // Go durations are nanoseconds
          {"idle_timeout", 30'000'000'000LL},
          {"max_header_bytes", 10240}};
}

Json quickConfig(Json servers, bool debug) {
  Json config = {{"admin", {{"disabled", true}, {"config", {{"persist", false}}}}},
                 {"apps", {{"http", {{"servers", std::move(servers)}}}}}};
  if (debug) {
    config["logging"] = {{"logs", {{"default", {{"level", "DEBUG"}}}}}};
  }
  return config;
}

}  // namespace gatehouse::parser
