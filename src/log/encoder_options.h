#pragma once
// The options json and console encoders share (Caddy's LogEncoderConfig on zap's production
// config): key names (an empty key leaves the element out), line ending, and how times,
// durations and levels are written. Unknown formats behave as Caddy 2.6.2's: an unknown
// time_format is a Go layout, an unknown duration_format writes nanoseconds, an unknown
// level_format leaves the level out.

#include <cstdint>
#include <string>

#include "gatehouse/config/site_graph.h"
#include "log/level.h"

namespace gatehouse::log {

struct EncoderOptions {
  enum class Time { EpochSeconds, EpochMillis, EpochNanos, Layout };
  enum class Duration { Seconds, Nanos, String };
  enum class LevelText { Lower, Upper, Color, None };

  std::string messageKey = "msg";
  std::string levelKey = "level";
  std::string timeKey = "ts";
  std::string nameKey = "logger";
  std::string lineEnding = "\n";
  Time time = Time::EpochSeconds;
  std::string layout;      // Go layout when time == Layout
  bool localTime = false;  // time_local (iso8601 is always local, as zap's)
  Duration duration = Duration::Seconds;
  LevelText level = LevelText::Lower;

  // Reads the encoder config's options; throws ProvisionError naming `path` for a bad type.
  // The console encoder defaults to wall_milli times and coloured levels, as Caddy's.
  static EncoderOptions fromJson(const config::Json& cfg, const std::string& path, bool console);
  // Caddy's console defaults (also its default encoder on a terminal).
  static EncoderOptions consoleDefaults();
  // Whether `key` is one of the options above (for the encoders' unknown-key check).
  static bool isOption(const std::string& key);

  // The time element: a JSON number or a JSON string (console: `quoted` false writes it bare).
  void appendTime(std::string& out, int64_t unixNanos, bool quoted) const;
  // The level element; false when the level is left out.
  [[nodiscard]] bool levelText(Level level, std::string& out) const;
  // A duration given in seconds, as the configured duration encoder writes it.
  [[nodiscard]] config::Json durationValue(double seconds) const;
};

}  // namespace gatehouse::log
