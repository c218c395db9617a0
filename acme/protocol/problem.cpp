#include "protocol/problem.h"

namespace gatehouse::acme {

bool Problem::is(std::string_view acmeType) const {
  constexpr std::string_view kPrefix = "urn:ietf:params:acme:error:";
  return type.size() == kPrefix.size() + acmeType.size() && type.rfind(kPrefix, 0) == 0 &&
         type.compare(kPrefix.size(), std::string::npos, acmeType) == 0;
}

std::string Problem::describe() const {
  std::string out = std::to_string(status) + " " + type;
  if (!detail.empty())
    out += " - " + detail;
  return out;
}

std::optional<Problem> parseProblem(const std::string& body, long httpStatus) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object())
    return std::nullopt;
  Problem p;
  if (j.contains("type") && j["type"].is_string())
    p.type = j["type"];
  if (j.contains("detail") && j["detail"].is_string())
    p.detail = j["detail"];
  p.status = j.contains("status") && j["status"].is_number_integer() ? j["status"].get<int>()
                                                                     : static_cast<int>(httpStatus);
  if (p.type.empty() && p.detail.empty())
    return std::nullopt;
  p.raw = j;
  return p;
}

nlohmann::json AcmeError::toJson() const {
  nlohmann::json j = {{"error", message}};
  if (problem)
    j["problem"] = problem->raw;
  if (retryAfter.count() > 0)
    j["retry_after_seconds"] = retryAfter.count();
  return j;
}

}  // namespace gatehouse::acme
