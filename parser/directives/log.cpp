// log [<logger_name>] {
//     hostnames <hostnames...>
//     no_hostname
//     output <writer_module> ...
//     format <encoder_module> ...
//     level  <level>
//     sampling { interval <ns>; first <n>; thereafter <n> }
// }
// The global option form also takes include/exclude and names the default logger when
// no name is given.
#include "directives/builtins.h"
#include "directives/log_modules.h"
#include "options/option_util.h"

namespace gatehouse::parser::directives {
namespace {

long long intArg(Dispenser& d, const char* what) {
  if (!d.nextArg()) {
    throw d.argErr();
  }
  if (auto n = options::parseInt(d.val())) {
    return *n;
  }
  throw d.err(std::string("failed to parse ") + what + ": strconv.Atoi: parsing \"" + d.val() +
              "\": invalid syntax");
}

long long durationArg(Dispenser& d, const char* what) {
  if (!d.nextArg()) {
    throw d.argErr();
  }
  std::string why;
  if (auto ns = options::parseDuration(d.val(), &why)) {
    return *ns;
  }
  throw d.err(std::string("failed to parse ") + what + ": " + why);
}

Json parseSampling(Dispenser& d) {
  Json s = Json::object();
  while (d.nextArg()) {
    // arguments on the sampling line itself are ignored, as in Caddy
  }
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    const std::string sub = d.val();
    if (sub == "interval") {
      s["interval"] = durationArg(d, "interval");
    } else if (sub == "first") {
      s["first"] = intArg(d, "first");
    } else if (sub == "thereafter") {
      s["thereafter"] = intArg(d, "thereafter");
    } else {
      throw d.err("unrecognized subdirective: " + sub);
    }
  }
  return s;
}

}  // namespace

std::vector<ConfigValue> parseLogSegment(Helper& h, std::map<std::string, bool>* globalNames) {
  h.next();  // the directive or option name
  const bool global = globalNames != nullptr;
  std::string name;
  if (h.nextArg()) {
    name = h.val();
    if (h.nextArg()) {
      throw h.argErr();
    }
  } else if (global) {
    name = "default";
  }
  if (global) {
    if (globalNames->count(name)) {
      throw h.err("duplicate global log option for: " + name);
    }
    (*globalNames)[name] = true;
  }

  Json writer, encoder, sampling, include, exclude;
  std::string level;
  Json hostnames = Json::array();
  bool noHostname = false;
  while (h.nextBlock(0)) {
    const std::string sub = h.val();
    if (sub == "hostnames") {
      if (global) {
        throw h.err("hostnames is not allowed in the log global options");
      }
      auto args = h.remainingArgs();
      if (args.empty()) {
        throw h.argErr();
      }
      for (auto& a : args) {
        hostnames.push_back(a);
      }
    } else if (sub == "output") {
      if (!h.nextArg()) {
        throw h.argErr();
      }
      writer = parseLogWriter(h);
    } else if (sub == "format") {
      if (!h.nextArg()) {
        throw h.argErr();
      }
      encoder = parseLogEncoder(h);
    } else if (sub == "sampling") {
      Dispenser seg = h.newFromNextSegment();
      seg.next();
      sampling = parseSampling(seg);
    } else if (sub == "level") {
      if (!h.nextArg()) {
        throw h.argErr();
      }
      level = h.val();
      if (h.nextArg()) {
        throw h.argErr();
      }
    } else if (sub == "include" || sub == "exclude") {
      if (!global) {
        throw h.err(sub + " is not allowed in the log directive");
      }
      Json& list = sub == "include" ? include : exclude;
      while (h.nextArg()) {
        list.push_back(h.val());
      }
    } else if (sub == "no_hostname") {
      if (h.nextArg()) {
        throw h.argErr();
      }
      noHostname = true;
    } else {
      throw h.err("unrecognized subdirective: " + sub);
    }
  }

  Json log = Json::object();
  if (!writer.is_null()) {
    log["writer"] = writer;
  }
  if (!encoder.is_null()) {
    log["encoder"] = encoder;
  }
  if (!level.empty()) {
    log["level"] = level;
  }
  if (!sampling.is_null()) {
    log["sampling"] = sampling;
  }
  if (!include.is_null()) {
    log["include"] = include;
  }
  if (!exclude.is_null()) {
    log["exclude"] = exclude;
  }
  const bool empty = log.empty();

  if (!global) {
    if (name.empty() && !empty) {
      // unnamed site loggers are numbered across the whole Caddyfile
      Json& counter = h.state().blockState["logCounter"];
      int n = counter.is_number_integer() ? counter.get<int>() : 0;
      name = "log" + std::to_string(n);
      counter = n + 1;
    }
    if (!name.empty()) {
      log["include"] = Json::array({"http.log.access." + name});
    }
  }
  Json value = Json::object();
  value["name"] = name;
  if (!empty) {
    value["log"] = log;
  }
  value["hostnames"] = hostnames;
  value["no_hostname"] = noHostname;
  return single(ConfigValue{"custom_log", value, ""});
}

std::vector<ConfigValue> parseLog(Helper& h) {
  return parseLogSegment(h, nullptr);
}

}  // namespace gatehouse::parser::directives
