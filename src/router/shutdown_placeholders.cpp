#include "router/shutdown_placeholders.h"

#include <chrono>
#include <cstdint>

#include "log/go_time_text.h"

namespace gatehouse::router {

namespace {

using namespace std::string_view_literals;

// Exchange::captures key of the noted moment (steady-clock nanoseconds); the leading NUL
// keeps it apart from every placeholder name, as http/exchange_notes.h does.
constexpr std::string_view kCaptureKey = "\0shutdown-at"sv;

const std::string* notedMoment(const runtime::Exchange& ex) {
  for (const auto& [name, value] : ex.captures) {
    if (name == kCaptureKey) {
      return &value;
    }
  }
  return nullptr;
}

}  // namespace

void noteShutdownSchedule(runtime::Exchange& ex, const provision::ShutdownSchedule& schedule) {
  if (const auto at = schedule.at()) {
    const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(at->time_since_epoch()).count();
    ex.setCapture(std::string(kCaptureKey), std::to_string(nanos));
  }
}

bool shutdownPlaceholder(std::string_view key, const runtime::Exchange& ex, std::string& out) {
  if (key != "http.shutting_down" && key != "http.time_until_shutdown") {
    return false;
  }
  const std::string* noted = notedMoment(ex);
  out.clear();
  if (key == "http.shutting_down") {
    out = noted != nullptr ? "true" : "false";
    return true;
  }
  if (noted != nullptr) {
    // As Go's time.Until: negative once the moment has passed (during the grace period).
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    log::appendGoDuration(out, std::stoll(*noted) - now);
  }
  return true;
}

}  // namespace gatehouse::router
