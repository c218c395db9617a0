#include "router/system_placeholders.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "log/go_time_text.h"

namespace gatehouse::router {

namespace {

// Go's GOARCH for the machine uname reports (the build target of a Go binary).
std::string goArch() {
  utsname u{};
  if (uname(&u) != 0) {
    return "unknown";
  }
  const std::string_view m = u.machine;
  if (m == "x86_64") {
    return "amd64";
  }
  if (m == "aarch64" || m == "arm64") {
    return "arm64";
  }
  if (m == "i386" || m == "i686") {
    return "386";
  }
  if (m.starts_with("arm")) {
    return "arm";
  }
  return std::string(m);
}

// When this process started, for the monotonic "m=+" part of time.Now().String(), which
// Go counts from the runtime's start.
std::chrono::steady_clock::time_point processStart() {
  static const std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  return start;
}
// The wall clock at processStart().
std::chrono::system_clock::time_point processStartWall() {
  static const std::chrono::system_clock::time_point wall =
      std::chrono::system_clock::now() - std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                             std::chrono::steady_clock::now() - processStart());
  return wall;
}
[[maybe_unused]] const auto kStartedEarly = processStart();  // taken at load time, as Go's runtime does
// Go's Time.String(): the wall clock, then the monotonic reading since the process started.
void appendGoTime(std::string& out, std::chrono::system_clock::time_point wall,
                  std::chrono::steady_clock::time_point at) {
  const int64_t unixNanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(wall.time_since_epoch()).count();
  log::appendGoTime(out, "2006-01-02 15:04:05.999999999 -0700 MST", unixNanos, true);
  const int64_t mono = std::chrono::duration_cast<std::chrono::nanoseconds>(at - processStart()).count();
  std::array<char, 48> buf{};
  const int n =
      std::snprintf(buf.data(), buf.size(), " m=+%lld.%09lld", static_cast<long long>(mono / 1'000'000'000),
                    static_cast<long long>(mono % 1'000'000'000));
  out.append(buf.data(), static_cast<size_t>(n));
}

}  // namespace

bool systemPlaceholder(std::string_view key, std::string& out) {
  if (key == "hostname") {
    std::array<char, 256> buf{};
    gethostname(buf.data(), buf.size() - 1);
    out = buf.data();
  } else if (key == "slash") {
    out = "/";
  } else if (key == "os") {
    out = "linux";
  } else if (key == "arch") {
    out = goArch();
  } else if (key == "wd") {
    std::array<char, 4096> buf{};
    out = getcwd(buf.data(), buf.size()) != nullptr ? buf.data() : "";
  } else {
    return false;
  }
  return true;
}

bool envPlaceholder(std::string_view name, std::string& out) {
  const char* v = std::getenv(std::string(name).c_str());
  out = v ? v : "";
  return true;
}

bool timePlaceholder(std::string_view key, std::string& out) {
  if (key == "now") {
    out.clear();
    appendGoTimeNow(out);
    return true;
  }
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  if (key == "now.unix") {
    out = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count());
    return true;
  }
  if (key == "now.unix_ms") {
    out = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
    return true;
  }
  if (key == "now.year" || key == "now.common_log") {
    const std::time_t t = std::chrono::duration_cast<std::chrono::seconds>(now).count();
    std::tm tm{};
    localtime_r(&t, &tm);
    std::array<char, 64> buf{};
    const char* fmt = key == "now.year" ? "%Y" : "%d/%b/%Y:%H:%M:%S %z";
    out.assign(buf.data(), std::strftime(buf.data(), buf.size(), fmt, &tm));
    return true;
  }
  return false;
}

void requestDuration(const runtime::Exchange& ex, bool ms, std::string& out) {
  const int64_t nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now() - ex.request.start)
                            .count();
  out.clear();
  if (!ms) {
    log::appendGoDuration(out, nanos);
    return;
  }
  out = goMilliseconds(nanos);
}

std::string goMilliseconds(int64_t nanos) {
  // Duration.Seconds() (whole seconds plus the fraction), then * 1e3, as Caddy computes it.
  const double seconds =
      static_cast<double>(nanos / 1'000'000'000) + static_cast<double>(nanos % 1'000'000'000) / 1e9;
  std::array<char, 64> buf{};
  auto [end, ec] =
      std::to_chars(buf.data(), buf.data() + buf.size(), seconds * 1e3, std::chars_format::fixed);
  return std::string(buf.data(), ec == std::errc() ? end : buf.data());
}

void appendGoTimeNow(std::string& out) {
  appendGoTime(out, std::chrono::system_clock::now(), std::chrono::steady_clock::now());
}

void appendGoTimeAt(std::string& out, std::chrono::steady_clock::time_point at) {
  // The wall clock of `at` from the process's start, so that every reading of one moment
  // prints the same ({http.vars.start_time} and {vars.start_time} agree, as in Go).
  appendGoTime(out,
               processStartWall() +
                   std::chrono::duration_cast<std::chrono::system_clock::duration>(at - processStart()),
               at);
}

}  // namespace gatehouse::router
