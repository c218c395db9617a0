// Log writers: output stdout|stderr|discard|file <path> { ... } | net <address> { ... }.
#include <cmath>

#include "directives/log_modules.h"
#include "gatehouse/parser/go_duration.h"
#include "options/option_util.h"

namespace gatehouse::parser::directives {
namespace {

// The roll sizes and counts are ints with omitempty in Caddy's JSON: a zero (also a zero
// after an earlier non-zero line) leaves the field out, as 2.6.2 prints it.
void setOrOmit(Json& w, const char* key, long long n) {
  if (n != 0) {
    w[key] = n;
  } else {
    w.erase(key);
  }
}

// A flag subdirective: caddy 2.6.2 refuses any argument after it.
void noArgs(Dispenser& d) {
  if (d.nextArg()) {
    throw d.argErr();
  }
}

std::string oneValue(Dispenser& d) {
  if (!d.nextArg()) {
    throw d.argErr();
  }
  std::string v = d.val();
  if (d.nextArg()) {
    throw d.argErr();
  }
  return v;
}

// "a b,c" on the rest of the line -> ["a", "b", "c"].
std::vector<std::string> commaList(Dispenser& d) {
  std::vector<std::string> out;
  for (const auto& arg : d.remainingArgs()) {
    size_t start = 0;
    while (start <= arg.size()) {
      size_t comma = arg.find(',', start);
      std::string part = arg.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!part.empty()) {
        out.push_back(part);
      }
      if (comma == std::string::npos) {
        break;
      }
      start = comma + 1;
    }
  }
  return out;
}

Json parseFileWriter(Dispenser& d) {
  Json w = Json::object();
  w["output"] = "file";
  w["filename"] = oneValue(d);
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    const std::string sub = d.val();
    if (sub == "mode" || sub == "dir_mode") {
      w[sub] = oneValue(d);
    } else if (sub == "roll_disabled") {
      noArgs(d);
      w["roll"] = false;
    } else if (sub == "roll_size") {
      const std::string v = oneValue(d);
      std::string error;
      auto bytes = options::parseBytes(v, &error);
      if (!bytes) {
        throw d.err("parsing size: " + error);  // humanize.ParseBytes's error, as Caddy
      }
      setOrOmit(w, "roll_size_mb",
                static_cast<long long>(std::ceil(static_cast<double>(*bytes) / 1048576.0)));
    } else if (sub == "roll_uncompressed") {
      noArgs(d);
      w["roll_gzip"] = false;
    } else if (sub == "roll_compression") {
      w["roll_compression"] = oneValue(d);
    } else if (sub == "roll_local_time") {
      noArgs(d);
      w["roll_local_time"] = true;
    } else if (sub == "roll_keep") {
      const std::string v = oneValue(d);
      auto n = options::parseInt(v);
      if (!n) {
        throw d.err("parsing roll_keep number: strconv.Atoi: parsing \"" + v + "\": invalid syntax");
      }
      setOrOmit(w, "roll_keep", *n);
    } else if (sub == "roll_keep_for") {
      const std::string v = oneValue(d);
      std::string why;
      auto ns = options::parseDuration(v, &why);
      if (!ns) {
        throw d.err("parsing roll_keep_for duration: " + why);
      }
      if (*ns < 0) {
        throw d.err("negative roll_keep_for duration: " + goDurationString(*ns));  // Go's text, as Caddy
      }
      setOrOmit(w, "roll_keep_days",
                static_cast<long long>(std::ceil(static_cast<double>(*ns) / 3.6e12 / 24.0)));
    } else if (sub == "roll_interval") {
      const std::string v = oneValue(d);
      std::string why;
      auto ns = options::parseDuration(v, &why);
      if (!ns) {
        throw d.err("parsing roll_interval duration: " + why);
      }
      w["roll_interval"] = *ns;
    } else if (sub == "roll_at") {
      w["roll_at"] = commaList(d);
    } else if (sub == "roll_minutes") {
      Json mins = Json::array();
      for (const auto& m : commaList(d)) {
        auto n = options::parseInt(m);
        if (!n) {
          throw d.err("parsing roll_minutes number: strconv.Atoi: parsing \"" + m + "\": invalid syntax");
        }
        mins.push_back(*n);
      }
      w["roll_minutes"] = mins;
    }
    // Any other token is passed over, one token at a time (its arguments too, each read as
    // a subdirective of its own), as caddy 2.6.2's file writer, which has no default case.
  }
  return w;
}

Json parseNetWriter(Dispenser& d) {
  Json w = Json::object();
  w["output"] = "net";
  w["address"] = oneValue(d);
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    const std::string sub = d.val();
    if (sub == "dial_timeout") {
      const std::string v = oneValue(d);
      std::string why;
      auto ns = options::parseDuration(v, &why);
      if (!ns) {
        throw d.err("invalid duration: " + v);
      }
      if (*ns != 0) {  // caddy.Duration is omitempty: zero means the default
        w["dial_timeout"] = *ns;
      } else {
        w.erase("dial_timeout");
      }
    } else if (sub == "soft_start") {
      w["soft_start"] = true;
    }
    // Any other token is passed over, as caddy 2.6.2's net writer (no default case).
  }
  return w;
}

}  // namespace

Json parseLogWriter(Dispenser& d) {
  const std::string name = d.val();
  if (name == "stdout" || name == "stderr" || name == "discard") {
    return Json{{"output", name}};
  }
  if (name == "file") {
    return parseFileWriter(d);
  }
  if (name == "net") {
    return parseNetWriter(d);
  }
  throw d.err("getting module named 'caddy.logging.writers." + name +
              "': module not registered: caddy.logging.writers." + name);
}

}  // namespace gatehouse::parser::directives
