#include "server/server_model.h"

#include <ctime>

namespace gatehouse::acme::server {

std::string_view statusName(Status s) {
  switch (s) {
    case Status::Pending:
      return "pending";
    case Status::Processing:
      return "processing";
    case Status::Ready:
      return "ready";
    case Status::Valid:
      return "valid";
    case Status::Invalid:
      return "invalid";
    case Status::Deactivated:
      return "deactivated";
  }
  return "invalid";
}

std::string rfc3339(Clock::time_point t) {
  const std::time_t tt = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace gatehouse::acme::server
