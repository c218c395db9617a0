#include "log/encoder_options.h"

#include <array>
#include <cctype>
#include <cmath>
#include <string_view>

#include "log/go_time_text.h"
#include "log/json_text.h"
#include "provision/provision_error.h"

namespace gatehouse::log {

using config::Json;
using provision::ProvisionError;

namespace {

constexpr std::array<std::string_view, 11> kOptions = {
    "message_key", "level_key",   "time_key",        "name_key",     "caller_key", "stacktrace_key",
    "line_ending", "time_format", "duration_format", "level_format", "time_local"};

// Caddy's named layouts; any other text is a Go layout itself.
std::string namedLayout(const std::string& f) {
  if (f == "rfc3339") {
    return "2006-01-02T15:04:05Z07:00";
  }
  if (f == "rfc3339_nano") {
    return "2006-01-02T15:04:05.999999999Z07:00";
  }
  if (f == "wall") {
    return "2006/01/02 15:04:05";
  }
  if (f == "wall_milli") {
    return "2006/01/02 15:04:05.000";
  }
  if (f == "wall_nano") {
    return "2006/01/02 15:04:05.000000000";
  }
  if (f == "common_log") {
    return "02/Jan/2006:15:04:05 -0700";
  }
  return f;
}

std::string stringOption(const Json& cfg, const std::string& key, const std::string& path, std::string dflt) {
  if (!cfg.contains(key)) {
    return dflt;
  }
  if (!cfg[key].is_string()) {
    throw ProvisionError(path + "." + key, "expected a string");
  }
  return cfg[key].get<std::string>();
}

}  // namespace

bool EncoderOptions::isOption(const std::string& key) {
  for (auto k : kOptions) {
    if (k == key) {
      return true;
    }
  }
  return false;
}

EncoderOptions EncoderOptions::consoleDefaults() {
  return fromJson(Json::object(), "", true);
}

EncoderOptions EncoderOptions::fromJson(const Json& cfg, const std::string& path, bool console) {
  EncoderOptions o;
  o.messageKey = stringOption(cfg, "message_key", path, o.messageKey);
  o.levelKey = stringOption(cfg, "level_key", path, o.levelKey);
  o.timeKey = stringOption(cfg, "time_key", path, o.timeKey);
  o.nameKey = stringOption(cfg, "name_key", path, o.nameKey);
  o.lineEnding = stringOption(cfg, "line_ending", path, o.lineEnding);
  // Entries carry no caller or stack trace (Caddy's loggers add neither), so those keys
  // name elements that never appear.
  stringOption(cfg, "caller_key", path, "");
  stringOption(cfg, "stacktrace_key", path, "");
  if (cfg.contains("time_local") && !cfg["time_local"].is_boolean()) {
    throw ProvisionError(path + ".time_local", "expected a boolean");
  }
  o.localTime = cfg.value("time_local", false);

  const std::string tf = stringOption(cfg, "time_format", path, console ? "wall_milli" : "");
  if (tf.empty() || tf == "unix_seconds_float") {
    o.time = Time::EpochSeconds;
  } else if (tf == "unix_milli_float") {
    o.time = Time::EpochMillis;
  } else if (tf == "unix_nano") {
    o.time = Time::EpochNanos;
  } else if (tf == "iso8601") {
    o.time = Time::Layout;
    o.layout = "2006-01-02T15:04:05.000Z0700";
    o.localTime = true;  // zap formats the entry's own (local) time
  } else {
    o.time = Time::Layout;
    o.layout = namedLayout(tf);
  }

  const std::string df = stringOption(cfg, "duration_format", path, "");
  o.duration = df.empty() || df == "seconds" ? Duration::Seconds
               : df == "string"              ? Duration::String
                                             : Duration::Nanos;

  const std::string lf = stringOption(cfg, "level_format", path, console ? "color" : "");
  o.level = lf.empty() || lf == "lower" ? LevelText::Lower
            : lf == "upper"             ? LevelText::Upper
            : lf == "color"             ? LevelText::Color
                                        : LevelText::None;
  return o;
}

void EncoderOptions::appendTime(std::string& out, int64_t unixNanos, bool quoted) const {
  switch (time) {
    case Time::EpochSeconds:
    case Time::EpochMillis: {
      // The console encoder prints numbers as Go's fmt does ("1.7e+09").
      const double v = static_cast<double>(unixNanos) / (time == Time::EpochSeconds ? 1e9 : 1e6);
      if (quoted) {
        appendJsonNumber(out, v);
      } else {
        appendGoFloat(out, v);
      }
      return;
    }
    case Time::EpochNanos:
      out += std::to_string(unixNanos);
      return;
    case Time::Layout:
      break;
  }
  std::string text;
  appendGoTime(text, layout, unixNanos, localTime);
  if (quoted) {
    appendJsonString(out, text);
  } else {
    out += text;
  }
}

bool EncoderOptions::levelText(Level lvl, std::string& out) const {
  const std::string_view name = levelName(lvl);
  switch (level) {
    case LevelText::None:
      return false;
    case LevelText::Lower:
      out = name;
      return true;
    case LevelText::Upper:
    case LevelText::Color:
      break;
  }
  std::string upper;
  for (char c : name) {
    upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (level == LevelText::Upper) {
    out = upper;
    return true;
  }
  // zap's colours: debug magenta, info blue, warn yellow, error and worse red.
  const int color = lvl == Level::Debug ? 35 : lvl == Level::Info ? 34 : lvl == Level::Warn ? 33 : 31;
  out = "\x1b[" + std::to_string(color) + "m" + upper + "\x1b[0m";
  return true;
}

Json EncoderOptions::durationValue(double seconds) const {
  switch (duration) {
    case Duration::Seconds:
      return seconds;
    case Duration::Nanos:
      return static_cast<int64_t>(std::llround(seconds * 1e9));
    case Duration::String: {
      std::string s;
      appendGoDuration(s, static_cast<int64_t>(std::llround(seconds * 1e9)));
      return s;
    }
  }
  return seconds;
}

}  // namespace gatehouse::log
