// {http.shutting_down} / {http.time_until_shutdown} (shutdown_delay): what a request of a
// server with and without a scheduled stop renders (e2e: shutdown_delay_vs_caddy_test.py).
#include "router/shutdown_placeholders.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <regex>

#include "provision/shutdown_schedule.h"
#include "router/placeholders.h"

using gatehouse::provision::ShutdownSchedule;
using gatehouse::router::noteShutdownSchedule;
using gatehouse::router::Template;
using gatehouse::runtime::Exchange;

namespace {
std::string render(const Exchange& ex, std::string_view text) {
  return Template(text).render(ex, Template::Unknown::Keep);
}
}  // namespace

TEST_CASE("a server with no stop scheduled: false and empty, never verbatim") {
  ShutdownSchedule none;
  CHECK_FALSE(none.at().has_value());
  Exchange ex;
  noteShutdownSchedule(ex, none);
  CHECK(ex.captures.empty());  // nothing noted on the common path
  CHECK(render(ex, "{http.shutting_down} [{http.time_until_shutdown}]") == "false []");
}

TEST_CASE("a scheduled server: true, and Go's time.Until text counting down") {
  ShutdownSchedule soon;
  soon.schedule(std::chrono::steady_clock::now() + std::chrono::milliseconds(2500));
  Exchange ex;
  noteShutdownSchedule(ex, soon);
  CHECK(render(ex, "{http.shutting_down}") == "true");
  const std::string first = render(ex, "{http.time_until_shutdown}");
  CHECK(std::regex_match(first, std::regex(R"(2\.4\d{0,8}s|2\.5s)")));
  const std::string later = render(ex, "{http.time_until_shutdown}");
  CHECK(later <= first);  // same length, fewer time left
  // Other placeholders are untouched by the note.
  CHECK(render(ex, "{http.regexp.x}") == "{http.regexp.x}");
}

TEST_CASE("past the scheduled moment (the grace period) the time is negative, as Go's") {
  ShutdownSchedule past;
  past.schedule(std::chrono::steady_clock::now() - std::chrono::milliseconds(300));
  Exchange ex;
  noteShutdownSchedule(ex, past);
  CHECK(std::regex_match(render(ex, "{http.time_until_shutdown}"), std::regex(R"(-3\d\d(\.\d+)?ms)")));
}
