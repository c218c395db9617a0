#include "http/exchange_notes.h"

#include <algorithm>
#include <charconv>

namespace gatehouse::http {

namespace {

using namespace std::string_view_literals;

constexpr std::string_view kNilType = "\0nil-content-type"sv;
constexpr std::string_view kNoCause = "\0error-without-cause"sv;
// The routed error, one field per key.
constexpr std::string_view kStatus = "\0routed.status"sv;
constexpr std::string_view kMessage = "\0routed.message"sv;
constexpr std::string_view kId = "\0routed.id"sv;
constexpr std::string_view kTrace = "\0routed.trace"sv;
constexpr std::string_view kFlags = "\0routed.flags"sv;  // "pc": plain, has a cause
constexpr std::string_view kFailedStatus = "\0routed.failed-status"sv;
constexpr std::string_view kStrippedEmpty = "\0path-stripped-empty"sv;

const std::string* find(const runtime::Exchange& ex, std::string_view key) {
  auto it =
      std::find_if(ex.captures.begin(), ex.captures.end(), [&](const auto& c) { return c.first == key; });
  return it == ex.captures.end() ? nullptr : &it->second;
}

void erase(runtime::Exchange& ex, std::string_view key) {
  std::erase_if(ex.captures, [&](const auto& c) { return c.first == key; });
}

}  // namespace

void noteNilContentType(runtime::Exchange& ex) {
  ex.response.sniff = false;
  if (find(ex, kNilType) == nullptr) {
    ex.setCapture(std::string(kNilType), "1");
  }
}

bool hasNilContentType(const runtime::Exchange& ex) {
  return !ex.captures.empty() && find(ex, kNilType) != nullptr;
}

void noteErrorCause(runtime::Exchange& ex, bool hasCause) {
  if (hasCause) {
    if (!ex.captures.empty()) {
      erase(ex, kNoCause);
    }
  } else if (find(ex, kNoCause) == nullptr) {
    ex.setCapture(std::string(kNoCause), "1");
  }
}

bool errorHasCause(const runtime::Exchange& ex) {
  return ex.captures.empty() || find(ex, kNoCause) == nullptr;
}

void noteRoutedError(runtime::Exchange& ex) {
  const auto& e = ex.error;
  ex.setCapture(std::string(kStatus), std::to_string(e.status));
  ex.setCapture(std::string(kMessage), e.message);
  ex.setCapture(std::string(kId), e.id);
  ex.setCapture(std::string(kTrace), e.trace);
  std::string flags;
  flags += e.plain ? 'p' : '-';
  flags += errorHasCause(ex) ? 'c' : '-';
  ex.setCapture(std::string(kFlags), flags);
}

void noteFailedRouteStatus(runtime::Exchange& ex, int status) {
  ex.setCapture(std::string(kFailedStatus), std::to_string(status));
}

std::optional<RoutedError> routedError(const runtime::Exchange& ex) {
  const std::string* status = ex.captures.empty() ? nullptr : find(ex, kStatus);
  if (status == nullptr) {
    return std::nullopt;
  }
  RoutedError r;
  std::from_chars(status->data(), status->data() + status->size(), r.error.status);
  r.error.message = *find(ex, kMessage);
  r.error.id = *find(ex, kId);
  r.trace = *find(ex, kTrace);
  const std::string& flags = *find(ex, kFlags);
  r.error.plain = flags[0] == 'p';
  r.hasCause = flags[1] == 'c';
  if (const std::string* failed = find(ex, kFailedStatus)) {
    std::from_chars(failed->data(), failed->data() + failed->size(), r.failedRouteStatus);
  }
  return r;
}

void notePathStrippedEmpty(runtime::Exchange& ex, bool emptied) {
  if (emptied) {
    if (find(ex, kStrippedEmpty) == nullptr) {
      ex.setCapture(std::string(kStrippedEmpty), "1");
    }
  } else if (!ex.captures.empty()) {
    erase(ex, kStrippedEmpty);
  }
}

bool pathStrippedEmpty(const runtime::Exchange& ex) {
  return !ex.captures.empty() && find(ex, kStrippedEmpty) != nullptr;
}

}  // namespace gatehouse::http
