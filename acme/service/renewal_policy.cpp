#include "service/renewal_policy.h"

#include "storage/file_storage.h"

namespace gatehouse::acme {

Clock::time_point defaultRenewalTime(const CertificateInfo& info) {
  const auto lifetime = info.notAfter - info.notBefore;
  return info.notAfter - lifetime / 3;
}

std::optional<RenewalWindow> parseRenewalInfo(const nlohmann::json& body) {
  if (!body.is_object() || !body.contains("suggestedWindow") || !body["suggestedWindow"].is_object()) {
    return std::nullopt;
  }
  const auto& w = body["suggestedWindow"];
  RenewalWindow out;
  if (!w.contains("start") || !w.contains("end") || !w["start"].is_string() || !w["end"].is_string() ||
      !parseRfc3339(w["start"], out.start) || !parseRfc3339(w["end"], out.end) || out.end <= out.start) {
    return std::nullopt;
  }
  return out;
}

Clock::time_point pickInWindow(const RenewalWindow& w, double unit) {
  const auto span = std::chrono::duration_cast<std::chrono::milliseconds>(w.end - w.start);
  return w.start + std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(span.count()) * unit));
}

}  // namespace gatehouse::acme
