#include "router/body_capture.h"

#include <algorithm>

namespace gatehouse::router {

namespace {
// Private keys in Exchange::captures: no {http.regexp.*} key can spell a leading \x1f.
constexpr std::string_view kBytesKey =
    "\x1f"
    "body";
constexpr std::string_view kCompleteKey =
    "\x1f"
    "body.complete";

const std::string* findCapture(const runtime::Exchange& ex, std::string_view key) {
  for (const auto& [name, value] : ex.captures) {
    if (name == key) {
      return &value;
    }
  }
  return nullptr;
}
}  // namespace

void storeBodyCapture(runtime::Exchange& ex, std::string bytes, bool complete) {
  ex.setCapture(std::string(kBytesKey), std::move(bytes));
  if (complete) {
    ex.setCapture(std::string(kCompleteKey), {});
  }
}

std::optional<BodyCapture> findBodyCapture(const runtime::Exchange& ex) {
  const std::string* bytes = findCapture(ex, kBytesKey);
  if (bytes == nullptr) {
    return std::nullopt;
  }
  return BodyCapture{bytes, findCapture(ex, kCompleteKey) != nullptr};
}

std::string_view bodyPlaceholderValue(const runtime::Exchange& ex, const BodyCapture& capture) {
  size_t n = std::min(capture.bytes->size(), kBodyCaptureCap);
  if (ex.request.maxBodyBytes != 0) {
    n = static_cast<size_t>(std::min<uint64_t>(n, ex.request.maxBodyBytes));
  }
  return std::string_view(*capture.bytes).substr(0, n);
}

}  // namespace gatehouse::router
